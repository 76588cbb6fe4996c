"""TruLayer Python quickstart: ships a few nested traces to the endpoint in TRULAYER_ENDPOINT
(e.g. the local collector) with the key in TRULAYER_API_KEY, flushes, and exits 0.

    cargo run -p trulayer-collector -- --addr 127.0.0.1:8080 --key tl_dev=quickstart &
    TRULAYER_ENDPOINT=http://127.0.0.1:8080 TRULAYER_API_KEY=tl_dev python examples/python/quickstart.py
"""

from __future__ import annotations

import sys

import trulayer


@trulayer.observe(name="lookup_weather", type="tool")
def lookup_weather(city: str) -> dict:
    return {"city": city, "forecast": "sunny", "high_c": 24}


def answer(question: str, session_id: str) -> str:
    with trulayer.trace("answer_question", session_id=session_id, metadata={"example": "quickstart"}) as trace:
        trace.set_input({"question": question})
        with trace.span("retrieve", span_type="retrieval") as span:
            docs = [f"doc {i} about {question}" for i in range(3)]
            span.set_output({"doc_count": len(docs)})
        with trace.span("plan", span_type="agent"):
            weather = lookup_weather("Paris")  # nested under "plan"
            with trace.span("generate", span_type="llm") as span:
                span.set_model("gpt-4o-mini")
                reply = f"It will be {weather['forecast']} in {weather['city']}."
                span.set_output(reply)
                span.set_tokens(prompt_tokens=120, completion_tokens=12)
        trace.set_output({"answer": reply})
        return reply


def main() -> int:
    client = trulayer.init(project="quickstart")  # key, endpoint and the rest from TRULAYER_*
    failures = []
    trulayer.on_error(failures.append)
    for i, question in enumerate(["Weather in Paris?", "Should I bring an umbrella?", "Plan my picnic"]):
        print(answer(question, session_id="quickstart-session"))
    delivered = trulayer.flush(timeout=10)
    stats = client.stats()
    trulayer.shutdown()
    print(f"sent {stats['sent']} traces to {client._native.endpoint}")
    if not delivered or failures or stats["sent"] != 3:
        print(f"delivery problem: flushed={delivered} errors={[str(f) for f in failures]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
