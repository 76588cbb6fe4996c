"""The Python SDK against the real collector under faults: a scripted run through the fault
proxy (tests/faults) of resets, hangs, refused connections, 408/429/5xx, a poison trace and
413s, and the collector killed (SIGKILL) and restarted mid-run. Afterwards every trace the SDK
counted as sent is stored exactly once, every other one is counted as dropped with its reason,
and sent + dropped == created."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Callable, Iterator, List

import pytest

import trulayer
from conftest import REPO

PROXY = REPO / "target" / "debug" / "trulayer-fault-proxy"
COLLECTOR = REPO / "target" / "debug" / "trulayer-collector"
KEY = "tl_py_faults"
PROJECT = "py-faults"
PLAN = "pass*3, 503, 429:1, reset, lost, 500, delay:300, 502, down:500, pass*2, lost, hang, 503*2, 408, " \
       "poison:poison-trace, max:40"

Serve = Callable[..., "tuple[subprocess.Popen, str]"]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """serve(binary, *args) starts a server binary of this repository and returns (process, URL)
    once it prints `<name> listening on http://127.0.0.1:PORT`; whatever it started is killed at
    teardown."""
    started: List[subprocess.Popen] = []

    def start(binary: Path, *args: str) -> "tuple[subprocess.Popen, str]":
        if not binary.exists():
            pytest.fail(f"{binary} is missing: run `cargo build -p trulayer-collector -p trulayer-faults`")
        proc = subprocess.Popen([str(binary), *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        started.append(proc)
        line = proc.stdout.readline().strip() if proc.stdout else ""
        if " listening on http://127.0.0.1:" not in line:
            pytest.fail(f"{binary.name} did not start: {line!r}")
        return proc, line.rsplit(" ", 1)[1]

    yield start
    for proc in started:
        proc.kill()
        proc.wait(timeout=10)


def _collector(serve: Serve, db: Path, addr: str = "127.0.0.1:0") -> "tuple[subprocess.Popen, str]":
    return serve(COLLECTOR, "--addr", addr, "--db", str(db), "--key", f"{KEY}={PROJECT}")


def _client(endpoint: str, **options: float) -> trulayer.TruLayerClient:
    return trulayer.TruLayerClient(api_key=KEY, project=PROJECT, endpoint=endpoint, timeout=1, retry_budget=60,
                                   **options)


def _record(client: trulayer.TruLayerClient, name: str, i: int) -> str:
    """Records one trace with an LLM span; returns its id."""
    with client.trace(name) as trace:
        trace.set_input({"i": i})
        with trace.span("generate", span_type="llm") as span:
            span.set_model("gpt-4o-mini")
            span.set_tokens(prompt_tokens=10, completion_tokens=5)
    return str(trace.id)


def _stored_ids(store_url: str) -> List[str]:
    """Every trace id the collector holds for the project, walking every page."""
    reader = _client(store_url)
    try:
        return [str(t.id) for t in reader.list_traces(limit=200)]
    finally:
        reader.shutdown()


def test_a_scripted_run_of_faults_loses_nothing_silently(serve: Serve, tmp_path: Path) -> None:
    _, store_url = _collector(serve, tmp_path / "f.db")
    _, proxy_url = serve(PROXY, "--upstream", store_url, "--plan", PLAN)
    client = _client(proxy_url, batch_size=50, flush_interval=0.2)
    created, poison = set(), set()
    for i in range(2000):
        name = "poison-trace" if i % 500 == 250 else "ok"
        trace_id = _record(client, name, i)
        created.add(trace_id)
        if name == "poison-trace":
            poison.add(trace_id)
    assert client.flush(timeout=120), client.stats()
    stats = client.stats()
    assert stats["finished"] == 2000
    assert stats["sent"] + stats["dropped_total"] == 2000, stats
    assert stats["dropped"]["invalid"] == stats["dropped_total"] == len(poison), stats

    stored = _stored_ids(store_url)
    assert len(stored) == len(set(stored)), "a trace was stored twice"
    assert len(stored) == stats["sent"]
    assert set(stored) <= created and not set(stored) & poison

    with urllib.request.urlopen(f"{proxy_url}/__fault/stats", timeout=5) as resp:
        applied = json.load(resp)
    for step, at_least in {"reset": 1, "lost": 2, "hang": 1, "down": 1, "status": 7, "too_large": 1}.items():
        assert applied.get(step, 0) >= at_least, f"{step}: {applied}"
    client.shutdown()


def test_the_collector_killed_and_restarted_mid_run_loses_nothing(serve: Serve, tmp_path: Path) -> None:
    db = tmp_path / "restart.db"
    first, url = _collector(serve, db)
    client = _client(url, batch_size=20, flush_interval=0.1)
    created = {_record(client, "before", i) for i in range(250)}
    # These are stored before the kill: the restarted collector must still hold them.
    assert client.flush(timeout=30), client.stats()
    created |= {_record(client, "before", i) for i in range(250, 500)}
    first.kill()  # SIGKILL, no graceful shutdown, while those batches are in flight
    first.wait(timeout=10)
    created |= {_record(client, "during", i) for i in range(500)}
    time.sleep(0.8)  # the SDK meets refused connections and backs off
    # Same port: the SDK's endpoint stays valid.
    _, restarted = _collector(serve, db, url.removeprefix("http://"))
    assert restarted == url
    assert client.flush(timeout=60), client.stats()
    stats = client.stats()
    assert stats["finished"] == len(created) == 1000
    assert (stats["sent"], stats["dropped_total"]) == (1000, 0), stats
    assert stats["retries"] >= 1, f"the outage was never met: {stats}"
    stored = _stored_ids(url)
    assert len(stored) == len(set(stored)), "a trace was stored twice"
    assert set(stored) == created
    client.shutdown()
