"""Transparent wrappers for provider streams: the span stays open until the stream is
exhausted, fails or is closed, and keeps the partial output. Everything else (``response``,
context-manager use, extra methods) is delegated to the provider's stream object."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Callable, Dict, List

from ._call import ProviderCall


def tool_output(text: str, tool_calls: List[Any]) -> Any:
    """A model's answer as recorded: the text, or text and tool calls when it called tools."""
    return {"content": text or None, "tool_calls": tool_calls} if tool_calls else text


class Accumulator(ABC):
    """Gathers a stream's chunks; ``finish`` writes what was gathered onto the span. Each
    provider's subclass knows its chunk shape and where its stream reports token usage."""

    def __init__(self) -> None:
        self.text: List[str] = []
        self.tools: Dict[int, Dict[str, Any]] = {}
        self.model: Any = None

    @abstractmethod
    def add(self, chunk: Any) -> None: ...

    @abstractmethod
    def record_usage(self, call: ProviderCall) -> None: ...

    def finish(self, call: ProviderCall) -> None:
        call.span.set_output(tool_output("".join(self.text), [self.tools[i] for i in sorted(self.tools)]))
        if self.model:
            call.span.set_model(self.model)
        self.record_usage(call)


class _TracedStreamBase:
    def __init__(self, stream: Any, call: ProviderCall, acc: Accumulator) -> None:
        self._stream = stream
        self._call = call
        self._acc = acc
        self._done = False

    def _seen(self, chunk: Any) -> Any:
        self._acc.add(chunk)
        return chunk

    def _end(self, error: Any = None) -> None:
        """Ends the span once: at exhaustion, on an error (recorded) or at close."""
        if self._done:
            return
        self._done = True
        self._acc.finish(self._call)
        if error is None or isinstance(error, (StopIteration, StopAsyncIteration, GeneratorExit)):
            self._call.end()
        else:
            self._call.fail(error)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class TracedStream(_TracedStreamBase):
    def __iter__(self) -> "TracedStream":
        return self

    def __next__(self) -> Any:
        try:
            return self._seen(next(self._stream))
        except BaseException as e:
            self._end(e)
            raise

    def __enter__(self) -> "TracedStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        try:
            self._stream.close()
        finally:
            self._end()


class AsyncTracedStream(_TracedStreamBase):
    def __aiter__(self) -> "AsyncTracedStream":
        return self

    async def __anext__(self) -> Any:
        try:
            return self._seen(await self._stream.__anext__())
        except BaseException as e:
            self._end(e)
            raise

    async def __aenter__(self) -> "AsyncTracedStream":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def close(self) -> None:
        try:
            await self._stream.close()
        finally:
            self._end()


def is_async_resource(owner: Any, method: Callable[..., Any]) -> bool:
    """The providers' async resources (AsyncCompletions, AsyncMessages, ...) wrap their
    coroutine functions in plain decorators, so the class name is the reliable sign."""
    import inspect

    return inspect.iscoroutinefunction(method) or type(owner).__name__.startswith("Async")


def traced_method(owner: Any, original: Callable[..., Any], name: str, input_key: str,
                  prepare: Callable[[ProviderCall, dict], None], record: Callable[[ProviderCall, Any], None],
                  accumulator: Callable[[], Accumulator]) -> Callable[..., Any]:
    """Wraps a provider's ``create`` (sync or async, picked from the original): a span per
    call, the request recorded before, the response (or stream) after."""
    import functools

    if is_async_resource(owner, original):

        @functools.wraps(original)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            call = ProviderCall.start(name)
            if call is None:
                return await original(*args, **kwargs)
            call.record_request(kwargs, input_key)
            prepare(call, kwargs)
            try:
                result = await original(*args, **kwargs)
            except BaseException as e:
                call.fail(e)
                raise
            if kwargs.get("stream"):
                return AsyncTracedStream(result, call, accumulator())
            return _recorded(call, record, result)

        return async_wrapper

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        call = ProviderCall.start(name)
        if call is None:
            return original(*args, **kwargs)
        call.record_request(kwargs, input_key)
        prepare(call, kwargs)
        try:
            result = original(*args, **kwargs)
        except BaseException as e:
            call.fail(e)
            raise
        if kwargs.get("stream"):
            return TracedStream(result, call, accumulator())
        return _recorded(call, record, result)

    return wrapper


def _recorded(call: ProviderCall, record: Callable[[ProviderCall, Any], None], result: Any) -> Any:
    try:
        record(call, result)
    except Exception as e:  # an unexpected response shape must not break the user's call
        call.span.set_metadata(trulayer_record_error=repr(e))
    call.end()
    return result
