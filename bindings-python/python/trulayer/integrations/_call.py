"""A span around one provider call, shared by the integrations: it nests under the current
span of the current trace, or opens a trace of its own when none is active."""

from __future__ import annotations

from typing import Any, Optional

from .. import _native
from .._context import current_trace

# Request parameters worth keeping as span metadata (model settings, not payloads).
MODEL_PARAMETERS = ("temperature", "top_p", "max_tokens", "max_completion_tokens", "n", "stop",
                    "presence_penalty", "frequency_penalty", "seed", "tool_choice", "top_k", "dimensions")


class ProviderCall:
    __slots__ = ("span", "_own_trace", "_ended")

    def __init__(self, span: Any, own_trace: Any) -> None:
        self.span = span
        self._own_trace = own_trace
        self._ended = False

    @classmethod
    def start(cls, name: str, span_type: str = "llm") -> Optional["ProviderCall"]:
        """None when the SDK is not initialised: the call then runs untraced."""
        from .. import _client_or_none

        trace = current_trace()
        own = None
        if trace is None or trace.is_finished:
            client = _client_or_none()
            if client is None:
                return None
            trace = own = client.trace(name)
        return cls(trace.span(name, span_type), own)

    def record_request(self, kwargs: dict, input_key: str) -> None:
        span = self.span
        model = kwargs.get("model")
        if model is not None:
            span.set_model(str(model))
        if input_key in kwargs:
            span.set_input(kwargs[input_key])
        params = {k: kwargs[k] for k in MODEL_PARAMETERS if kwargs.get(k) is not None}
        if kwargs.get("tools"):
            params["tools"] = [_tool_name(t) for t in kwargs["tools"]]
        if params:
            span.set_metadata(**params)

    def fail(self, error: BaseException) -> None:
        """Records a provider error with its failure_type, then ends the call."""
        status = getattr(error, "status_code", None)
        failure = _native.classify_failure(type(error).__name__, status if isinstance(status, int) else None,
                                           str(error))
        if failure is not None:
            self.span.set_metadata(failure_type=failure)
        self.span.set_error(error)
        if self._own_trace is not None:
            self._own_trace.set_error(error)
        self.end()

    def end(self) -> None:
        if self._ended:
            return
        self._ended = True
        self.span.end()
        if self._own_trace is not None:
            self._own_trace.end()


def _tool_name(tool: Any) -> str:
    if isinstance(tool, dict):
        fn = tool.get("function")
        if isinstance(fn, dict) and "name" in fn:
            return str(fn["name"])
        return str(tool.get("name", "tool"))
    return str(getattr(tool, "name", tool))


def field(obj: Any, name: str, default: Any = None) -> Any:
    """Reads a field of an SDK response object or of a plain dict."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def patch_method(owner: Any, attr: str, make_wrapper: Any) -> None:
    """Replaces ``owner.attr`` on this instance only; idempotent."""
    current = getattr(owner, attr)
    if getattr(current, "__trulayer_original__", None) is not None:
        return
    wrapper = make_wrapper(owner, current)
    wrapper.__trulayer_original__ = current
    setattr(owner, attr, wrapper)


def unpatch_method(owner: Any, attr: str) -> None:
    current = owner.__dict__.get(attr)
    if current is not None and getattr(current, "__trulayer_original__", None) is not None:
        delattr(owner, attr)
