"""@trulayer.observe for every kind of function, and the block/current-scope helpers."""

from __future__ import annotations

import asyncio

import pytest

import trulayer
from trulayer import observe, update_current_span, update_current_trace, using_attributes


@observe(name="lookup", type="tool")
def lookup(key, default=None):
    return {"key": key, "value": default}


@observe(type="agent")
async def agent(question):
    await asyncio.sleep(0)
    return lookup(question, default=1)


@observe
def numbers(n):
    for i in range(n):
        yield lookup(i)["key"]


@observe(name="async_numbers", type="retrieval")
async def async_numbers(n):
    for i in range(n):
        await asyncio.sleep(0)
        yield i


@observe(name="secret", capture_input=False, capture_output=False)
def secret(password):
    return password[::-1]


def test_sync_function_inside_a_trace_is_a_span(local):
    with trulayer.trace("t"):
        assert lookup("k", default=2) == {"key": "k", "value": 2}
    span = local.last_trace().spans[0]
    assert span.name == "lookup" and span.span_type == "tool"
    assert span.input == {"key": "k", "default": 2} and span.output == {"key": "k", "value": 2}


def test_outside_a_trace_the_call_is_the_trace_and_nests_inner_calls(local):
    assert asyncio.run(agent("q")) == {"key": "q", "value": 1}
    t = local.last_trace()
    assert t.name == "agent" and t.input == {"question": "q"} and t.output == {"key": "q", "value": 1}
    assert [s.name for s in t.spans] == ["lookup"] and t.spans[0].parent_span_id is None


def test_async_function_span_is_parent_of_inner_calls(local):
    async def main():
        async with trulayer.atrace("outer"):
            await agent("x")

    asyncio.run(main())
    spans = {s.name: s for s in local.last_trace().spans}
    assert spans["agent"].span_type == "agent" and spans["lookup"].parent_span_id == spans["agent"].id


def test_generator_span_covers_iteration_and_records_items(local):
    with trulayer.trace("gen"):
        assert list(numbers(3)) == [0, 1, 2]
    spans = {s.name: s for s in local.last_trace().spans}
    gen = spans["numbers"]
    assert gen.output == [0, 1, 2]
    assert all(s.parent_span_id == gen.id for s in local.last_trace().spans if s.name == "lookup")


def test_generator_closed_early_ends_its_span(local):
    with trulayer.trace("gen"):
        g = numbers(10)
        next(g)
        g.close()
        assert trulayer.current_span() is None
    gen = local.last_trace().span("numbers")
    assert gen.output == [0] and gen.error is None


def test_async_generator(local):
    async def main():
        async with trulayer.atrace("agen"):
            return [i async for i in async_numbers(3)]

    assert asyncio.run(main()) == [0, 1, 2]
    span = local.last_trace().span("async_numbers")
    assert span.span_type == "retrieval" and span.output == [0, 1, 2]


def test_capture_switches(local):
    with trulayer.trace("t"):
        secret("hunter2")
    span = local.last_trace().spans[0]
    assert span.input is None and span.output is None


def test_exceptions_are_recorded_and_reraised(local):
    @observe(name="broken")
    def broken():
        raise ZeroDivisionError("nope")

    with pytest.raises(ZeroDivisionError):
        with trulayer.trace("t"):
            broken()
    assert local.last_trace().spans[0].error.type == "ZeroDivisionError"


def test_not_initialised_runs_untraced():
    assert lookup("k") == {"key": "k", "value": None}
    assert list(numbers(2)) == [0, 1]


def test_using_attributes_applies_to_traces_in_the_block(local):
    with using_attributes(user_id="u-1", session_id="s-1", tags=["a"], metadata={"feature": "chat"}):
        with using_attributes(tags=["b"]):
            lookup("k")
    lookup("outside")
    inside, outside = local.traces()
    assert (inside.user_id, inside.session_id, inside.tags, inside.metadata) == ("u-1", "s-1", ["a", "b"],
                                                                                  {"feature": "chat"})
    assert outside.user_id is None and outside.tags == []


def test_update_current_span_and_trace(local):
    assert update_current_span(name="nothing") is False
    with trulayer.trace("t"):
        with trulayer.current_trace().span("s"):
            update_current_span(name="renamed", input={"q": 1}, output="o", metadata={"k": "v"}, model="gpt-4o",
                                model_parameters={"temperature": 0.7}, usage={"input_tokens": 100, "output_tokens": 50})
        update_current_trace(user_id="u", session_id="sess", tags=["x"], metadata={"plan": "pro"})
    t = local.last_trace()
    s = t.spans[0]
    assert (s.name, s.input, s.output, s.model, s.prompt_tokens, s.completion_tokens) == (
        "renamed", {"q": 1}, "o", "gpt-4o", 100, 50)
    assert s.metadata == {"k": "v", "model_parameters": {"temperature": 0.7}}
    assert (t.user_id, t.session_id, t.tags, t.metadata) == ("u", "sess", ["x"], {"plan": "pro"})
