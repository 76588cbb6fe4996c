"""instrument_anthropic with the real anthropic package against the fake provider over HTTP."""

from __future__ import annotations

import asyncio

import anthropic
import pytest

import trulayer

MESSAGES = [{"role": "user", "content": "Say hello"}]


def make(provider, cls):
    c = cls(api_key="sk-ant-test", base_url=provider.url, max_retries=0, timeout=5)
    trulayer.instrument_anthropic(c)
    return c


def test_messages_create(provider, local):
    client = make(provider, anthropic.Anthropic)
    with trulayer.trace("chat") as trace:
        with trace.span("agent", span_type="agent") as agent:
            msg = client.messages.create(model="claude-3-5-haiku", max_tokens=50, system="Be brief",
                                         messages=MESSAGES)
    assert msg.content[0].text == "Hello there"
    span = local.last_trace().span("anthropic.messages.create")
    assert str(span.parent_span_id) == agent.id and span.span_type == "llm"
    assert span.model == "claude-3-5-haiku" and span.output == "Hello there"
    assert span.input == {"system": "Be brief", "messages": MESSAGES}
    assert (span.prompt_tokens, span.completion_tokens) == (12, 4)
    assert span.metadata["max_tokens"] == 50 and span.metadata["stop_reason"] == "end_turn"


def test_messages_stream(provider, local):
    client = make(provider, anthropic.Anthropic)
    with trulayer.trace("stream"):
        events = list(client.messages.create(model="claude-3-5-haiku", max_tokens=50, messages=MESSAGES,
                                             stream=True))
    assert events[-1].type == "message_stop"
    span = local.last_trace().spans[0]
    assert span.output == "Hello there" and (span.prompt_tokens, span.completion_tokens) == (12, 4)


def test_async_messages_plain_and_stream(provider, local):
    client = make(provider, anthropic.AsyncAnthropic)

    async def main():
        async with trulayer.atrace("async"):
            await client.messages.create(model="claude-3-5-haiku", max_tokens=50, messages=MESSAGES)
            stream = await client.messages.create(model="claude-3-5-haiku", max_tokens=50, messages=MESSAGES,
                                                  stream=True)
            async for _ in stream:
                pass

    asyncio.run(main())
    spans = local.last_trace().spans
    assert [s.output for s in spans] == ["Hello there", "Hello there"]
    assert spans[1].completion_tokens == 4


def test_rate_limit_is_classified(provider, local):
    client = make(provider, anthropic.Anthropic)
    with pytest.raises(anthropic.RateLimitError):
        client.messages.create(model="rate-limited", max_tokens=5, messages=MESSAGES)
    t = local.last_trace()
    assert t.spans[0].metadata["failure_type"] == "rate_limit" and t.error.type == "RateLimitError"


def test_uninstrument(provider, local):
    client = make(provider, anthropic.Anthropic)
    trulayer.uninstrument_anthropic(client)
    client.messages.create(model="claude-3-5-haiku", max_tokens=5, messages=MESSAGES)
    assert local.traces() == []
