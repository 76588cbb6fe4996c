"""TruLayerClient: configuration, trace creation, lifecycle and error delivery."""

from __future__ import annotations

import atexit
import os
import threading
import weakref

from . import _native
from ._context import TraceContext
from ._errors import TruLayerError, error_for_report

TYPE_CHECKING = False  # typing is not imported at run time: `import trulayer` stays light
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Optional, Tuple

    ErrorHandler = Callable[[TruLayerError], Any]

# Handlers registered with trulayer.on_error(): they hear from every client.
_global_handlers: "List[ErrorHandler]" = []
_live_clients: "weakref.WeakSet[TruLayerClient]" = weakref.WeakSet()
_process_hooks_installed = False


def _option_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _install_process_hooks() -> None:
    """Exit flushes every client within its shutdown timeout; a forked child gets working
    clients with empty queues. Installed by the first client, never at import."""
    global _process_hooks_installed
    if _process_hooks_installed:
        return
    _process_hooks_installed = True
    atexit.register(_shutdown_all)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_after_fork_in_child)


def _shutdown_all() -> None:
    for client in list(_live_clients):
        client.shutdown()


def _after_fork_in_child() -> None:
    for client in list(_live_clients):
        client._after_fork()


class _ErrorDispatcher:
    """Runs on_error handlers on a Python daemon thread that waits for the core's reports with
    the GIL released; the core's worker thread never runs Python."""

    def __init__(self, native: _native.Client) -> None:
        self._native = native
        self.handlers: List[ErrorHandler] = []
        self._pid: Optional[int] = None
        self._thread: Optional[threading.Thread] = None
        self._stop = threading.Event()

    def start(self) -> None:
        if self._pid == os.getpid() or self._stop.is_set():
            return
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._run, name="trulayer-on-error", daemon=True)
        self._thread.start()

    def forget_thread(self) -> None:
        """After fork the thread does not exist in the child; the next start() makes one."""
        self._pid = None
        self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            report = self._native.next_error(0.25)
            if report is not None:
                self.deliver(report)

    def deliver(self, report: Tuple[str, str, Optional[int], List[str]]) -> None:
        error = error_for_report(*report)
        for handler in self.handlers + _global_handlers:
            try:
                handler(error)
            except Exception:  # a failing handler must not stop the others
                import logging

                logging.getLogger("trulayer").exception("trulayer: on_error handler %r raised", handler)

    def stop_and_drain(self) -> None:
        """Lets the thread finish the report in hand, then delivers what is left on the
        calling thread (used at shutdown)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread() and self._pid == os.getpid():
            thread.join(timeout=1.0)
        while True:
            report = self._native.next_error(0.0)
            if report is None:
                return
            self.deliver(report)


class TruLayerClient:
    """An explicit client. Options left out (None) come from the ``TRULAYER_*`` environment;
    the engine validates every option and raises ValueError with the same message in every
    language. ``project_name`` is an alias of ``project``; ``sample_rate`` may be a callable
    that receives the finished TraceContext (``ctx.has_error``) and returns whether to keep it.
    Extra keyword options: mode, enabled, max_queue_size, max_queue_bytes, retry_budget,
    shutdown_timeout, compression, redact, redact_metadata, max_field_bytes, local_buffer_size."""

    def __init__(
        self,
        api_key: Optional[str] = None,
        project: Optional[str] = None,
        environment: Optional[str] = None,
        endpoint: Optional[str] = None,
        batch_size: Optional[int] = None,
        flush_interval: Optional[float] = None,
        timeout: Optional[float] = None,
        sample_rate: Any = None,
        scrub_fn: Optional[Callable[[Any], Any]] = None,
        metadata_validator: Optional[Callable[[dict], bool]] = None,
        debug: Optional[bool] = None,
        *,
        project_name: Optional[str] = None,
        **options: Any,
    ) -> None:
        if project is not None and project_name is not None and project != project_name:
            raise ValueError("pass project or project_name, not both")
        sampler: Optional[Callable[[Any], Any]] = None
        if callable(sample_rate):
            sampler, sample_rate = sample_rate, None
        explicit: Dict[str, Any] = dict(
            api_key=api_key, project=project if project is not None else project_name,
            environment=environment, endpoint=endpoint, batch_size=batch_size,
            flush_interval=flush_interval, timeout=timeout, sample_rate=sample_rate, debug=debug,
        )
        explicit.update(options)
        # `...` (the docs' placeholder, e.g. ``init(api_key=..., ...)``) counts as not given.
        given = {k: _option_text(v) for k, v in explicit.items() if v is not None and v is not Ellipsis}
        self._native = _native.Client(given, scrub_fn, metadata_validator, sampler)
        # The hot path skips a Python frame: ``client.trace`` is the native method itself.
        self.trace = self.atrace = self._native.trace
        self._errors = _ErrorDispatcher(self._native)
        self._closed = False
        _install_process_hooks()
        _live_clients.add(self)
        if _global_handlers:
            self._errors.start()

    # -- tracing -------------------------------------------------------------------------

    def trace(self, name: str, session_id: Optional[str] = None, metadata: Optional[dict] = None,
              *, user_id: Optional[str] = None, tags: Optional[List[str]] = None) -> TraceContext:
        """A new trace; use it with ``with`` (or ``async with``)."""
        return self._native.trace(name, session_id, metadata, user_id=user_id, tags=tags)

    atrace = trace  # the same object works with ``async with``

    # -- lifecycle -----------------------------------------------------------------------

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Blocks until everything finished so far was answered by the endpoint, at most
        ``timeout`` seconds (default: the shutdown timeout). True when nothing is left."""
        return self._native.flush(self._native.shutdown_timeout if timeout is None else timeout)

    def shutdown(self, timeout: Optional[float] = None) -> bool:
        """Flushes (at most ``timeout`` seconds), stops the worker and delivers the last error
        reports. Traces finished afterwards are dropped and counted."""
        if self._closed:
            return True
        self._closed = True
        done = self._native.shutdown(timeout)
        self._errors.stop_and_drain()
        return done

    def stats(self) -> Dict[str, Any]:
        """The engine's counters: finished, queued, sent, dropped (per reason), retries, ..."""
        import json

        return json.loads(self._native.stats_json())

    def on_error(self, handler: ErrorHandler) -> ErrorHandler:
        """Calls ``handler(error)`` (a TruLayerError) for each failure of this client, on a
        background thread. Returns the handler, so it works as a decorator."""
        self._errors.handlers.append(handler)
        self._errors.start()
        return handler

    def is_sampled(self, trace_id: str) -> bool:
        return self._native.is_sampled(trace_id)

    def reset_after_fork(self) -> None:
        """Called in a forked child (automatically via os.register_at_fork)."""
        self._native.reset_after_fork()

    def _after_fork(self) -> None:
        self.reset_after_fork()
        self._errors.forget_thread()
        if self._errors.handlers or _global_handlers:
            self._errors.start()

    @property
    def project(self) -> str:
        return self._native.project

    @property
    def environment(self) -> str:
        return self._native.environment

    def __repr__(self) -> str:  # never shows the key
        return f"<TruLayerClient project={self.project!r} endpoint={self._native.endpoint!r}>"

    # -- API calls (blocking; the GIL is released while waiting) --------------------------

    def submit_feedback(self, trace_id: str, label: Optional[str] = None, score: Optional[float] = None,
                        comment: Optional[str] = None, metadata: Optional[dict] = None) -> None:
        """Records feedback on a trace. Failures go to on_error handlers, never raised here."""
        from . import _api

        try:
            _api.submit_feedback(self._native, trace_id, label, score, comment, metadata)
        except TruLayerError as e:
            self._errors.deliver((e.kind, e.message, e.status, [str(trace_id)]))

    def run_eval(self, trace_id: str, evaluator_type: str, metric_name: str, config: Optional[dict] = None) -> Any:
        from . import _api

        return _api.run_eval(self._native, trace_id, evaluator_type, metric_name, config)

    def get_metrics(self, project_id: Optional[str] = None, from_time: Any = None, to_time: Any = None) -> Any:
        from . import _api

        return _api.get_metrics(self._native, project_id, from_time, to_time)

    def list_traces(self, **filters: Any) -> Any:
        """Iterates over matching traces (TraceData), fetching pages by cursor as needed.
        Filters: project_id, model, error, failure_type, from_time/to_time (or ``from``/``to``),
        latency_min, latency_max, token_count_min, token_count_max, tag_key, tag_value,
        limit (page size), max_pages."""
        from . import _api

        return _api.list_traces(self._native, filters)

    def get_trace(self, trace_id: str) -> Any:
        from . import _api

        return _api.get_trace(self._native, trace_id)
