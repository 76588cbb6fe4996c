"""Anthropic: ``instrument_anthropic(client)`` patches ``messages.create`` of one
``Anthropic``/``AsyncAnthropic`` client, streaming included (reversible, idempotent)."""

from __future__ import annotations

from typing import Any

from ._call import ProviderCall, field, patch_method, unpatch_method
from ._stream import Accumulator, tool_output, traced_method

MESSAGES = "anthropic.messages.create"


def _content_output(blocks: Any) -> Any:
    texts = [field(b, "text") for b in blocks or [] if field(b, "type") == "text"]
    tools = [{"id": field(b, "id"), "name": field(b, "name"), "input": field(b, "input")}
             for b in blocks or [] if field(b, "type") == "tool_use"]
    return tool_output("".join(t for t in texts if t), tools)


def _record_message(call: ProviderCall, message: Any) -> None:
    call.span.set_output(_content_output(field(message, "content")))
    if field(message, "model"):
        call.span.set_model(field(message, "model"))
    usage = field(message, "usage")
    if usage is not None:
        call.span.set_tokens(prompt_tokens=field(usage, "input_tokens"), completion_tokens=field(usage, "output_tokens"))
    if field(message, "stop_reason"):
        call.span.set_metadata(stop_reason=field(message, "stop_reason"))


def _record_system(call: ProviderCall, kwargs: dict) -> None:
    """Anthropic takes the system prompt apart from the messages; record both as the input."""
    if kwargs.get("system") is not None:
        call.span.set_input({"system": kwargs["system"], "messages": kwargs.get("messages")})


class MessageStream(Accumulator):
    def __init__(self) -> None:
        super().__init__()
        self.input_tokens: Any = None
        self.output_tokens: Any = None

    def add(self, event: Any) -> None:
        kind = field(event, "type")
        if kind == "message_start":
            message = field(event, "message")
            self.model = field(message, "model")
            self.input_tokens = field(field(message, "usage"), "input_tokens")
        elif kind == "content_block_start":
            block = field(event, "content_block")
            if field(block, "type") == "tool_use":
                self.tools[field(event, "index", 0)] = {"id": field(block, "id"), "name": field(block, "name"), "input": ""}
        elif kind == "content_block_delta":
            delta = field(event, "delta")
            if field(delta, "type") == "text_delta":
                self.text.append(field(delta, "text") or "")
            elif field(delta, "type") == "input_json_delta" and field(event, "index", 0) in self.tools:
                self.tools[field(event, "index", 0)]["input"] += field(delta, "partial_json") or ""
        elif kind == "message_delta":
            self.output_tokens = field(field(event, "usage"), "output_tokens", self.output_tokens)

    def record_usage(self, call: ProviderCall) -> None:
        call.span.set_tokens(prompt_tokens=self.input_tokens, completion_tokens=self.output_tokens)


def instrument_anthropic(client: Any) -> None:
    """Every ``client.messages.create`` call (plain or ``stream=True``) becomes an ``llm``
    span: model, messages, output text or tool uses, tokens, latency, errors with failure_type."""
    patch_method(client.messages, "create",
                 lambda owner, original: traced_method(owner, original, MESSAGES, "messages", _record_system,
                                                _record_message, MessageStream))


def uninstrument_anthropic(client: Any) -> None:
    """Restores the client's original method."""
    unpatch_method(client.messages, "create")
