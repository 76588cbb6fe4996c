"""The current trace and span. The innermost open span (or the trace, when none of its spans
is open) lives in a context variable made by the native module, so it follows ``await`` and
threads started with a copied context. ``TraceContext`` and ``SpanContext`` are native classes:
entering, leaving and the setters are one call each."""

from __future__ import annotations

from ._native import SpanContext, TraceContext
from ._native import _scope_var as _current_scope

TYPE_CHECKING = False  # typing is not imported at run time: `import trulayer` stays light
if TYPE_CHECKING:
    from typing import Optional

__all__ = ["SpanContext", "TraceContext", "current_span", "current_trace"]


def current_trace() -> Optional[TraceContext]:
    """The trace active in this context, or None."""
    scope = _current_scope.get()
    return scope._trace if type(scope) is SpanContext else scope


def current_span() -> Optional[SpanContext]:
    """The innermost span active in this context, or None."""
    scope = _current_scope.get()
    return scope if type(scope) is SpanContext else None
