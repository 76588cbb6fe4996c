"""A fake OpenAI + Anthropic HTTP API on 127.0.0.1, for the real provider SDKs to talk to.

The model name picks the behaviour: ``tool-model`` answers with a tool call, ``rate-limited``
answers 429, ``too-long`` a context-length 400, ``slow`` sleeps past the client's timeout,
``garbled`` answers 200 with a body that is not JSON.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterator, List

REPLY = ["Hel", "lo ", "there"]
USAGE = {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12}


def chat_completion(model: str) -> Dict[str, Any]:
    if model == "tool-model":
        message = {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}]}
        finish = "tool_calls"
    else:
        message = {"role": "assistant", "content": "".join(REPLY)}
        finish = "stop"
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}], "usage": USAGE}


def chat_chunks(model: str, include_usage: bool) -> Iterator[Dict[str, Any]]:
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": model}
    if model == "tool-model":
        yield {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "tool_calls": [
            {"index": 0, "id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": ""}}]},
            "finish_reason": None}]}
        for part in ('{"city"', ':"Paris"}'):
            yield {**base, "choices": [{"index": 0, "delta": {"tool_calls": [
                {"index": 0, "function": {"arguments": part}}]}, "finish_reason": None}]}
    else:
        for piece in REPLY:
            yield {**base, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
    yield {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    if include_usage:
        yield {**base, "choices": [], "usage": USAGE}


def anthropic_message(model: str) -> Dict[str, Any]:
    return {"id": "msg_1", "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": "".join(REPLY)}], "stop_reason": "end_turn",
            "stop_sequence": None, "usage": {"input_tokens": 12, "output_tokens": 4}}


def anthropic_events(model: str) -> Iterator[Dict[str, Any]]:
    start = anthropic_message(model)
    yield {"type": "message_start", "message": {**start, "content": [], "stop_reason": None,
                                                "usage": {"input_tokens": 12, "output_tokens": 1}}}
    yield {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
    for piece in REPLY:
        yield {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}}
    yield {"type": "content_block_stop", "index": 0}
    yield {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
           "usage": {"output_tokens": 4}}
    yield {"type": "message_stop"}


ERRORS = {
    "rate-limited": (429, {"error": {"message": "Rate limit reached for requests", "type": "requests",
                                     "code": "rate_limit_exceeded"}}),
    "too-long": (400, {"error": {"message": "This model's maximum context length is 8192 tokens",
                                 "type": "invalid_request_error", "code": "context_length_exceeded"}}),
}


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def log_message(self, *args: Any) -> None:  # keep pytest output clean
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        self.server.requests.append((self.path, body))
        model = body.get("model", "")
        if model == "slow":
            time.sleep(1.5)
        if model == "garbled":
            return self._raw(200, b"{not json")
        if model in ERRORS:
            status, payload = ERRORS[model]
            return self._json(status, payload)
        if self.path.endswith("/chat/completions"):
            if body.get("stream"):
                include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
                return self._sse(("", c) for c in chat_chunks(model, include_usage))
            return self._json(200, chat_completion(model))
        if self.path.endswith("/embeddings"):
            n = len(body["input"]) if isinstance(body.get("input"), list) else 1
            return self._json(200, {"object": "list", "model": model, "usage": {"prompt_tokens": 4, "total_tokens": 4},
                                    "data": [{"object": "embedding", "index": i, "embedding": [0.1, 0.2, 0.3]}
                                             for i in range(n)]})
        if self.path.endswith("/messages"):
            if body.get("stream"):
                return self._sse((e["type"], e) for e in anthropic_events(model))
            return self._json(200, anthropic_message(model))
        self._json(404, {"error": {"message": f"no route {self.path}"}})

    def _json(self, status: int, payload: Any) -> None:
        self._raw(status, json.dumps(payload).encode())

    def _raw(self, status: int, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _sse(self, events: Any) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for name, payload in events:
            prefix = f"event: {name}\n" if name else ""
            self.wfile.write(f"{prefix}data: {json.dumps(payload)}\n\n".encode())
            self.wfile.flush()
        if not self.path.endswith("/messages"):
            self.wfile.write(b"data: [DONE]\n\n")
        self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    requests: List[Any]

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (the timeout test) closes the socket mid-answer: expected."""


class FakeProvider:
    def __init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.requests = []
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def requests(self) -> List[Any]:
        return self._server.requests

    def __enter__(self) -> "FakeProvider":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
