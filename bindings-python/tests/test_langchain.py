"""instrument_langchain with the real langchain-core: a chain of a retriever, a tool and a
chat model (backed by the real openai client talking to the fake provider over HTTP)."""

from __future__ import annotations

from typing import Any, List, Optional

import openai
import pytest
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import tool

import trulayer


class ProviderChatModel(BaseChatModel):
    """A minimal chat model over the real openai client."""

    base_url: str
    model: str = "gpt-4o-mini"

    @property
    def _llm_type(self) -> str:
        return "fake-provider"

    @property
    def _identifying_params(self) -> dict:
        return {"model": self.model}

    def _generate(self, messages: List[BaseMessage], stop: Optional[List[str]] = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        client = openai.OpenAI(api_key="sk-test", base_url=self.base_url, max_retries=0)
        roles = {"human": "user", "ai": "assistant", "system": "system"}
        r = client.chat.completions.create(model=self.model, messages=[
            {"role": roles.get(m.type, "user"), "content": m.content} for m in messages])
        usage = {"input_tokens": r.usage.prompt_tokens, "output_tokens": r.usage.completion_tokens,
                 "total_tokens": r.usage.total_tokens}
        return ChatResult(generations=[ChatGeneration(message=AIMessage(r.choices[0].message.content,
                                                                        usage_metadata=usage))])


class Docs(BaseRetriever):
    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> List[Document]:
        if query == "explode":
            raise LookupError("index offline")
        return [Document(page_content=f"doc about {query}", metadata={"n": 1})]


@tool
def shout(text: str) -> str:
    """Upper-cases text."""
    return text.upper()


def test_chain_retriever_tool_and_model_become_nested_spans(provider, local):
    model = ProviderChatModel(base_url=provider.url + "/v1")
    retriever = Docs()

    def answer(question: str) -> str:
        docs = retriever.invoke(question)
        loud = shout.invoke({"text": docs[0].page_content})
        return model.invoke(f"{loud}: {question}").content

    chain = RunnableLambda(answer, name="rag_chain")
    handler = trulayer.instrument_langchain()
    with trulayer.trace("lc") as trace:
        result = chain.invoke("cats", config={"callbacks": [handler]})
    assert result == "Hello there"
    spans = {s.name: s for s in local.last_trace().spans}
    root = spans["rag_chain"]
    assert root.parent_span_id is None and root.span_type == "custom" and root.output == "Hello there"
    assert spans["Docs"].span_type == "retrieval" and spans["Docs"].parent_span_id == root.id
    assert spans["Docs"].output == [{"page_content": "doc about cats", "metadata": {"n": 1}}]
    assert spans["shout"].span_type == "tool" and spans["shout"].output == "DOC ABOUT CATS"
    llm = spans["ProviderChatModel"]
    assert llm.span_type == "llm" and llm.parent_span_id == root.id
    assert llm.output == "Hello there" and (llm.prompt_tokens, llm.completion_tokens) == (9, 3)
    assert llm.input == [{"role": "human", "content": "DOC ABOUT CATS: cats"}]


def test_root_run_without_a_trace_becomes_a_trace(local):
    handler = trulayer.instrument_langchain()
    Docs().invoke("dogs", config={"callbacks": [handler]})
    t = local.last_trace()
    assert t.name == "Docs" and t.input == "dogs" and t.spans[0].span_type == "retrieval"


def test_errors_are_recorded_on_the_run_and_reraised(local):
    handler = trulayer.instrument_langchain()
    with pytest.raises(LookupError):
        Docs().invoke("explode", config={"callbacks": [handler]})
    t = local.last_trace()
    assert t.error.type == "LookupError" and t.spans[0].error.message == "index offline"
