"""The SDK's exceptions. They are delivered to ``on_error`` handlers, never raised at call
sites of tracing code; the synchronous API methods (list_traces, get_trace, ...) raise them."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time: `import trulayer` stays light
if TYPE_CHECKING:
    from typing import List, Optional


class TruLayerError(Exception):
    """Base class for all SDK errors. ``kind`` names the failure (``network``, ``queue_full``,
    ...), ``status`` is the HTTP status behind it and ``trace_ids`` the traces it lost."""

    def __init__(self, message: str, *, kind: str = "delivery", status: Optional[int] = None,
                 trace_ids: Optional[List[str]] = None) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.status = status
        self.trace_ids = list(trace_ids or [])


class AuthenticationError(TruLayerError):
    """Invalid or revoked API key: shipping stopped for this client."""


class RateLimitError(TruLayerError):
    """Plan limit hit; traces dropped after the retry budget."""


class ValidationError(TruLayerError):
    """A trace, span or metadata payload failed validation."""


_BY_KIND = {
    "authentication": AuthenticationError,
    "rate_limit": RateLimitError,
    "validation": ValidationError,
    "payload_too_large": ValidationError,
    "metadata": ValidationError,
}

_BY_STATUS = {401: AuthenticationError, 403: AuthenticationError, 429: RateLimitError,
              400: ValidationError, 413: ValidationError, 422: ValidationError}


def error_for_report(kind: str, message: str, status: Optional[int], trace_ids: List[str]) -> TruLayerError:
    cls = _BY_KIND.get(kind, TruLayerError)
    return cls(message, kind=kind, status=status, trace_ids=trace_ids)


def error_for_status(status: int, body: str, what: str) -> TruLayerError:
    cls = _BY_STATUS.get(status, TruLayerError)
    return cls(f"{what} failed with HTTP {status}: {body[:500]}", kind="api", status=status)
