"""The synchronous API calls of TruLayerClient: feedback, eval, metrics and trace queries.
Requests go through the engine (blocking, GIL released); answers become pydantic models."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Dict, Iterator, Optional
from urllib.parse import quote, urlencode

from . import _native
from ._errors import TruLayerError, error_for_status
from .models import EvalResult, FeedbackData, Metrics, TraceData

_FILTER_ALIASES = {"from_time": "from", "to_time": "to"}
_FILTERS = {"project_id", "model", "error", "failure_type", "from", "to", "latency_min", "latency_max",
            "token_count_min", "token_count_max", "tag_key", "tag_value", "limit", "cursor"}


def _call(client: _native.Client, method: str, path: str, what: str, body: Optional[dict] = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    try:
        status, text = client.api_request(method, path, data)
    except ConnectionError as e:
        raise TruLayerError(f"{what} failed: {e}", kind="network") from None
    if not 200 <= status < 300:
        raise error_for_status(status, text, what)
    return json.loads(text) if text.strip() else None


def _query_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, datetime):
        return v.isoformat().replace("+00:00", "Z")
    return str(v)


def _query(params: Dict[str, Any]) -> str:
    clean = {k: _query_value(v) for k, v in params.items() if v is not None}
    return "?" + urlencode(clean) if clean else ""


def submit_feedback(client: _native.Client, trace_id: str, label: Optional[str], score: Optional[float],
                    comment: Optional[str], metadata: Optional[dict]) -> None:
    fb = FeedbackData(trace_id=trace_id, label=label, score=score, comment=comment, metadata=metadata or {})
    _call(client, "POST", "/v1/feedback", "submit_feedback", fb.model_dump(mode="json"))


def run_eval(client: _native.Client, trace_id: str, evaluator_type: str, metric_name: str,
             config: Optional[dict]) -> EvalResult:
    body: Dict[str, Any] = {"trace_id": str(trace_id), "evaluator_type": evaluator_type, "metric_name": metric_name}
    if config:
        body["config"] = config
    return EvalResult(**_call(client, "POST", "/v1/eval", "run_eval", body))


def get_metrics(client: _native.Client, project_id: Optional[str], from_time: Any, to_time: Any) -> Metrics:
    q = _query({"project_id": project_id, "from": from_time, "to": to_time})
    return Metrics.from_wire(_call(client, "GET", "/v1/metrics" + q, "get_metrics"))


def get_trace(client: _native.Client, trace_id: str) -> TraceData:
    return TraceData.from_wire(_call(client, "GET", "/v1/traces/" + quote(str(trace_id), safe=""), "get_trace"))


def list_traces(client: _native.Client, filters: Dict[str, Any]) -> Iterator[TraceData]:
    filters = {_FILTER_ALIASES.get(k, k): v for k, v in filters.items()}
    max_pages = filters.pop("max_pages", None)
    unknown = set(filters) - _FILTERS
    if unknown:
        raise TypeError(f"unknown list_traces filter(s): {', '.join(sorted(unknown))}")
    return _pages(client, filters, max_pages)


def _pages(client: _native.Client, filters: Dict[str, Any], max_pages: Optional[int]) -> Iterator[TraceData]:
    pages = 0
    while True:
        page = _call(client, "GET", "/v1/traces" + _query(filters), "list_traces")
        for t in page.get("traces", []):
            yield TraceData.from_wire(t)
        pages += 1
        cursor = page.get("next_cursor")
        if not page.get("has_more") or not cursor or (max_pages is not None and pages >= max_pages):
            return
        filters = {**filters, "cursor": cursor}
