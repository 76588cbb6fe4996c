"""instrument_openai with the real openai package against the fake provider over HTTP."""

from __future__ import annotations

import asyncio

import openai
import pytest

import trulayer

MESSAGES = [{"role": "user", "content": "Say hello"}]


@pytest.fixture
def client(provider, local):
    c = openai.OpenAI(api_key="sk-test", base_url=provider.url + "/v1", max_retries=0, timeout=5)
    trulayer.instrument_openai(c)
    return c


@pytest.fixture
def aclient(provider, local):
    c = openai.AsyncOpenAI(api_key="sk-test", base_url=provider.url + "/v1", max_retries=0, timeout=5)
    trulayer.instrument_openai(c)
    return c


def test_chat_completion_nests_under_the_current_span(client, local):
    with trulayer.trace("answer") as trace:
        with trace.span("generate", span_type="custom") as outer:
            response = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, temperature=0.1)
    assert response.choices[0].message.content == "Hello there"
    t = local.last_trace()
    llm = t.span("openai.chat.completions.create")
    assert str(llm.parent_span_id) == outer.id and llm.span_type == "llm"
    assert llm.model == "gpt-4o-mini" and llm.input == MESSAGES and llm.output == "Hello there"
    assert (llm.prompt_tokens, llm.completion_tokens) == (9, 3)
    assert llm.metadata["temperature"] == 0.1


def test_call_outside_a_trace_gets_a_trace_of_its_own(client, local):
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    t = local.last_trace()
    assert t.name == "openai.chat.completions.create" and [s.name for s in t.spans] == [t.name]


def test_stream_asks_for_usage_and_records_the_whole_output(client, local, provider):
    with trulayer.trace("stream"):
        stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
        pieces = [c.choices[0].delta.content for c in stream if c.choices and c.choices[0].delta.content]
    assert "".join(pieces) == "Hello there"
    assert provider.requests[-1][1]["stream_options"] == {"include_usage": True}
    llm = local.last_trace().spans[0]
    assert llm.output == "Hello there" and (llm.prompt_tokens, llm.completion_tokens) == (9, 3)


def test_stream_closed_early_keeps_partial_output(client, local):
    with trulayer.trace("partial"):
        with client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True) as stream:
            first = next(iter(stream))
    assert first.choices[0].delta.content == "Hel"
    assert local.last_trace().spans[0].output == "Hel"


def test_tool_calls_plain_and_streamed(client, local):
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    with trulayer.trace("tools"):
        client.chat.completions.create(model="tool-model", messages=MESSAGES, tools=tools)
        for _ in client.chat.completions.create(model="tool-model", messages=MESSAGES, tools=tools, stream=True):
            pass
    plain, streamed = local.last_trace().spans
    expected = [{"id": "call_1", "name": "get_weather", "arguments": '{"city":"Paris"}'}]
    assert plain.output == {"content": None, "tool_calls": expected}
    assert streamed.output == {"content": None, "tool_calls": expected}
    assert plain.metadata["tools"] == ["get_weather"]


def test_embeddings(client, local):
    with trulayer.trace("embed"):
        client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    span = local.last_trace().spans[0]
    assert span.name == "openai.embeddings.create" and span.output == {"embeddings": 2, "dimensions": 3}
    assert span.prompt_tokens == 4 and span.input == ["a", "b"]


@pytest.mark.parametrize("model,error,failure", [
    ("rate-limited", openai.RateLimitError, "rate_limit"),
    ("too-long", openai.BadRequestError, "context_length"),
])
def test_errors_are_classified_and_reraised(client, local, model, error, failure):
    with pytest.raises(error):
        with trulayer.trace("failing"):
            client.chat.completions.create(model=model, messages=MESSAGES)
    span = local.last_trace().spans[0]
    assert span.error.type == error.__name__ and span.metadata["failure_type"] == failure


def test_unparseable_response_is_classified(client, local):
    with pytest.raises(Exception) as caught:
        client.chat.completions.create(model="garbled", messages=MESSAGES)
    span = local.last_trace().spans[0]
    assert span.error.type == type(caught.value).__name__
    assert span.metadata["failure_type"] == "invalid_response"


def test_timeout_is_classified(provider, local):
    c = openai.OpenAI(api_key="sk-test", base_url=provider.url + "/v1", max_retries=0, timeout=0.3)
    trulayer.instrument_openai(c)
    with pytest.raises(openai.APITimeoutError):
        c.chat.completions.create(model="slow", messages=MESSAGES)
    assert local.last_trace().spans[0].metadata["failure_type"] == "timeout"


def test_async_client_plain_and_stream(aclient, local):
    async def main():
        async with trulayer.atrace("async") as trace:
            with trace.span("step") as step:
                await aclient.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
                stream = await aclient.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
                async for _ in stream:
                    pass
            return step.id

    step_id = asyncio.run(main())
    spans = [s for s in local.last_trace().spans if s.span_type == "llm"]
    assert len(spans) == 2 and all(str(s.parent_span_id) == step_id for s in spans)
    assert [s.output for s in spans] == ["Hello there", "Hello there"]
    assert spans[1].completion_tokens == 3


def test_uninstrument_restores_and_instrument_is_idempotent(client, local):
    trulayer.instrument_openai(client)
    with trulayer.trace("twice"):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert len(local.last_trace().spans) == 1
    trulayer.uninstrument_openai(client)
    local.clear()
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert local.traces() == []


def test_untraced_when_not_initialised(provider):
    c = openai.OpenAI(api_key="sk-test", base_url=provider.url + "/v1", max_retries=0)
    trulayer.instrument_openai(c)
    assert c.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES).choices[0].message.content == "Hello there"
