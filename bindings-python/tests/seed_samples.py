"""The Python samples of the seed documents, copied verbatim (the seed files live outside the
repository, in ../shared/seeds/; test_seed_samples.py checks the copies against them when
they are present). Each entry: (seed file prefix, sample name, text)."""

SEED_000 = "000_"
SEED_001 = "001_"
SEED_002 = "002_"
SEED_004 = "004_"

TRACE_USAGE = '''with trulayer.trace("answer_question") as trace:
    trace.set_input({"question": question})
    ...
    trace.set_output({"answer": answer})'''

ATRACE_USAGE = '''async with trulayer.atrace("answer_question") as trace:
    trace.set_input({"question": question})'''

SHUTDOWN = '''trulayer.shutdown()'''

EXPLICIT_CLIENT = '''from trulayer import TruLayerClient

client = TruLayerClient(api_key="...", project="...")
with client.trace("work") as trace:
    ...'''

MANUAL_INSTRUMENTATION = '''import trulayer

trulayer.init(api_key="...", project_name="rag-app")

with trulayer.trace("answer_question") as trace:
    trace.set_input({"question": question})

    with trace.span("retrieve", span_type="retrieval") as span:
        docs = vector_store.search(question, k=5)
        span.set_output({"doc_count": len(docs)})

    with trace.span("generate", span_type="llm") as span:
        span.set_model("gpt-4o-mini")
        response = client.chat.completions.create(...)
        span.set_output(response.choices[0].message.content)
        span.set_tokens(
            prompt_tokens=response.usage.prompt_tokens,
            completion_tokens=response.usage.completion_tokens,
        )

    trace.set_output({"answer": response.choices[0].message.content})'''

AUTO_INSTRUMENTATION = '''import trulayer
from openai import OpenAI

trulayer.init(api_key="...", project_name="rag-app")

client = OpenAI()
trulayer.instrument_openai(client)

# Every client.chat.completions.create() call is now traced automatically.'''

SCRUB = '''import re, trulayer

EMAIL = re.compile(r"[\\w.+-]+@[\\w-]+\\.[\\w.-]+")

def scrub(value):
    if isinstance(value, str):
        return EMAIL.sub("[email]", value)
    return value

trulayer.init(api_key=..., project_name="prod", scrub_fn=scrub)'''

SAMPLING = '''import random, trulayer

def sample(ctx):
    if ctx.has_error:
        return True
    return random.random() < 0.1

trulayer.init(..., sample_rate=sample)'''

LOCAL_MODE = '''# In your test setup
import os
os.environ["TRULAYER_MODE"] = "local"

import trulayer
trulayer.init(project_name="tests")  # no api_key needed in local mode

with trulayer.trace("unit-test") as t:
    t.set_output({"ok": True})

# Assert on the captured trace without a network round-trip
assert trulayer.testing.last_trace().name == "unit-test"'''

# Seed 004 documents another SDK (traceroot); its samples run here with only the import
# lines changed to this package, which provides the same names.
OBSERVE = '''from traceroot import observe

@observe(name="my_function", type="tool")
def my_function(query: str) -> str:
    return do_work(query)

@observe(name="async_agent", type="agent")
async def async_agent(query: str) -> str:
    return await process(query)'''

USING_ATTRIBUTES = '''from traceroot import using_attributes

with using_attributes(
    user_id="user-123",
    session_id="sess-456",
    tags=["production", "v2"],
    metadata={"feature": "chat"},
):
    result = run_agent("What is the weather?")'''

UPDATE_CURRENT = '''from traceroot import update_current_span, update_current_trace

# Update the current span
update_current_span(
    name="custom_name",
    input={"query": "hello"},
    output={"response": "world"},
    metadata={"custom_key": "custom_value"},
    # LLM-specific attributes (useful for custom/unsupported providers)
    model="gpt-4o",
    model_parameters={"temperature": 0.7, "max_tokens": 1024},
    usage={"input_tokens": 100, "output_tokens": 50},
    prompt=[{"role": "user", "content": "hello"}],
)

# Update the current trace
update_current_trace(
    user_id="user-123",
    session_id="sess-456",
    tags=["production", "v2"],
    metadata={"plan": "pro", "region": "us-east-1"},
)'''

ALL = [
    (SEED_000, "trace_usage", TRACE_USAGE),
    (SEED_000, "atrace_usage", ATRACE_USAGE),
    (SEED_000, "shutdown", SHUTDOWN),
    (SEED_000, "explicit_client", EXPLICIT_CLIENT),
    (SEED_001, "manual_instrumentation", MANUAL_INSTRUMENTATION),
    (SEED_001, "auto_instrumentation", AUTO_INSTRUMENTATION),
    (SEED_002, "scrub", SCRUB),
    (SEED_002, "sampling", SAMPLING),
    (SEED_002, "local_mode", LOCAL_MODE),
    (SEED_004, "observe", OBSERVE),
    (SEED_004, "using_attributes", USING_ATTRIBUTES),
    (SEED_004, "update_current", UPDATE_CURRENT),
]


def for_trulayer(text: str) -> str:
    """Seed 004's samples with their import lines pointed at this package."""
    return text.replace("from traceroot import", "from trulayer import")
