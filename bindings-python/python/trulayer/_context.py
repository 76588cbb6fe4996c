"""The current trace and span, kept in context variables so they follow ``await`` and threads
started with a copied context, and the context managers that set them."""

from __future__ import annotations

from contextvars import ContextVar
from . import _native

TYPE_CHECKING = False  # typing is not imported at run time: `import trulayer` stays light
if TYPE_CHECKING:
    from typing import Any, Optional

_current_trace: ContextVar[Optional["TraceContext"]] = ContextVar("trulayer_trace", default=None)
_current_span: ContextVar[Optional["SpanContext"]] = ContextVar("trulayer_span", default=None)


def current_trace() -> Optional["TraceContext"]:
    """The trace active in this context, or None."""
    return _current_trace.get()


def current_span() -> Optional["SpanContext"]:
    """The innermost span active in this context, or None."""
    return _current_span.get()


def _reset(var: ContextVar, token: Any) -> None:
    # A scope closed from another context (a generator finalized by another task) cannot
    # reset its token; ending the span still matters more than restoring that context.
    try:
        var.reset(token)
    except ValueError:
        pass


class SpanContext(_native.Span):
    """One step of a trace. Use it as a (sync or async) context manager; an exception leaving
    the block is recorded on the span and re-raised."""

    __slots__ = ("_trace", "_token")

    def __enter__(self) -> "SpanContext":
        self._token = _current_span.set(self)
        return self

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> None:
        # The hot path: calls are inlined here on purpose (each Python call costs ~0.1 µs).
        if exc is not None:
            self.set_error(exc)
        self.end()
        try:
            _current_span.reset(self._token)
        except ValueError:
            pass  # see _reset

    def _activate(self) -> Any:
        """Makes this span current for one step of a generator; undo with _deactivate."""
        return _current_span.set(self)

    def _deactivate(self, token: Any) -> None:
        _reset(_current_span, token)

    async def __aenter__(self) -> "SpanContext":
        return self.__enter__()

    async def __aexit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> None:
        self.__exit__(exc_type, exc, tb)

    def span(self, name: str, span_type: str = "custom") -> "SpanContext":
        """A child of this span (use when this span is not the current one)."""
        child = SpanContext(self._trace, name, span_type, self)
        child._trace = self._trace
        return child

    def __repr__(self) -> str:
        return f"<SpanContext {self.name!r} type={self.span_type} id={self.id}>"


class TraceContext(_native.Trace):
    """One unit of work. Use it as a (sync or async) context manager; the trace is handed to
    the engine when the block ends."""

    __slots__ = ("_client", "_tokens")

    def __enter__(self) -> "TraceContext":
        self._tokens = (_current_trace.set(self), _current_span.set(None))
        return self

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> None:
        if exc is not None:
            self.set_error(exc)
        trace_token, span_token = self._tokens
        try:
            _current_span.reset(span_token)
            _current_trace.reset(trace_token)
        except ValueError:
            pass  # see _reset
        client = self._client
        if client._sampler is None:
            self.finish(None)
        else:
            client._finish(self)

    def _activate(self) -> Any:
        return (_current_trace.set(self), _current_span.set(None))

    def _deactivate(self, tokens: Any) -> None:
        _reset(_current_span, tokens[1])
        _reset(_current_trace, tokens[0])

    async def __aenter__(self) -> "TraceContext":
        return self.__enter__()

    async def __aexit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> None:
        self.__exit__(exc_type, exc, tb)

    def span(self, name: str, span_type: str = "custom", parent: Optional[SpanContext] = None) -> SpanContext:
        """A span of this trace, child of ``parent`` or else of the span current in this
        context (when it belongs to this trace)."""
        if parent is None:
            current = _current_span.get()
            if current is not None and current._trace is self:
                parent = current
        span = SpanContext(self, name, span_type, parent)
        span._trace = self
        return span

    def end(self) -> None:
        """Ends a trace that was not used as a context manager."""
        self._client._finish(self)

    def set_tags(self, *tags: str, **tag_map: str) -> None:
        """Plain labels (``set_tags("prod", "v2")``) and key→value tags (``set_tags(plan="pro")``)."""
        if tags:
            self.add_tags(list(tags))
        for key, value in tag_map.items():
            self.set_tag(key, str(value))

    def __repr__(self) -> str:
        return f"<TraceContext {self.name!r} id={self.id}>"
