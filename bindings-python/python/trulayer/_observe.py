"""``@trulayer.observe``: a span (or, outside any trace, a trace) around each call of a sync,
async, generator or async-generator function."""

from __future__ import annotations

import functools

from ._context import current_trace

TYPE_CHECKING = False  # typing is not imported at run time: `import trulayer` stays light
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Optional, TypeVar, Union

    F = TypeVar("F", bound=Callable[..., Any])

# The decorator's "span" kind is this SDK's "custom" span type.
_TYPE_ALIASES = {"span": "custom", None: "custom"}

# Items a generator yields are recorded as its output up to this many.
MAX_CAPTURED_ITEMS = 1000


def _span_type(kind: Any) -> str:
    value = getattr(kind, "value", kind)  # accepts enums
    return _TYPE_ALIASES.get(value, value)


class _Options:
    __slots__ = ("name", "span_type", "capture_input", "capture_output", "metadata", "tags", "session_id",
                 "user_id", "signature")

    def __init__(self, fn: Callable[..., Any], name: Optional[str], kind: Any, capture_input: bool,
                 capture_output: bool, metadata: Optional[dict], tags: Optional[List[str]],
                 session_id: Optional[str], user_id: Optional[str]) -> None:
        self.name = name or getattr(fn, "__qualname__", None) or getattr(fn, "__name__", "function")
        self.span_type = _span_type(kind)
        self.capture_input, self.capture_output = capture_input, capture_output
        self.metadata, self.tags, self.session_id, self.user_id = metadata, tags, session_id, user_id
        import inspect

        try:
            self.signature: Optional[inspect.Signature] = inspect.signature(fn)
        except (TypeError, ValueError):
            self.signature = None

    def open(self, args: tuple, kwargs: dict) -> Any:
        """The span (inside an active trace) or trace (outside) for one call; None when the
        SDK is not initialised, in which case the function runs untraced."""
        from . import _client_or_none

        parent = current_trace()
        if parent is not None and not parent.is_finished:
            ctx: Any = parent.span(self.name, self.span_type)
            if self.metadata:
                ctx.set_metadata(**self.metadata)
            if self.tags:
                parent.add_tags(list(self.tags))
        else:
            client = _client_or_none()
            if client is None:
                return None
            ctx = client.trace(self.name, self.session_id, self.metadata, user_id=self.user_id, tags=self.tags)
        if self.capture_input:
            ctx.set_input(self.inputs(args, kwargs))
        return ctx

    def inputs(self, args: tuple, kwargs: dict) -> Dict[str, Any]:
        if self.signature is None:
            return {"args": list(args), "kwargs": kwargs}
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError:
            return {"args": list(args), "kwargs": kwargs}
        return {k: v for k, v in bound.arguments.items() if k not in ("self", "cls")}


class _Call:
    """One traced call. As a context manager it makes the span (or trace) current for the
    function's body and ends it with the returned value or the exception. Generators enter
    it per step instead, so their caller never sees the span between items."""

    __slots__ = ("ctx", "opts", "tokens", "items", "output")

    def __init__(self, ctx: Any, opts: _Options) -> None:
        self.ctx, self.opts, self.tokens, self.items, self.output = ctx, opts, None, [], None

    def enter(self) -> None:
        self.tokens = self.ctx._activate()

    def leave(self) -> None:
        self.ctx._deactivate(self.tokens)

    def returned(self, value: Any) -> Any:
        self.output = value
        return value

    def yielded(self, item: Any) -> Any:
        if len(self.items) < MAX_CAPTURED_ITEMS:
            self.items.append(item)
        return item

    def done(self, output: Any = None, error: Optional[BaseException] = None) -> None:
        if error is not None:
            self.ctx.set_error(error)
        elif self.opts.capture_output:
            self.ctx.set_output(output)
        self.ctx.end()

    def __enter__(self) -> "_Call":
        self.enter()
        return self

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> None:
        self.leave()
        self.done(self.output, exc)


def _wrap_function(fn: Callable[..., Any], opts: _Options) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = opts.open(args, kwargs)
        if ctx is None:
            return fn(*args, **kwargs)
        with _Call(ctx, opts) as call:
            return call.returned(fn(*args, **kwargs))

    return wrapper


def _wrap_coroutine(fn: Callable[..., Any], opts: _Options) -> Callable[..., Any]:
    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = opts.open(args, kwargs)
        if ctx is None:
            return await fn(*args, **kwargs)
        with _Call(ctx, opts) as call:
            return call.returned(await fn(*args, **kwargs))

    return wrapper


def _wrap_generator(fn: Callable[..., Any], opts: _Options) -> Callable[..., Any]:
    """The span stays open until the generator is exhausted, fails or is closed."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = opts.open(args, kwargs)
        if ctx is None:
            return (yield from fn(*args, **kwargs))
        call = _Call(ctx, opts)
        gen = fn(*args, **kwargs)
        try:
            while True:
                call.enter()
                try:
                    item = next(gen)
                finally:
                    call.leave()
                yield call.yielded(item)
        except StopIteration:
            call.done(call.items)
        except GeneratorExit:
            gen.close()
            call.done(call.items)
            raise
        except BaseException as e:
            call.done(error=e)
            raise

    return wrapper


async def _next_item(agen: Any, call: _Call) -> Any:
    call.enter()
    try:
        return await agen.__anext__()
    finally:
        call.leave()


def _wrap_async_generator(fn: Callable[..., Any], opts: _Options) -> Callable[..., Any]:
    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = opts.open(args, kwargs)
        agen = fn(*args, **kwargs)
        if ctx is None:
            async for item in agen:
                yield item
            return
        call = _Call(ctx, opts)
        outcome: Optional[BaseException] = None
        try:
            while True:
                yield call.yielded(await _next_item(agen, call))
        except StopAsyncIteration:
            pass
        except GeneratorExit:
            await agen.aclose()
            raise
        except BaseException as e:
            outcome = e
            raise
        finally:
            call.done(call.items if outcome is None else None, outcome)

    return wrapper


def observe(name: Union[str, Callable[..., Any], None] = None, type: Any = "custom", *,
            capture_input: bool = True, capture_output: bool = True, metadata: Optional[dict] = None,
            tags: Optional[List[str]] = None, session_id: Optional[str] = None,
            user_id: Optional[str] = None) -> Any:
    """Traces every call of the decorated function: a span of ``type`` (``llm``, ``agent``,
    ``tool``, ``retrieval``, ``custom``; ``span`` means custom) inside the active trace, or a
    trace of its own when none is active (then session_id/user_id/tags apply to it).
    Arguments are recorded as input and the return value (for generators, the yielded items)
    as output unless switched off. Works bare (``@observe``) or with arguments."""
    if callable(name):
        return observe()(name)

    def decorate(fn: F) -> F:
        import inspect

        opts = _Options(fn, name, type, capture_input, capture_output, metadata, tags, session_id, user_id)
        if inspect.isasyncgenfunction(fn):
            return _wrap_async_generator(fn, opts)  # type: ignore[return-value]
        if inspect.isgeneratorfunction(fn):
            return _wrap_generator(fn, opts)  # type: ignore[return-value]
        if inspect.iscoroutinefunction(fn):
            return _wrap_coroutine(fn, opts)  # type: ignore[return-value]
        return _wrap_function(fn, opts)  # type: ignore[return-value]

    return decorate
