"""TruLayer: tracing for LLM applications, on a Rust engine.

    import trulayer
    trulayer.init(api_key="...", project="my-app")
    with trulayer.trace("answer_question") as trace:
        with trace.span("retrieve", span_type="retrieval") as span:
            span.set_output({"doc_count": 5})

Heavy modules (pydantic models, provider integrations, ``trulayer.testing``) load on first use.
"""

from __future__ import annotations

import threading

TYPE_CHECKING = False  # typing is not imported at run time: `import trulayer` stays light

from ._client import TruLayerClient, _global_handlers, _live_clients
from ._context import SpanContext, TraceContext, current_span, current_trace
from ._errors import AuthenticationError, RateLimitError, TruLayerError, ValidationError
from ._native import CORE_VERSION
from ._observe import observe
from ._scope import update_current_span, update_current_trace, using_attributes

if TYPE_CHECKING:
    from typing import Any, Callable, Optional

    from . import testing
    from .integrations.anthropic import instrument_anthropic, uninstrument_anthropic
    from .integrations.langchain import instrument_langchain
    from .integrations.openai import instrument_openai, uninstrument_openai
    from .models import ErrorInfo, EvalResult, EventData, FeedbackData, Metrics, SpanData, TraceData

__version__ = "0.2.0"

_client: Optional[TruLayerClient] = None
_client_lock = threading.Lock()


def init(*args: Any, **kwargs: Any) -> TruLayerClient:
    """Creates the process-wide client (see TruLayerClient for the options) and returns it.
    Calling it again replaces the global client after shutting the previous one down."""
    global _client
    client = TruLayerClient(*args, **kwargs)
    with _client_lock:
        previous, _client = _client, client
    if previous is not None:
        previous.shutdown()
    return client


def get_client() -> TruLayerClient:
    """The global client; RuntimeError if init() has not been called."""
    client = _client
    if client is None:
        raise RuntimeError("trulayer.init() has not been called")
    return client


def _client_or_none() -> Optional[TruLayerClient]:
    return _client


def trace(name: str, session_id: Optional[str] = None, metadata: Optional[dict] = None, **kwargs: Any) -> TraceContext:
    """A new trace on the global client (``with trulayer.trace("name") as trace: ...``)."""
    client = _client
    if client is None:
        return get_client().trace(name)  # raises the RuntimeError
    return client.trace(name, session_id, metadata, **kwargs)


def atrace(name: str, session_id: Optional[str] = None, metadata: Optional[dict] = None, **kwargs: Any) -> TraceContext:
    """The same, for ``async with``."""
    return get_client().trace(name, session_id, metadata, **kwargs)


def flush(timeout: Optional[float] = None) -> bool:
    """Blocks until the global client's traces were shipped (at most ``timeout`` seconds)."""
    client = _client
    return client.flush(timeout) if client is not None else True


def shutdown(timeout: Optional[float] = None) -> bool:
    """Flushes and stops the global client. Also runs at process exit."""
    global _client
    with _client_lock:
        client, _client = _client, None
    return client.shutdown(timeout) if client is not None else True


def on_error(handler: Callable[[TruLayerError], Any]) -> Callable[[TruLayerError], Any]:
    """Calls ``handler(error)`` for every failure of every client (on a background thread).
    Returns the handler, so it also works as a decorator."""
    _global_handlers.append(handler)
    for client in list(_live_clients):
        client._errors.start()
    return handler


_LAZY = {
    "TraceData": "models", "SpanData": "models", "FeedbackData": "models", "EventData": "models",
    "ErrorInfo": "models", "EvalResult": "models", "Metrics": "models",
    "instrument_openai": "integrations.openai", "uninstrument_openai": "integrations.openai",
    "instrument_anthropic": "integrations.anthropic", "uninstrument_anthropic": "integrations.anthropic",
    "instrument_langchain": "integrations.langchain",
}


def __getattr__(name: str) -> Any:
    import importlib

    if name == "testing":
        return importlib.import_module(".testing", __name__)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'trulayer' has no attribute {name!r}")
    value = getattr(importlib.import_module("." + module, __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "init", "get_client", "trace", "atrace", "current_trace", "current_span", "flush", "shutdown", "on_error",
    "TruLayerClient", "TraceContext", "SpanContext", "TruLayerError", "AuthenticationError", "RateLimitError",
    "ValidationError", "observe", "using_attributes", "update_current_span", "update_current_trace",
    "CORE_VERSION", "testing", *_LAZY,
]
