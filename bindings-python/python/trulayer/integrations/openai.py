"""OpenAI: ``instrument_openai(client)`` patches ``chat.completions.create`` and
``embeddings.create`` of one ``OpenAI``/``AsyncOpenAI`` client (reversible, idempotent)."""

from __future__ import annotations

from typing import Any

from ._call import ProviderCall, field, patch_method, unpatch_method
from ._stream import Accumulator, tool_output, traced_method

CHAT = "openai.chat.completions.create"
EMBEDDINGS = "openai.embeddings.create"


def _message_output(message: Any) -> Any:
    content = field(message, "content")
    tool_calls = field(message, "tool_calls")
    return tool_output(content, [
        {"id": field(tc, "id"), "name": field(field(tc, "function"), "name"),
         "arguments": field(field(tc, "function"), "arguments")} for tc in tool_calls or []])


def _record_usage(call: ProviderCall, usage: Any) -> None:
    if usage is not None:
        call.span.set_tokens(prompt_tokens=field(usage, "prompt_tokens"),
                             completion_tokens=field(usage, "completion_tokens"))


def _record_chat(call: ProviderCall, response: Any) -> None:
    choices = field(response, "choices") or []
    if choices:
        call.span.set_output(_message_output(field(choices[0], "message")))
    if field(response, "model"):
        call.span.set_model(field(response, "model"))
    _record_usage(call, field(response, "usage"))


def _ask_for_usage(call: ProviderCall, kwargs: dict) -> None:
    """Streams report token usage only when asked; ask unless the caller chose otherwise."""
    if kwargs.get("stream") and "stream_options" not in kwargs:
        kwargs["stream_options"] = {"include_usage": True}


class ChatStream(Accumulator):
    def __init__(self) -> None:
        super().__init__()
        self.usage: Any = None

    def add(self, chunk: Any) -> None:
        self.model = field(chunk, "model") or self.model
        if field(chunk, "usage") is not None:
            self.usage = field(chunk, "usage")
        for choice in field(chunk, "choices") or []:
            delta = field(choice, "delta")
            if delta is None:
                continue
            if field(delta, "content"):
                self.text.append(field(delta, "content"))
            for tc in field(delta, "tool_calls") or []:
                slot = self.tools.setdefault(field(tc, "index", 0), {"id": None, "name": None, "arguments": ""})
                fn = field(tc, "function")
                slot["id"] = field(tc, "id") or slot["id"]
                if fn is not None:
                    slot["name"] = field(fn, "name") or slot["name"]
                    slot["arguments"] += field(fn, "arguments") or ""

    def record_usage(self, call: ProviderCall) -> None:
        _record_usage(call, self.usage)


def _record_embeddings(call: ProviderCall, response: Any) -> None:
    data = field(response, "data") or []
    dims = len(field(data[0], "embedding") or []) if data else 0
    call.span.set_output({"embeddings": len(data), "dimensions": dims})
    usage = field(response, "usage")
    if usage is not None:
        call.span.set_tokens(prompt_tokens=field(usage, "prompt_tokens"))


def _no_stream() -> Accumulator:
    raise TypeError("embeddings do not stream")


def instrument_openai(client: Any) -> None:
    """Every ``client.chat.completions.create`` and ``client.embeddings.create`` call becomes
    an ``llm`` span (model, messages, output or tool calls, tokens, latency, errors with
    failure_type), nested under the current span. Streams ask for usage by default
    (``stream_options={"include_usage": True}``; pass your own stream_options to opt out)."""
    patch_method(client.chat.completions, "create",
                 lambda owner, original: traced_method(owner, original, CHAT, "messages", _ask_for_usage, _record_chat, ChatStream))
    patch_method(client.embeddings, "create",
                 lambda owner, original: traced_method(owner, original, EMBEDDINGS, "input", lambda call, kw: None,
                                                _record_embeddings, _no_stream))


def uninstrument_openai(client: Any) -> None:
    """Restores the client's original methods."""
    unpatch_method(client.chat.completions, "create")
    unpatch_method(client.embeddings, "create")
