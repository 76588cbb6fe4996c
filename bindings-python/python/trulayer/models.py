"""Pydantic models of traces, spans, feedback and events as read back from the engine (local
mode) or the API. Imported lazily: ``import trulayer`` does not load pydantic."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, Dict, List, Literal, Optional
from uuid import UUID

from pydantic import BaseModel, ConfigDict, field_validator

_ERROR_RE = re.compile(r"^([A-Za-z_][\w.]*): (.*)$", re.S)


def _payload(value: Any) -> Any:
    """Payloads travel as strings; structured values were encoded as JSON text and are
    decoded back. A string that merely looks like JSON object/array text is decoded too."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class ErrorInfo(BaseModel):
    type: Optional[str] = None
    message: str

    @classmethod
    def from_wire(cls, text: Any) -> Optional["ErrorInfo"]:
        if text is None or isinstance(text, ErrorInfo):
            return text
        if isinstance(text, dict):
            return cls(**text)
        m = _ERROR_RE.match(str(text))
        return cls(type=m.group(1), message=m.group(2)) if m else cls(message=str(text))


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class EventData(_Model):
    id: UUID
    trace_id: Optional[UUID] = None
    span_id: Optional[UUID] = None
    level: Literal["debug", "info", "warn", "error"] = "info"
    message: str
    metadata: Dict[str, Any] = {}
    timestamp: Optional[datetime] = None


class SpanData(_Model):
    id: UUID
    trace_id: UUID
    parent_span_id: Optional[UUID] = None
    name: str
    span_type: str = "custom"
    input: Any = None
    output: Any = None
    error: Optional[ErrorInfo] = None
    latency_ms: Optional[int] = None
    model: Optional[str] = None
    prompt_tokens: Optional[int] = None
    completion_tokens: Optional[int] = None
    cost: Optional[float] = None
    metadata: Dict[str, Any] = {}
    started_at: Optional[datetime] = None
    ended_at: Optional[datetime] = None

    @classmethod
    def from_wire(cls, d: Dict[str, Any]) -> "SpanData":
        d = dict(d)
        d["span_type"] = d.pop("type", d.get("span_type", "custom"))
        d["started_at"] = d.pop("start_time", d.get("started_at"))
        d["ended_at"] = d.pop("end_time", d.get("ended_at"))
        d["input"], d["output"] = _payload(d.get("input")), _payload(d.get("output"))
        d["error"] = ErrorInfo.from_wire(d.get("error"))
        d["metadata"] = d.get("metadata") or {}
        return cls(**d)


class TraceData(_Model):
    id: UUID
    project_id: str
    session_id: Optional[str] = None
    name: Optional[str] = None
    input: Any = None
    output: Any = None
    error: Optional[ErrorInfo] = None
    tags: List[str] = []
    tag_map: Dict[str, str] = {}
    metadata: Dict[str, Any] = {}
    spans: List[SpanData] = []
    events: List[EventData] = []
    started_at: datetime
    ended_at: Optional[datetime] = None
    latency_ms: Optional[int] = None
    model: Optional[str] = None
    cost: Optional[float] = None
    user_id: Optional[str] = None
    external_id: Optional[str] = None
    environment: Optional[str] = None

    @field_validator("project_id", mode="before")
    @classmethod
    def _project_text(cls, v: Any) -> str:
        return str(v)

    @classmethod
    def from_wire(cls, d: Dict[str, Any]) -> "TraceData":
        d = dict(d)
        tags = d.get("tags")
        if isinstance(tags, dict):  # the key→value form: labels are the keys with empty values
            d["tag_map"] = {k: v for k, v in tags.items() if v != ""}
            d["tags"] = [k for k, v in tags.items() if v == ""]
        else:
            d["tags"] = tags or []
        d["input"], d["output"] = _payload(d.get("input")), _payload(d.get("output"))
        d["error"] = ErrorInfo.from_wire(d.get("error"))
        d["metadata"] = d.get("metadata") or {}
        d["spans"] = [SpanData.from_wire(s) for s in d.get("spans") or []]
        d["events"] = [EventData(**{"trace_id": d["id"], **e}) for e in d.get("events") or []]
        return cls(**d)

    def span(self, name: str) -> SpanData:
        """The first span with this name (KeyError when there is none)."""
        for s in self.spans:
            if s.name == name:
                return s
        raise KeyError(f"no span named {name!r}; spans: {[s.name for s in self.spans]}")


class FeedbackData(_Model):
    trace_id: UUID
    label: Optional[Literal["good", "bad", "neutral"]] = None
    score: Optional[float] = None
    comment: Optional[str] = None
    metadata: Dict[str, Any] = {}


class EvalResult(_Model):
    eval_id: UUID
    status: str


class Metrics(_Model):
    total_traces: int
    error_count: int
    error_rate: Optional[float] = None
    p50_latency_ms: Optional[float] = None
    p95_latency_ms: Optional[float] = None
    p99_latency_ms: Optional[float] = None
    total_cost: Optional[float] = None
    from_: Optional[datetime] = None
    to: Optional[datetime] = None

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    @classmethod
    def from_wire(cls, d: Dict[str, Any]) -> "Metrics":
        d = dict(d)
        d["from_"] = d.pop("from", None)
        return cls(**d)
