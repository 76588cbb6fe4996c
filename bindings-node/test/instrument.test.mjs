// Auto-instrumentation with the real `openai`, `@anthropic-ai/sdk` and `@langchain/core`
// packages, talking HTTP (JSON and SSE) to a fake provider on 127.0.0.1.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { TruLayer, testing } from '@trulayer/sdk';
import { startFakeProvider } from './fake-provider.mjs';

const tl = new TruLayer({ mode: 'local' });
let fake;
let openai;
let anthropic;
before(async () => {
  fake = await startFakeProvider();
  openai = tl.instrumentOpenAI(new OpenAI({ apiKey: 'sk-test', baseURL: `${fake.url}/v1`, maxRetries: 0 }));
  anthropic = tl.instrumentAnthropic(new Anthropic({ apiKey: 'test', baseURL: fake.url, maxRetries: 0 }));
});
after(() => fake?.close());
beforeEach(() => testing.clear(tl));
const spansOfLast = () => testing.lastTrace(tl).spans;

describe('openai', () => {
  it('traces a chat completion as an llm span under the current span', async () => {
    await tl.trace('chat', async (trace) => {
      await trace.span('agent-step', 'agent', async () => {
        const r = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
        assert.equal(r.choices[0].message.content, 'Hello from the fake');
      });
    });
    const spans = spansOfLast();
    const llm = spans.find((s) => s.name === 'openai.chat.completions');
    const step = spans.find((s) => s.name === 'agent-step');
    assert.equal(llm.parentSpanId, step.id);
    assert.equal(llm.spanType, 'llm');
    assert.equal(llm.model, 'gpt-4o-mini');
    assert.equal(llm.input, '[{"content":"hi","role":"user"}]');
    assert.equal(llm.output, 'Hello from the fake');
    assert.deepEqual([llm.promptTokens, llm.completionTokens], [11, 4]);
    assert.equal(llm.metadata.provider, 'openai');
  });

  it('keeps a stream transparent, asks for usage, and ends the span when it is exhausted', async () => {
    let text = '';
    await tl.trace('stream', async () => {
      const stream = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'go' }], stream: true });
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    });
    assert.equal(text, 'Hello stream');
    const request = fake.requests.filter((r) => r.path === '/v1/chat/completions').at(-1).body;
    assert.deepEqual(request.stream_options, { include_usage: true });
    const [llm] = spansOfLast();
    assert.equal(llm.output, 'Hello stream');
    assert.deepEqual([llm.promptTokens, llm.completionTokens], [9, 3]);
    assert.equal(llm.metadata.stream, true);
  });

  it('a stream the caller stops early keeps its partial output', async () => {
    await tl.trace('partial', async () => {
      const stream = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'go' }], stream: true, stream_options: { include_usage: false } });
      for await (const _ of stream) break;
    });
    const [llm] = spansOfLast();
    assert.equal(llm.output, 'Hel');
    assert.equal(llm.metadata.stream_cancelled, true);
    assert.deepEqual(fake.requests.at(-1).body.stream_options, { include_usage: false });
  });

  it('classifies provider failures into metadata.failure_type and rethrows them', async () => {
    await assert.rejects(
      tl.trace('limited', () => openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'rate-limit please' }] })),
      (err) => err.status === 429,
    );
    let [llm] = spansOfLast();
    assert.equal(llm.metadata.failure_type, 'rate_limit');
    assert.match(llm.error, /RateLimitError/);
    await assert.rejects(tl.trace('long', () => openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'too-long' }] })));
    [llm] = spansOfLast();
    assert.equal(llm.metadata.failure_type, 'context_length');
  });

  it('traces embeddings', async () => {
    await tl.trace('embed', () => openai.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] }));
    const [span] = spansOfLast();
    assert.equal(span.name, 'openai.embeddings');
    assert.equal(span.output, '{"dimensions":3,"embeddings":2}');
    assert.equal(span.promptTokens, 5);
  });

  it('passes straight through outside a trace, and is reversible and idempotent', async () => {
    const r = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(r.choices[0].message.content, 'Hello from the fake');
    assert.equal(testing.traces(tl).length, 0);
    const other = new OpenAI({ apiKey: 'sk-test', baseURL: `${fake.url}/v1`, maxRetries: 0 });
    tl.instrumentOpenAI(other);
    tl.instrumentOpenAI(other);
    await tl.trace('twice', () => other.chat.completions.create({ model: 'm', messages: [] }));
    assert.equal(spansOfLast().length, 1, 'instrumenting twice traces once');
    assert.equal(tl.uninstrumentOpenAI(other), other);
    await tl.trace('undone', () => other.chat.completions.create({ model: 'm', messages: [] }));
    assert.equal(spansOfLast().length, 0);
  });
});

describe('anthropic', () => {
  it('traces messages.create with system prompt, output and usage', async () => {
    const msg = await tl.trace('claude', () =>
      anthropic.messages.create({ model: 'claude-3-5-haiku', max_tokens: 64, system: 'be brief', messages: [{ role: 'user', content: 'hello' }] }),
    );
    assert.equal(msg.content[0].text, 'Bonjour from the fake');
    const [span] = spansOfLast();
    assert.equal(span.name, 'anthropic.messages');
    assert.equal(span.model, 'claude-3-5-haiku');
    assert.equal(span.input, '{"messages":[{"content":"hello","role":"user"}],"system":"be brief"}');
    assert.equal(span.output, 'Bonjour from the fake');
    assert.deepEqual([span.promptTokens, span.completionTokens], [13, 5]);
  });

  it('traces a streamed message, including through messages.stream()', async () => {
    await tl.trace('claude-stream', async () => {
      const stream = await anthropic.messages.create({ model: 'claude-3-5-haiku', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }], stream: true });
      const kinds = [];
      for await (const event of stream) kinds.push(event.type);
      assert.equal(kinds.at(-1), 'message_stop');
      const helper = anthropic.messages.stream({ model: 'claude-3-5-haiku', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(await helper.finalText(), 'Bonjour');
    });
    const spans = spansOfLast();
    assert.equal(spans.length, 2);
    for (const s of spans) {
      assert.equal(s.output, 'Bonjour');
      assert.deepEqual([s.promptTokens, s.completionTokens], [8, 2]);
    }
  });

  it('classifies an anthropic rate limit', async () => {
    await assert.rejects(tl.trace('x', () => anthropic.messages.create({ model: 'c', max_tokens: 5, messages: [{ role: 'user', content: 'rate-limit' }] })));
    assert.equal(spansOfLast()[0].metadata.failure_type, 'rate_limit');
  });

  it('is reversible: an uninstrumented client traces nothing', async () => {
    const other = tl.instrumentAnthropic(new Anthropic({ apiKey: 'test', baseURL: fake.url, maxRetries: 0 }));
    const ask = () => other.messages.create({ model: 'c', max_tokens: 5, messages: [{ role: 'user', content: 'hello' }] });
    await tl.trace('traced', ask);
    assert.equal(spansOfLast().length, 1);
    assert.equal(tl.uninstrumentAnthropic(other), other);
    const msg = await tl.trace('untraced', ask);
    assert.equal(msg.content[0].text, 'Bonjour from the fake');
    assert.equal(spansOfLast().length, 0);
  });
});

describe('langchain', () => {
  it('turns runnable, tool and model runs into nested spans', async () => {
    const { RunnableLambda } = await import('@langchain/core/runnables');
    const { tool } = await import('@langchain/core/tools');
    const { FakeListChatModel } = await import('@langchain/core/utils/testing');
    const lookup = tool(async ({ q }) => `result for ${q}`, {
      name: 'lookup',
      description: 'looks things up',
      schema: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
    });
    const model = new FakeListChatModel({ responses: ['the answer'] });
    const chain = RunnableLambda.from(async (q, config) => {
      const found = await lookup.invoke({ q }, config);
      const reply = await model.invoke(found, config);
      return reply.content;
    }).withConfig({ runName: 'qa-chain' });
    const out = await tl.trace('lc', () => chain.invoke('weather', { callbacks: [tl.langChainHandler()] }));
    assert.equal(out, 'the answer');
    const spans = spansOfLast();
    const byName = Object.fromEntries(spans.map((s) => [s.name, s]));
    assert.ok(byName['qa-chain'], `spans: ${spans.map((s) => s.name)}`);
    assert.equal(byName.lookup.spanType, 'tool');
    assert.equal(byName.lookup.parentSpanId, byName['qa-chain'].id);
    const llm = spans.find((s) => s.spanType === 'llm');
    assert.equal(llm.parentSpanId, byName['qa-chain'].id);
    assert.equal(llm.output, 'the answer');
  });

  it('records a failing run as an errored span and lets the error through', async () => {
    const { RunnableLambda } = await import('@langchain/core/runnables');
    const failing = RunnableLambda.from(async () => {
      throw new RangeError('tool broke');
    }).withConfig({ runName: 'breaks' });
    await assert.rejects(tl.trace('lc-fail', () => failing.invoke('x', { callbacks: [tl.langChainHandler()] })), /tool broke/);
    const [span] = spansOfLast();
    assert.equal(span.name, 'breaks');
    assert.equal(span.error, 'RangeError: tool broke');
  });
});
