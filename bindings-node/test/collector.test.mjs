// End to end through the real collector on a loopback port: traces shipped by the engine's
// worker, then read back with the SDK's own API calls.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TruLayer, AuthenticationError, ValidationError, init } from '@trulayer/sdk';
import { KEY, PROJECT, eventually, startCollector, within } from './helpers.mjs';

let collector;
let tl;
before(async () => {
  collector = await startCollector();
  tl = new TruLayer({ apiKey: KEY, project: PROJECT, endpoint: collector.url, flushInterval: 50 });
});
after(async () => {
  await tl?.shutdown(2000);
  await collector?.stop();
});

describe('round trip through the collector', () => {
  it('ships a nested trace that reads back with its spans, events and tags', async () => {
    let traceId;
    await tl.trace(
      'answer_question',
      async (trace) => {
        traceId = trace.id;
        trace.setInput({ question: 'why is the sky blue?' });
        trace.setTag('tier', 'pro');
        await trace.span('retrieve', 'retrieval', async (span) => {
          span.setOutput({ doc_count: 5 });
          await trace.span('embed', 'llm', (s) => s.setTokens({ promptTokens: 7, completionTokens: 0 }));
        });
        await trace.span('generate', 'llm', (span) => {
          span.setModel('gpt-4o-mini');
          span.setTokens({ promptTokens: 12, completionTokens: 30 });
          span.setOutput('Rayleigh scattering');
        });
        trace.event('done', { level: 'info' });
        trace.setOutput({ answer: 'Rayleigh scattering' });
      },
      { sessionId: 'conv-7' },
    );
    assert.equal(await tl.flush(5000), true);
    const t = await tl.getTrace(traceId);
    assert.ok(t, 'the trace is stored');
    assert.equal(t.name, 'answer_question');
    assert.equal(t.session_id, 'conv-7');
    assert.equal(t.input, '{"question":"why is the sky blue?"}');
    assert.equal(t.spans.length, 3);
    const byName = Object.fromEntries(t.spans.map((s) => [s.name, s]));
    assert.equal(byName.embed.parent_span_id, byName.retrieve.id);
    assert.equal(byName.generate.completion_tokens, 30);
    assert.equal(byName.generate.model, 'gpt-4o-mini');
    assert.equal(t.events?.[0]?.message, 'done');
    const stats = tl.stats();
    assert.equal(stats.sent, stats.finished);
    assert.equal(stats.pending, 0);
  });

  it('init() again shuts the previous global client down, delivering what it held', async () => {
    // A long flush interval: only the shutdown that init() starts can deliver the trace.
    const options = { apiKey: KEY, project: PROJECT, endpoint: collector.url, flushInterval: 60_000 };
    const first = init(options);
    const traceId = await first.trace('before re-init', (trace) => trace.id);
    const second = init(options);
    try {
      assert.notEqual(second, first);
      await eventually(() => tl.getTrace(traceId), "the first client's trace in the collector");
      assert.equal(first.stats().sent, 1);
    } finally {
      await second.shutdown(2000);
    }
  });

  it('getTrace resolves to null for an unknown id', async () => {
    assert.equal(await tl.getTrace('01900000-0000-7000-8000-00000000abcd'), null);
  });

  it('listTraces iterates over every page', async () => {
    for (let i = 0; i < 5; i++) {
      await tl.trace(`paged-${i}`, async (t) => t.setTag('batch', 'paging'));
    }
    await tl.flush(5000);
    const names = [];
    let pages = 0;
    for await (const page of tl.listTraces({ tagKey: 'batch', tagValue: 'paging', limit: 2 })) {
      pages += 1;
      assert.ok(page.traces.length <= 2);
      names.push(...page.traces.map((t) => t.name));
    }
    assert.equal(pages, 3);
    assert.deepEqual(names.sort(), ['paged-0', 'paged-1', 'paged-2', 'paged-3', 'paged-4']);
  });

  it('listTraces filters by error, and a bad filter is rejected with the server message', async () => {
    await assert.rejects(
      tl.trace('broken', async () => {
        throw new Error('upstream down');
      }),
    );
    await tl.flush(5000);
    const failing = [];
    for await (const page of tl.listTraces({ error: true })) failing.push(...page.traces.map((t) => t.name));
    assert.deepEqual(failing, ['broken']);
    await assert.rejects(async () => {
      for await (const _ of tl.listTraces({ tagKey: 'only-key' })) void _;
    }, (err) => err instanceof ValidationError && err.status === 400);
  });

  it('submitFeedback, runEval and getMetrics talk to the API', async () => {
    const id = await tl.trace('rated', (t) => t.id);
    await tl.flush(5000);
    await tl.submitFeedback(id, { label: 'good', score: 1, comment: 'great', metadata: { source: 'thumbs_button' } });
    await assert.rejects(tl.submitFeedback(id, { label: 'meh' }), /label must be good, bad or neutral/);
    const ev = await tl.runEval(id, { evaluatorType: 'rule', metricName: 'no_error' });
    assert.match(ev.evalId, /^[0-9a-f-]{36}$/);
    assert.ok(ev.status.length > 0);
    const m = await tl.getMetrics();
    assert.ok(m.total_traces >= 8, `total_traces ${m.total_traces}`);
    assert.ok(m.error_count >= 1);
  });

  it('a refused key is reported to onError as AuthenticationError and nothing is retried', async () => {
    const bad = new TruLayer({ apiKey: 'tl_wrong_key_123', endpoint: collector.url, flushInterval: 50 });
    const reported = new Promise((resolve) => bad.onError(resolve));
    bad.trace('refused', () => {});
    const err = await within(10_000, reported, 'the authentication report');
    assert.ok(err instanceof AuthenticationError, `${err.name}: ${err.message}`);
    assert.equal(err.status, 401);
    await bad.shutdown(1000);
    assert.equal(bad.stats().dropped.auth, 1);
    await assert.rejects(bad.getMetrics(), AuthenticationError);
  });
});
