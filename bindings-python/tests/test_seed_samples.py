"""Every Python sample of the seed documents runs as written (texts in seed_samples.py),
with the names they leave undefined (question, vector_store, client, ...) supplied around
them. Samples that call init() with placeholder keys run in TRULAYER_MODE=local so that
nothing leaves the machine and the result can be checked."""

from __future__ import annotations

import asyncio
import glob
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

import seed_samples as S
import trulayer

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"


@pytest.mark.parametrize("prefix,name,text", S.ALL, ids=[n for _, n, _ in S.ALL])
def test_copies_match_the_seed_documents(prefix, name, text):
    files = glob.glob(str(SEEDS / f"{prefix}*.txt"))
    if not files:
        pytest.skip("the seed documents are not next to this checkout")
    assert text in Path(files[0]).read_text()


def run(text: str, **names):
    namespace = {"trulayer": trulayer, **names}
    exec(compile(text, "<seed sample>", "exec"), namespace)
    return namespace


def run_async(text: str, **names):
    body = "async def __sample():\n" + textwrap.indent(text, "    ")
    namespace = run(body, **names)
    asyncio.run(namespace["__sample"]())


class VectorStore:
    def search(self, question, k):
        return [f"doc {i} on {question}" for i in range(k)]


class FakeChatClient:
    """Stands in for ``client`` in the seed's manual example, whose call is literally
    ``client.chat.completions.create(...)``."""

    def __init__(self):
        message = SimpleNamespace(content="42")
        response = SimpleNamespace(choices=[SimpleNamespace(message=message)],
                                   usage=SimpleNamespace(prompt_tokens=11, completion_tokens=2))
        self.chat = SimpleNamespace(completions=SimpleNamespace(create=lambda *a, **k: response))


def test_seed_000_trace_and_atrace(local):
    run(S.TRACE_USAGE, question="why?", answer="because")
    assert local.last_trace().output == {"answer": "because"}
    run_async(S.ATRACE_USAGE, question="async why?")
    assert local.last_trace().input == {"question": "async why?"}


def test_seed_000_explicit_client_and_shutdown(monkeypatch):
    monkeypatch.setenv("TRULAYER_MODE", "local")
    ns = run(S.EXPLICIT_CLIENT)
    assert trulayer.testing.last_trace(ns["client"]).name == "work"
    trulayer.init(project="p")
    run(S.SHUTDOWN)
    with pytest.raises(RuntimeError):
        trulayer.get_client()


def test_seed_001_manual_instrumentation(monkeypatch):
    monkeypatch.setenv("TRULAYER_MODE", "local")
    run(S.MANUAL_INSTRUMENTATION, question="What is six times seven?", vector_store=VectorStore(),
        client=FakeChatClient())
    t = trulayer.testing.last_trace()
    assert t.project_id == "rag-app" and t.output == {"answer": "42"}
    retrieve, generate = t.spans
    assert retrieve.output == {"doc_count": 5} and retrieve.span_type == "retrieval"
    assert (generate.model, generate.prompt_tokens, generate.completion_tokens) == ("gpt-4o-mini", 11, 2)


def test_seed_001_auto_instrumentation(monkeypatch, provider):
    monkeypatch.setenv("TRULAYER_MODE", "local")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", provider.url + "/v1")
    ns = run(S.AUTO_INSTRUMENTATION)
    with trulayer.trace("manual") as trace:
        with trace.span("outer"):
            ns["client"].chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    spans = {s.name: s for s in trulayer.testing.last_trace().spans}
    assert spans["openai.chat.completions.create"].parent_span_id == spans["outer"].id


def test_seed_002_scrub_redacts_emails_nested_in_dicts(monkeypatch):
    monkeypatch.setenv("TRULAYER_MODE", "local")
    run(S.SCRUB)
    with trulayer.trace("support") as trace:
        trace.set_input({"from": "jane.doe+x@example.co.uk", "body": ["cc bob@corp.io"]})
    assert trulayer.testing.last_trace().input == {"from": "[email]", "body": ["cc [email]"]}


def test_seed_002_sampling_keeps_every_error(monkeypatch):
    monkeypatch.setenv("TRULAYER_MODE", "local")
    run(S.SAMPLING)
    for i in range(200):
        with trulayer.trace("ok"):
            pass
    with pytest.raises(ValueError):
        with trulayer.trace("err"):
            raise ValueError("x")
    names = [t.name for t in trulayer.testing.traces()]
    assert names[-1] == "err" and 0 < names.count("ok") < 80


def test_seed_002_local_mode(monkeypatch):
    monkeypatch.delenv("TRULAYER_MODE", raising=False)
    run(S.LOCAL_MODE)
    monkeypatch.delenv("TRULAYER_MODE")  # the sample sets it in os.environ


def test_seed_004_observe(local):
    async def process(query):
        return query[::-1]

    ns = run(S.for_trulayer(S.OBSERVE), do_work=str.upper, process=process)
    with trulayer.trace("t"):
        assert ns["my_function"]("q") == "Q"
    assert local.last_trace().span("my_function").span_type == "tool"
    assert asyncio.run(ns["async_agent"]("abc")) == "cba"
    assert local.last_trace().name == "async_agent"


def test_seed_004_using_attributes_and_updates(local):
    @trulayer.observe(name="run_agent", type="agent")
    def run_agent(question):
        run(S.for_trulayer(S.UPDATE_CURRENT))
        return "sunny"

    ns = run(S.for_trulayer(S.USING_ATTRIBUTES), run_agent=run_agent)
    assert ns["result"] == "sunny"
    t = local.last_trace()
    assert (t.user_id, t.session_id) == ("user-123", "sess-456")
    assert t.tags == ["production", "v2"]
    # run_agent is the trace itself (no trace was active), so update_current_span lands on it
    assert t.metadata == {"feature": "chat", "plan": "pro", "region": "us-east-1", "custom_key": "custom_value",
                          "model_parameters": {"temperature": 0.7, "max_tokens": 1024}}
    assert t.name == "custom_name" and t.model == "gpt-4o" and t.output == "sunny"  # the return value wins
