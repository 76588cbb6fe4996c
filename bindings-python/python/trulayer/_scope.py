"""Attributes set for a block of code (``with trulayer.using_attributes(user_id=...)``) and
applied to every trace started inside it, plus updates of the current span and trace."""

from __future__ import annotations

from ._context import current_span, current_trace
from ._native import _attributes_var as _attributes

TYPE_CHECKING = False  # typing is not imported at run time: `import trulayer` stays light
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional


def apply_to_trace(trace: Any) -> None:
    attrs = _attributes.get()
    if attrs:
        _update_trace(trace, **attrs)


def _update_trace(trace: Any, user_id: Optional[str] = None, session_id: Optional[str] = None,
                  tags: Optional[List[str]] = None, metadata: Optional[dict] = None) -> None:
    if user_id is not None:
        trace.set_user_id(user_id)
    if session_id is not None:
        trace.set_session_id(session_id)
    if tags:
        trace.add_tags(list(tags))
    if metadata:
        trace.set_metadata(**metadata)


class using_attributes:
    """Every trace started in this block (and the one already active) gets these attributes.
    Nested blocks add to the outer ones."""

    __slots__ = ("_attrs", "_token")

    def __init__(self, user_id: Optional[str] = None, session_id: Optional[str] = None,
                 tags: Optional[List[str]] = None, metadata: Optional[dict] = None) -> None:
        self._attrs = dict(user_id=user_id, session_id=session_id, tags=tags, metadata=metadata)

    def __enter__(self) -> None:
        a = self._attrs
        outer = _attributes.get() or {}
        merged: Dict[str, Any] = dict(outer)
        for key in ("user_id", "session_id"):
            if a[key] is not None:
                merged[key] = a[key]
        if a["tags"]:
            known = outer.get("tags", [])
            merged["tags"] = list(known) + [t for t in a["tags"] if t not in known]
        if a["metadata"]:
            merged["metadata"] = {**outer.get("metadata", {}), **a["metadata"]}
        self._token = _attributes.set(merged)
        active = current_trace()
        if active is not None:
            _update_trace(active, **a)

    def __exit__(self, *exc: Any) -> None:
        _attributes.reset(self._token)

    async def __aenter__(self) -> None:
        self.__enter__()

    async def __aexit__(self, *exc: Any) -> None:
        self.__exit__()


def update_current_trace(user_id: Optional[str] = None, session_id: Optional[str] = None,
                         tags: Optional[List[str]] = None, metadata: Optional[dict] = None,
                         name: Optional[str] = None, input: Any = None, output: Any = None) -> bool:
    """Updates the active trace; False when there is none."""
    trace = current_trace()
    if trace is None:
        return False
    _update_trace(trace, user_id, session_id, tags, metadata)
    if name is not None:
        trace.name = name
    if input is not None:
        trace.set_input(input)
    if output is not None:
        trace.set_output(output)
    return True


def update_current_span(name: Optional[str] = None, input: Any = None, output: Any = None,
                        metadata: Optional[dict] = None, model: Optional[str] = None,
                        model_parameters: Optional[dict] = None, usage: Optional[dict] = None,
                        prompt: Any = None) -> bool:
    """Updates the innermost active span (or the trace when no span is open); False when
    nothing is active. ``usage`` takes input/output or prompt/completion token counts;
    ``prompt`` is recorded as the input when no input is given; ``model_parameters`` go to
    metadata."""
    target: Any = current_span() or current_trace()
    if target is None:
        return False
    if name is not None:
        target.name = name
    if input is None:
        input = prompt
    if input is not None:
        target.set_input(input)
    if output is not None:
        target.set_output(output)
    extra = dict(metadata or {})
    if model_parameters:
        extra["model_parameters"] = model_parameters
    if extra:
        target.set_metadata(**extra)
    if model is not None:
        target.set_model(model)
    if usage and hasattr(target, "set_tokens"):
        target.set_tokens(
            prompt_tokens=usage.get("input_tokens", usage.get("prompt_tokens")),
            completion_tokens=usage.get("output_tokens", usage.get("completion_tokens")),
        )
    return True
