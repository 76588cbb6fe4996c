"""The seed-000 surface in local mode: traces, spans, nesting, errors, options, callbacks."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import trulayer


def test_get_client_before_init_raises_runtime_error():
    with pytest.raises(RuntimeError, match="init"):
        trulayer.get_client()


def test_init_returns_the_global_client(local):
    assert trulayer.get_client() is trulayer.get_client()
    assert isinstance(trulayer.get_client(), trulayer.TruLayerClient)
    assert trulayer.get_client().project == "tests"


def test_trace_records_input_output_metadata_and_spans(local):
    with trulayer.trace("answer_question", session_id="conv-1", metadata={"rag_v2": True}) as trace:
        trace.set_input({"question": "why?"})
        with trace.span("retrieve", span_type="retrieval") as span:
            span.set_output({"doc_count": 5})
            retrieve_id = span.id
        with trace.span("generate", span_type="llm") as span:
            span.set_model("gpt-4o-mini")
            span.set_tokens(prompt_tokens=12, completion_tokens=7)
            span.set_metadata(temperature=0.2)
            span.set_output("because")
        trace.set_output({"answer": "because"})
        trace_id = trace.id
    t = local.last_trace()
    assert str(t.id) == trace_id and t.name == "answer_question" and t.session_id == "conv-1"
    assert t.input == {"question": "why?"} and t.output == {"answer": "because"}
    assert t.metadata == {"rag_v2": True}
    assert [s.name for s in t.spans] == ["retrieve", "generate"]
    retrieve, generate = t.spans
    assert str(retrieve.id) == retrieve_id and retrieve.span_type == "retrieval"
    assert retrieve.output == {"doc_count": 5}
    assert generate.model == "gpt-4o-mini" and generate.prompt_tokens == 12 and generate.completion_tokens == 7
    assert generate.metadata == {"temperature": 0.2} and generate.output == "because"
    assert all(s.parent_span_id is None for s in t.spans)
    assert t.ended_at >= t.started_at


def test_spans_nest_by_scope(local):
    with trulayer.trace("agent") as trace:
        with trace.span("turn", span_type="agent") as outer:
            with trace.span("tool", span_type="tool") as inner:
                assert trulayer.current_span() is inner
            assert trulayer.current_span() is outer
        with trace.span("after"):
            pass
    spans = {s.name: s for s in local.last_trace().spans}
    assert spans["tool"].parent_span_id == spans["turn"].id
    assert spans["turn"].parent_span_id is None and spans["after"].parent_span_id is None


def test_current_trace_follows_the_scope(local):
    assert trulayer.current_trace() is None
    with trulayer.trace("outer") as trace:
        assert trulayer.current_trace() is trace
    assert trulayer.current_trace() is None


def test_exception_is_recorded_and_reraised_untouched(local):
    err = KeyError("missing")
    with pytest.raises(KeyError) as caught:
        with trulayer.trace("failing") as trace:
            with trace.span("step"):
                raise err
    assert caught.value is err
    t = local.last_trace()
    assert t.error.type == "KeyError" and "missing" in t.error.message
    assert t.spans[0].error.type == "KeyError"


def test_set_error_records_a_handled_failure(local):
    with trulayer.trace("handled") as trace:
        with trace.span("lookup") as span:
            span.set_error(ValueError("empty namespace"))
        trace.set_error("gave up")
    t = local.last_trace()
    assert t.spans[0].error.type == "ValueError" and t.spans[0].error.message == "empty namespace"
    assert t.error.type is None and t.error.message == "gave up"


def test_values_are_captured_at_set_time(local):
    payload = {"items": [1, 2]}
    with trulayer.trace("mutation") as trace:
        trace.set_input(payload)
        payload["items"].append(3)
    assert local.last_trace().input == {"items": [1, 2]}


def test_unusual_values_are_converted_not_rejected(local):
    class Thing:
        def __str__(self):
            return "a thing"

    with trulayer.trace("values") as trace:
        trace.set_input({"nan": float("nan"), "big": 2**70, "set": {1}, "tuple": (1, "a"), "obj": Thing(), 3: "int key"})
    assert local.last_trace().input == {"nan": "NaN", "big": str(2**70), "set": [1], "tuple": [1, "a"],
                                        "obj": "a thing", "3": "int key"}


def test_tags_tag_map_cost_events_user(local):
    with trulayer.trace("tagged", user_id="u-1", tags=["prod"]) as trace:
        trace.set_tags("v2", plan="pro")
        trace.set_cost(0.25)
        trace.add_event("cache miss", level="warn", metadata={"key": "k"})
        with trace.span("s") as span:
            span.add_event("retrying")
            span.set_cost(0.01)
    t = local.last_trace()
    assert t.tags == ["prod", "v2"] and t.tag_map == {"plan": "pro"}
    assert t.cost == 0.25 and t.user_id == "u-1" and t.spans[0].cost == 0.01
    levels = {e.message: (e.level, e.span_id) for e in t.events}
    assert levels["cache miss"] == ("warn", None)
    assert levels["retrying"] == ("info", t.spans[0].id)
    with pytest.raises(ValueError, match="level"):
        trace.add_event("x", level="loud")


def test_async_traces_nest_across_await(local):
    async def step(trace, name):
        with trace.span(name) as span:
            await asyncio.sleep(0.001)
            with trace.span(name + ".child"):
                await asyncio.sleep(0)
            return span.id

    async def main():
        async with trulayer.atrace("async") as trace:
            assert trulayer.current_trace() is trace
            return await asyncio.gather(step(trace, "a"), step(trace, "b"))

    ids = asyncio.run(main())
    spans = {s.name: s for s in local.last_trace().spans}
    assert str(spans["a.child"].parent_span_id) == ids[0]
    assert str(spans["b.child"].parent_span_id) == ids[1]


def test_threads_with_copied_context_keep_the_parent(local):
    with trulayer.trace("threads") as trace:
        with trace.span("fan-out") as parent:
            def work(i):
                with trulayer.current_trace().span(f"w{i}"):
                    pass
            with ThreadPoolExecutor(2) as pool:
                futures = [pool.submit(contextvars.copy_context().run, work, i) for i in range(2)]
                [f.result() for f in futures]
            ctx = contextvars.copy_context()
            t = threading.Thread(target=ctx.run, args=(work, 9))
            t.start()
            t.join()
    spans = {s.name: s for s in local.last_trace().spans}
    for name in ("w0", "w1", "w9"):
        assert spans[name].parent_span_id == spans["fan-out"].id


def test_span_ending_after_its_trace_is_counted_late(local):
    with trulayer.trace("early") as trace:
        span = trace.span("straggler")
    span.end()
    assert trulayer.get_client().stats()["late_spans"] == 1
    assert local.last_trace().spans == []


def test_scrub_fn_reaches_strings_nested_in_dicts(monkeypatch):
    import re

    email = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")

    def scrub(value):
        if isinstance(value, str):
            return email.sub("[email]", value)
        return value

    monkeypatch.setenv("TRULAYER_MODE", "local")
    trulayer.init(project_name="prod", scrub_fn=scrub)
    with pytest.raises(RuntimeError):
        with trulayer.trace("pii") as trace:
            trace.set_input({"user": {"contact": ["a.b@example.com"]}, "n": 1})
            trace.set_output("mail me at x@y.org")
            raise RuntimeError("failed for z@q.io")
    t = trulayer.testing.last_trace()
    assert t.input == {"user": {"contact": ["[email]"]}, "n": 1}
    assert t.output == "mail me at [email]"
    assert t.error.message == "failed for [email]"


def test_failing_scrub_fn_fails_closed_and_reports(monkeypatch):
    def scrub(value):
        raise ValueError("scrubber bug")

    monkeypatch.setenv("TRULAYER_MODE", "local")
    client = trulayer.init(project_name="p", scrub_fn=scrub)
    reports = []
    client.on_error(reports.append)
    with trulayer.trace("t") as trace:
        trace.set_input({"secret": "a@b.co"})
    assert trulayer.testing.last_trace().input == {"secret": "[scrub_fn failed]"}
    client.shutdown()
    assert any(r.kind == "scrub" and "scrubber bug" in r.message for r in reports)


def test_sample_rate_callable_sees_errors(monkeypatch):
    monkeypatch.setenv("TRULAYER_MODE", "local")
    seen = []

    def sample(ctx):
        seen.append(ctx.has_error)
        return ctx.has_error

    trulayer.init(project_name="p", sample_rate=sample)
    with trulayer.trace("fine"):
        pass
    with trulayer.trace("bad") as trace:
        with trace.span("s") as span:
            span.set_error("boom")
    assert seen == [False, True]
    assert [t.name for t in trulayer.testing.traces()] == ["bad"]
    assert trulayer.get_client().stats()["sampled_out"] == 1


def test_float_sample_rate_zero_keeps_nothing(monkeypatch):
    monkeypatch.setenv("TRULAYER_MODE", "local")
    trulayer.init(project_name="p", sample_rate=0.0)
    with trulayer.trace("dropped"):
        pass
    assert trulayer.testing.traces() == []


def test_metadata_validator_drops_rejected_metadata_and_reports(monkeypatch):
    monkeypatch.setenv("TRULAYER_MODE", "local")
    client = trulayer.init(project_name="p", metadata_validator=lambda md: "email" not in md)
    errors = []
    trulayer.on_error(errors.append)
    try:
        with trulayer.trace("t", metadata={"plan": "pro"}) as trace:
            trace.set_metadata(email="a@b.co")
    finally:
        t = trulayer.testing.last_trace()  # the trace still ships
        client.shutdown()
        trulayer._global_handlers.remove(errors.append)
    assert t.metadata == {"plan": "pro"}
    assert len(errors) == 1 and isinstance(errors[0], trulayer.ValidationError)
    assert client.stats()["metadata_rejected"] == 1


def test_config_errors_are_value_errors_with_the_core_message(monkeypatch):
    with pytest.raises(ValueError, match="api_key"):
        trulayer.init(project="p")
    with pytest.raises(ValueError, match="batch_size"):
        trulayer.init(api_key="k", project="p", batch_size=0)
    monkeypatch.setenv("TRULAYER_SAMPLE_RATE", "2")
    with pytest.raises(ValueError, match="TRULAYER_SAMPLE_RATE"):
        trulayer.init(api_key="k", project="p")


def test_options_come_from_the_environment_and_explicit_args_win(monkeypatch):
    monkeypatch.setenv("TRULAYER_MODE", "local")
    monkeypatch.setenv("TRULAYER_PROJECT", "from-env")
    monkeypatch.setenv("TRULAYER_ENVIRONMENT", "staging")
    assert trulayer.init().project == "from-env"
    client = trulayer.init(project_name="explicit")
    assert client.project == "explicit" and client.environment == "staging"


def test_disabled_client_records_nothing(monkeypatch):
    monkeypatch.setenv("TRULAYER_MODE", "local")
    client = trulayer.init(project="p", enabled=False)
    with trulayer.trace("t"):
        pass
    assert trulayer.testing.traces() == [] and client.stats()["finished"] == 0


def test_repr_never_shows_the_key():
    client = trulayer.TruLayerClient(api_key="tl_secret_123", project="p", endpoint="http://127.0.0.1:9")
    assert "tl_secret_123" not in repr(client)
    client.shutdown(timeout=0)


def test_testing_clear_and_traces(local):
    for name in ("a", "b"):
        with trulayer.trace(name):
            pass
    assert [t.name for t in local.traces()] == ["a", "b"]
    local.clear()
    assert local.last_trace() is None


def test_pytest_fixture_from_the_plugin(trulayer_local):
    with trulayer.trace("via-fixture"):
        pass
    assert trulayer_local.last_trace().name == "via-fixture"


def test_import_is_light_and_starts_nothing():
    import subprocess
    import sys

    code = ("import sys, threading, trulayer; "
            "print(sorted(m for m in ('pydantic', 'openai', 'anthropic', 'langchain_core') if m in sys.modules), "
            "threading.active_count())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[] 1"


def test_models_load_lazily_on_attribute_access():
    from trulayer.models import TraceData

    assert trulayer.TraceData is TraceData
    assert {"SpanData", "FeedbackData", "EventData"} <= set(dir(trulayer.models))
