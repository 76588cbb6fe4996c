"""Replays the shared conformance vectors (tests/vectors/, rules in its README) through the
public Python API in local mode: the wire JSON must equal, byte for byte after normalizing ids
and clocks, what every other binding produces."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest

import trulayer

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors"
CASES = sorted(VECTORS.glob("*.json"))
TIMESTAMP = re.compile(r'"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"')
LATENCY = re.compile(r'"latency_ms":\d+')


def _error(spec: Dict[str, Any]) -> Any:
    """An exception of the named type (as user code would raise), or the bare message."""
    if spec.get("type") is None:
        return spec["message"]
    return type(spec["type"], (Exception,), {})(spec["message"])


def _apply(target: Any, spec: Dict[str, Any]) -> None:
    for field in ("input", "output"):
        if field in spec:
            getattr(target, f"set_{field}")(spec[field])
    if "model" in spec:
        target.set_model(spec["model"])
    if "cost" in spec:
        target.set_cost(spec["cost"])
    if "prompt_tokens" in spec:
        target.set_tokens(prompt_tokens=spec["prompt_tokens"], completion_tokens=spec["completion_tokens"])
    if "error" in spec:
        target.set_error(_error(spec["error"]))
    if spec.get("metadata"):
        target.set_metadata(**spec["metadata"])


def _replay(case: Dict[str, Any]) -> Tuple[Optional[str], List[Tuple[str, str]]]:
    options = {"mode": "local", "project": "vectors", "environment": "test", **case["options"]}
    client = trulayer.TruLayerClient(**options)
    spec = case["trace"]
    spans: List[Dict[str, Any]] = spec.get("spans", [])
    events: List[Dict[str, Any]] = spec.get("events", [])
    trace = client.trace(spec["name"])
    trace.__enter__()
    ids = [(trace.id, "00000000-0000-7000-8000-000000000000")]
    for key in ("session_id", "user_id", "external_id"):
        if key in spec:
            getattr(trace, f"set_{key}")(spec[key])
    _apply(trace, spec)
    if spec.get("tags"):
        trace.add_tags(spec["tags"])
    for key, value in spec.get("tag_map", {}).items():
        trace.set_tag(key, value)
    open_spans: List[Tuple[int, Any]] = []  # scopes nest like a stack (see the README)
    for i, s in enumerate(spans):
        while open_spans and open_spans[-1][0] != s["parent"]:
            open_spans.pop()[1].__exit__(None, None, None)
        parent = open_spans[-1][1] if open_spans else None
        span = trace.span(s["name"], span_type=s["type"], parent=parent).__enter__()
        ids.append((span.id, f"00000000-0000-7000-8000-{i + 1:012d}"))
        _apply(span, s)
        for e in events:
            if e["span"] == i:
                span.add_event(e["message"], e["level"], e["metadata"])
        open_spans.append((i, span))
    while open_spans:
        open_spans.pop()[1].__exit__(None, None, None)
    for e in events:
        if e["span"] is None:
            trace.add_event(e["message"], e["level"], e["metadata"])
    trace.__exit__(None, None, None)
    wire = client._native.local_traces()
    client.shutdown()
    if not wire:
        return None, ids
    for i, event in enumerate(json.loads(wire[0]).get("events", [])):
        ids.append((event["id"], f"00000000-0000-7000-8001-{i + 1:012d}"))
    return wire[0], ids


def _normalize(wire: str, ids: List[Tuple[str, str]]) -> str:
    for real, placeholder in ids:
        wire = wire.replace(real, placeholder)
    wire = TIMESTAMP.sub('"1970-01-01T00:00:00.000000Z"', wire)
    return LATENCY.sub('"latency_ms":0', wire)


def test_the_vectors_are_there() -> None:
    assert len(CASES) >= 10, f"no conformance vectors in {VECTORS}"


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_vector_produces_the_exact_wire_json(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    wire, ids = _replay(case)
    got = None if wire is None else _normalize(wire, ids)
    assert got == case["expected"]
