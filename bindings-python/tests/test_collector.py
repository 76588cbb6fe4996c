"""End to end: traces shipped by the engine to the real collector and read back through the
TruLayerClient API (list by cursor, detail, feedback, eval, metrics), plus exit and fork."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid

import pytest

import trulayer
from conftest import API_KEY, PROJECT


@pytest.fixture
def client(collector):
    c = trulayer.TruLayerClient(api_key=API_KEY, project=PROJECT, endpoint=collector, flush_interval=0.05)
    yield c
    c.shutdown(timeout=5)


def ship(client, name, **kw):
    with client.trace(name, **kw) as trace:
        trace.set_input({"q": name})
        with trace.span("retrieve", span_type="retrieval") as span:
            span.set_output({"doc_count": 2})
            with trace.span("rerank", span_type="tool") as inner:
                inner.set_output("ok")
        with trace.span("generate", span_type="llm") as span:
            span.set_model("gpt-4o-mini")
            span.set_tokens(prompt_tokens=10, completion_tokens=5)
            span.add_event("first token")
        trace.set_output("answer")
        return trace.id


def test_trace_round_trips_with_nesting_and_events(client):
    trace_id = ship(client, "roundtrip", session_id="s-1")
    assert client.flush(timeout=10)
    t = client.get_trace(trace_id)
    assert t.name == "roundtrip" and t.session_id == "s-1"
    assert t.input == {"q": "roundtrip"} and t.output == "answer"
    spans = {s.name: s for s in t.spans}
    assert spans["rerank"].parent_span_id == spans["retrieve"].id
    assert spans["generate"].model == "gpt-4o-mini" and spans["generate"].prompt_tokens == 10
    assert spans["retrieve"].span_type == "retrieval"
    assert client.stats()["sent"] >= 1


def test_list_traces_iterates_pages_by_cursor(client):
    marker = uuid.uuid4().hex[:8]
    ids = {ship(client, f"page-{marker}-{i}", session_id=marker) for i in range(5)}
    assert client.flush(timeout=10)
    listed = [t for t in client.list_traces(limit=2) if t.session_id == marker]
    assert {str(t.id) for t in listed} == ids


def test_list_traces_filters(client):
    with client.trace("broken") as trace:
        trace.set_error(RuntimeError("x"))
        broken_id = trace.id
    assert client.flush(timeout=10)
    errored = {str(t.id) for t in client.list_traces(error=True)}
    assert broken_id in errored
    assert all(t.error is not None for t in client.list_traces(error=True))
    with pytest.raises(TypeError, match="unknown"):
        client.list_traces(colour="red")
    with pytest.raises(trulayer.ValidationError):
        list(client.list_traces(tag_key="only-key"))


def test_feedback_eval_and_metrics(client):
    trace_id = ship(client, "rated")
    assert client.flush(timeout=10)
    errors = []
    client.on_error(errors.append)
    client.submit_feedback(trace_id, label="good", score=0.9, comment="nice", metadata={"source": "thumbs"})
    result = client.run_eval(trace_id, evaluator_type="rule", metric_name="non_empty_output")
    assert result.status in ("pending", "running", "complete", "failed")
    metrics = client.get_metrics()
    assert metrics.total_traces >= 1
    client.submit_feedback(str(uuid.uuid4()), label="bad")  # unknown trace: reported, not raised
    client.shutdown(timeout=5)
    assert errors and all(isinstance(e, trulayer.TruLayerError) for e in errors)


def test_wrong_key_is_reported_as_authentication_error(collector):
    c = trulayer.TruLayerClient(api_key="tl_wrong", project=PROJECT, endpoint=collector, flush_interval=0.05)
    errors = []
    c.on_error(errors.append)
    with c.trace("rejected"):
        pass
    c.flush(timeout=10)
    c.shutdown(timeout=5)
    assert any(isinstance(e, trulayer.AuthenticationError) for e in errors)
    assert c.stats()["dropped"]["auth"] == 1


def run_child(code: str, collector: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TRULAYER_API_KEY": API_KEY, "TRULAYER_ENDPOINT": collector, "TRULAYER_PROJECT": PROJECT}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True,
                          text=True, timeout=60)


def test_exit_flushes_queued_traces(collector):
    marker = uuid.uuid4().hex
    out = run_child(f"""
        import trulayer
        trulayer.init(flush_interval=60)
        with trulayer.trace("at-exit", session_id="{marker}"):
            pass
        # no flush, no shutdown: the atexit hook ships it
    """, collector)
    assert out.returncode == 0, out.stderr
    reader = trulayer.TruLayerClient(api_key=API_KEY, project=PROJECT, endpoint=collector)
    assert [t.name for t in reader.list_traces() if t.session_id == marker] == ["at-exit"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_ships_with_a_fresh_worker(collector):
    marker = uuid.uuid4().hex
    out = run_child(f"""
        import os, trulayer
        client = trulayer.init(flush_interval=0.05)
        with trulayer.trace("parent-before-fork", session_id="{marker}"):
            pass
        client.flush(5)
        pid = os.fork()
        if pid == 0:
            with trulayer.trace("child", session_id="{marker}"):
                pass
            ok = trulayer.flush(10)
            os._exit(0 if ok and client.stats()["sent"] == 1 else 3)
        _, status = os.waitpid(pid, 0)
        with trulayer.trace("parent-after-fork", session_id="{marker}"):
            pass
        trulayer.flush(10)
        raise SystemExit(os.waitstatus_to_exitcode(status))
    """, collector)
    assert out.returncode == 0, out.stderr
    reader = trulayer.TruLayerClient(api_key=API_KEY, project=PROJECT, endpoint=collector)
    names = sorted(t.name for t in reader.list_traces() if t.session_id == marker)
    assert names == ["child", "parent-after-fork", "parent-before-fork"]


def test_quickstart_example_ships_to_the_collector(collector):
    from conftest import REPO

    example = REPO / "examples" / "python" / "quickstart.py"
    env = {**os.environ, "TRULAYER_API_KEY": API_KEY, "TRULAYER_ENDPOINT": collector}
    out = subprocess.run([sys.executable, str(example)], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "sent 3 traces" in out.stdout
