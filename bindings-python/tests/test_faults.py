"""The Python SDK through the fault proxy (tests/faults) into the real collector: after a
scripted run of resets, hangs, refused connections, 408/429/5xx, a poison trace and 413s,
every trace the SDK counted as sent is stored exactly once, every other one is counted as
dropped with its reason, and sent + dropped == created."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from pathlib import Path
from typing import Iterator, List

import pytest

import trulayer
from conftest import REPO

PROXY = REPO / "target" / "debug" / "trulayer-fault-proxy"
COLLECTOR = REPO / "target" / "debug" / "trulayer-collector"
KEY = "tl_py_faults"
PLAN = "pass*3, 503, 429:1, reset, lost, 500, delay:300, 502, down:500, pass*2, lost, hang, 503*2, 408, " \
       "poison:poison-trace, max:40"


def _serve(args: List[str]) -> "tuple[subprocess.Popen, str]":
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline().strip() if proc.stdout else ""
    if " listening on http://127.0.0.1:" not in line:
        proc.kill()
        pytest.fail(f"{args[0]} did not start: {line!r}")
    return proc, line.rsplit(" ", 1)[1]


@pytest.fixture
def faulty_endpoint(tmp_path: Path) -> Iterator["tuple[str, str]"]:
    """(proxy URL, collector URL): the proxy misbehaves as PLAN says, then forwards."""
    for binary in (PROXY, COLLECTOR):
        if not binary.exists():
            pytest.fail(f"{binary} is missing: run `cargo build -p trulayer-collector -p trulayer-faults`")
    store, store_url = _serve([str(COLLECTOR), "--addr", "127.0.0.1:0", "--db", str(tmp_path / "f.db"),
                               "--key", f"{KEY}=py-faults"])
    proxy, proxy_url = _serve([str(PROXY), "--upstream", store_url, "--plan", PLAN])
    try:
        yield proxy_url, store_url
    finally:
        for proc in (proxy, store):
            proc.terminate()
            proc.wait(timeout=10)


def test_a_scripted_run_of_faults_loses_nothing_silently(faulty_endpoint: "tuple[str, str]") -> None:
    proxy_url, store_url = faulty_endpoint
    client = trulayer.TruLayerClient(api_key=KEY, project="py-faults", endpoint=proxy_url, batch_size=50,
                                     flush_interval=0.2, timeout=1, retry_budget=60)
    created, poison = set(), set()
    for i in range(2000):
        with client.trace("poison-trace" if i % 500 == 250 else "ok") as trace:
            trace.set_input({"i": i})
            with trace.span("generate", span_type="llm") as span:
                span.set_model("gpt-4o-mini")
                span.set_tokens(prompt_tokens=10, completion_tokens=5)
        created.add(trace.id)
        if trace.name == "poison-trace":
            poison.add(trace.id)
    assert client.flush(timeout=120), client.stats()
    stats = client.stats()
    assert stats["finished"] == 2000
    assert stats["sent"] + stats["dropped_total"] == 2000, stats
    assert stats["dropped"]["invalid"] == stats["dropped_total"] == len(poison), stats

    reader = trulayer.TruLayerClient(api_key=KEY, project="py-faults", endpoint=store_url)
    stored = [str(t.id) for t in reader.list_traces(limit=200)]
    assert len(stored) == len(set(stored)), "a trace was stored twice"
    assert len(stored) == stats["sent"]
    assert set(stored) <= created and not set(stored) & poison

    with urllib.request.urlopen(f"{proxy_url}/__fault/stats", timeout=5) as resp:
        applied = json.load(resp)
    for step, at_least in {"reset": 1, "lost": 2, "hang": 1, "down": 1, "status": 7, "too_large": 1}.items():
        assert applied.get(step, 0) >= at_least, f"{step}: {applied}"
    client.shutdown()
    reader.shutdown()
