"""One benchmark run in its own process: the seed-001 trace shape (a trace with a retrieval
span and an llm span: three spans in OpenTelemetry's terms) recorded N times with one SDK.

    python workload.py SDK MODE N [ENDPOINT]

SDK: ``trulayer`` (whichever version the interpreter has), ``otel``, or ``noop`` (the floor: the
same calls on an object that records nothing). MODE: ``local``
(nothing shipped) or ``ship`` (to ENDPOINT, flushed before the clock stops). Prints one JSON
line: µs per trace on the calling thread, as wall time and as the thread's own CPU time (each
the best of CHUNKS equal slices of the run, so that a moment when another process had the CPU
does not count), and whole-process CPU µs per trace over the whole run (the SDK's background
threads and the final flush included).
"""

from __future__ import annotations

import json
import os
import sys
import time

QUESTION = "What is the capital of France?"
ANSWER = "Paris is the capital of France."
CHUNKS = 10


def record_seed_trace(client, new_api: bool = True) -> None:
    """The trace every SDK records; trulayer 0.1.5 (``new_api`` False) takes plain strings and
    other names for the token counts."""
    with client.trace("answer_question") as trace:
        trace.set_input({"question": QUESTION} if new_api else QUESTION)
        with trace.span("retrieve", span_type="retrieval") as span:
            span.set_output({"doc_count": 5} if new_api else "5 docs")
        with trace.span("generate", span_type="llm") as span:
            span.set_model("gpt-4o-mini")
            span.set_output(ANSWER)
            if new_api:
                span.set_tokens(prompt_tokens=42, completion_tokens=7)
            else:
                span.set_tokens(prompt=42, completion=7)
        trace.set_output({"answer": ANSWER} if new_api else ANSWER)


def trulayer_workload(mode: str, endpoint: str):
    if mode == "local":
        os.environ["TRULAYER_MODE"] = "local"
    import warnings

    warnings.simplefilter("ignore")
    import trulayer

    new_api = hasattr(trulayer, "CORE_VERSION")
    options = {"api_key": "tl_bench", "project_name": "bench", "endpoint": endpoint, "batch_size": 50}
    if new_api:  # as in the Node and core benchmarks: the sink, not the SDK, sets the pace
        options["max_queue_size"] = 1_000_000
    client = trulayer.init(**options)

    def one():
        record_seed_trace(client, new_api)

    def settle():
        # 0.1.5's flush() stops its sender thread and starts a new one, racing its own event
        # loop (later traces can stay queued forever); its users call shutdown() once, at exit.
        if mode == "ship":
            client.flush(30) if new_api else time.sleep(1)

    def finish():
        if mode == "ship":
            client.flush(30) if new_api else client.shutdown(30)

    return one, settle, finish


class _Noop:
    """The floor: the same calls on an object that records nothing."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def trace(self, name):
        return self

    def span(self, name, span_type="custom"):
        return self

    def set_input(self, value):
        pass

    set_output = set_model = set_input

    def set_tokens(self, prompt_tokens, completion_tokens):
        pass


def noop_workload(mode: str, endpoint: str):
    client = _Noop()

    def one():
        record_seed_trace(client)

    def finish():
        pass

    return one, finish, finish


delivered = [0]  # traces an SDK reports delivered itself (OpenTelemetry); else the sink counts


def otel_workload(mode: str, endpoint: str):
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter, SpanExportResult

    provider = TracerProvider()
    if mode == "ship":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        class Counted(OTLPSpanExporter):
            """Counts the root spans the sink acknowledged: OTLP's protobuf is opaque to the sink."""

            def export(self, spans):
                result = super().export(spans)
                if result is SpanExportResult.SUCCESS:
                    delivered[0] += sum(1 for s in spans if s.parent is None)
                return result

        provider.add_span_processor(BatchSpanProcessor(Counted(endpoint=endpoint + "/v1/traces")))
    else:
        class Discard(SpanExporter):
            def export(self, spans):
                return SpanExportResult.SUCCESS

        provider.add_span_processor(SimpleSpanProcessor(Discard()))
    tracer = provider.get_tracer("bench")

    def one():
        with tracer.start_as_current_span("answer_question") as root:
            root.set_attribute("input", json.dumps({"question": QUESTION}))
            with tracer.start_as_current_span("retrieve") as span:
                span.set_attribute("span_type", "retrieval")
                span.set_attribute("output", json.dumps({"doc_count": 5}))
            with tracer.start_as_current_span("generate") as span:
                span.set_attribute("span_type", "llm")
                span.set_attribute("model", "gpt-4o-mini")
                span.set_attribute("output", ANSWER)
                span.set_attribute("prompt_tokens", 42)
                span.set_attribute("completion_tokens", 7)
            root.set_attribute("output", json.dumps({"answer": ANSWER}))

    def finish():
        provider.force_flush(30_000)

    return one, finish, finish


def main() -> None:
    sdk, mode, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    endpoint = sys.argv[4] if len(sys.argv) > 4 else "http://127.0.0.1:9"
    workloads = {"trulayer": trulayer_workload, "otel": otel_workload, "noop": noop_workload}
    one, settle, finish = workloads[sdk](mode, endpoint)
    for _ in range(min(1000, n)):  # warm up caches, connections and lazy imports
        one()
    settle()
    chunk = max(1, n // CHUNKS)
    best_wall = best_thread = float("inf")
    cpu0 = time.process_time()
    for _ in range(n // chunk):
        wall0, thread0 = time.perf_counter(), time.thread_time()
        for _ in range(chunk):
            one()
        best_wall = min(best_wall, time.perf_counter() - wall0)
        best_thread = min(best_thread, time.thread_time() - thread0)
    finish()
    cpu = time.process_time() - cpu0
    done = n // chunk * chunk
    print(json.dumps({"wall_us": best_wall / chunk * 1e6, "thread_us": best_thread / chunk * 1e6,
                      "cpu_us": cpu / done * 1e6, "recorded": min(1000, n) + done,
                      "delivered": delivered[0] if sdk == "otel" else None}))


if __name__ == "__main__":
    main()
