"""LangChain: ``instrument_langchain()`` returns a callback handler that turns chains, chat
models/LLMs, retrievers and tools into nested spans (pass it via ``callbacks=[...]``)."""

from __future__ import annotations

from typing import Any, Dict, Optional
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler

from .._context import current_span, current_trace

LLM_NAME_KEYS = ("model", "model_name", "ls_model_name")


class _Run:
    __slots__ = ("trace", "span", "own_trace")

    def __init__(self, trace: Any, span: Any, own_trace: bool) -> None:
        self.trace, self.span, self.own_trace = trace, span, own_trace


def _run_name(serialized: Optional[Dict[str, Any]], kwargs: Dict[str, Any], default: str) -> str:
    if kwargs.get("name"):
        return str(kwargs["name"])
    serialized = serialized or {}
    if serialized.get("name"):
        return str(serialized["name"])
    ident = serialized.get("id")
    return str(ident[-1]) if isinstance(ident, list) and ident else default


def _message(m: Any) -> Dict[str, Any]:
    return {"role": getattr(m, "type", "message"), "content": getattr(m, "content", str(m))}


def _document(d: Any) -> Dict[str, Any]:
    return {"page_content": getattr(d, "page_content", str(d)), "metadata": getattr(d, "metadata", {})}


class TruLayerCallbackHandler(BaseCallbackHandler):
    """Maps LangChain runs to spans by run id; a run's parent run is its span's parent. A
    root run nests under the current TruLayer span, or becomes a trace of its own."""

    def __init__(self) -> None:
        super().__init__()
        self._runs: Dict[UUID, _Run] = {}

    # -- bookkeeping ----------------------------------------------------------------------

    def _start(self, run_id: UUID, parent_run_id: Optional[UUID], name: str, span_type: str, input: Any) -> None:
        from .. import _client_or_none

        parent = self._runs.get(parent_run_id) if parent_run_id is not None else None
        if parent is not None:
            span = parent.trace.span(name, span_type, parent=parent.span)
            self._runs[run_id] = _Run(parent.trace, span, False)
        else:
            trace, own = current_trace(), False
            if trace is None or trace.is_finished:
                client = _client_or_none()
                if client is None:
                    return
                trace, own = client.trace(name), True
                trace.set_input(input)
            active = current_span()
            span = trace.span(name, span_type, parent=active if active is not None and active._trace is trace else None)
            self._runs[run_id] = _Run(trace, span, own)
        self._runs[run_id].span.set_input(input)

    def _end(self, run_id: UUID, output: Any = None, error: Optional[BaseException] = None) -> Optional[Any]:
        run = self._runs.pop(run_id, None)
        if run is None:
            return None
        if error is not None:
            run.span.set_error(error)
        elif output is not None:
            run.span.set_output(output)
        run.span.end()
        if run.own_trace:
            if error is not None:
                run.trace.set_error(error)
            elif output is not None:
                run.trace.set_output(output)
            run.trace.end()
        return run.span

    # -- chains ----------------------------------------------------------------------------

    def on_chain_start(self, serialized: Dict[str, Any], inputs: Any, *, run_id: UUID,
                       parent_run_id: Optional[UUID] = None, **kwargs: Any) -> None:
        self._start(run_id, parent_run_id, _run_name(serialized, kwargs, "chain"), "custom", inputs)

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, outputs)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error=error)

    # -- models ----------------------------------------------------------------------------

    def on_chat_model_start(self, serialized: Dict[str, Any], messages: Any, *, run_id: UUID,
                            parent_run_id: Optional[UUID] = None, **kwargs: Any) -> None:
        batch = [[_message(m) for m in group] for group in messages]
        self._start(run_id, parent_run_id, _run_name(serialized, kwargs, "chat_model"), "llm",
                    batch[0] if len(batch) == 1 else batch)
        self._set_model(run_id, kwargs)

    def on_llm_start(self, serialized: Dict[str, Any], prompts: Any, *, run_id: UUID,
                     parent_run_id: Optional[UUID] = None, **kwargs: Any) -> None:
        self._start(run_id, parent_run_id, _run_name(serialized, kwargs, "llm"), "llm",
                    prompts[0] if len(prompts) == 1 else prompts)
        self._set_model(run_id, kwargs)

    def _set_model(self, run_id: UUID, kwargs: Dict[str, Any]) -> None:
        run = self._runs.get(run_id)
        if run is None:
            return
        sources = (kwargs.get("invocation_params") or {}, kwargs.get("metadata") or {})
        for source in sources:
            for key in LLM_NAME_KEYS:
                if source.get(key):
                    run.span.set_model(str(source[key]))
                    return

    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        run = self._runs.get(run_id)
        if run is None:
            return
        generations = getattr(response, "generations", None) or [[]]
        first = generations[0][0] if generations and generations[0] else None
        message = getattr(first, "message", None)
        usage = getattr(message, "usage_metadata", None) or {}
        token_usage = (getattr(response, "llm_output", None) or {}).get("token_usage") or {}
        run.span.set_tokens(
            prompt_tokens=usage.get("input_tokens", token_usage.get("prompt_tokens")),
            completion_tokens=usage.get("output_tokens", token_usage.get("completion_tokens")),
        )
        self._end(run_id, getattr(first, "text", None))

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        run = self._runs.get(run_id)
        if run is not None:
            from .. import _native

            failure = _native.classify_failure(type(error).__name__, getattr(error, "status_code", None), str(error))
            if failure is not None:
                run.span.set_metadata(failure_type=failure)
        self._end(run_id, error=error)

    # -- retrievers and tools ----------------------------------------------------------------

    def on_retriever_start(self, serialized: Dict[str, Any], query: str, *, run_id: UUID,
                           parent_run_id: Optional[UUID] = None, **kwargs: Any) -> None:
        self._start(run_id, parent_run_id, _run_name(serialized, kwargs, "retriever"), "retrieval", query)

    def on_retriever_end(self, documents: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, [_document(d) for d in documents])

    def on_retriever_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error=error)

    def on_tool_start(self, serialized: Dict[str, Any], input_str: str, *, run_id: UUID,
                      parent_run_id: Optional[UUID] = None, inputs: Optional[Dict[str, Any]] = None,
                      **kwargs: Any) -> None:
        self._start(run_id, parent_run_id, _run_name(serialized, kwargs, "tool"), "tool",
                    inputs if inputs is not None else input_str)

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, getattr(output, "content", output))

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error=error)


def instrument_langchain() -> TruLayerCallbackHandler:
    """A LangChain callback handler; pass it to any model, chain or retriever via
    ``callbacks=[handler]`` (or ``config={"callbacks": [handler]}``)."""
    return TruLayerCallbackHandler()
