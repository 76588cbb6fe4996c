// The Node SDK through the fault proxy (tests/faults) into the real collector: after a scripted
// run of resets, hangs, refused connections, 408/429/5xx, a poison trace and 413s, every trace
// the SDK counted as sent is stored exactly once, every other one is counted as dropped with
// its reason, and sent + dropped == created.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TruLayer } from '@trulayer/sdk';
import { KEY, PROJECT, collectorGet, startCollector, startFaultProxy } from './helpers.mjs';

const PLAN = 'pass*3, 503, 429:1, reset, lost, 500, delay:300, 502, down:500, pass*2, lost, hang, 503*2, 408, '
  + 'poison:poison-trace, max:40';

describe('faults between the SDK and the collector', () => {
  let store;
  let proxy;
  before(async () => {
    store = await startCollector();
    proxy = await startFaultProxy(store.url, PLAN);
  });
  after(async () => {
    await proxy?.stop();
    await store?.stop();
  });

  it('lose nothing silently', { timeout: 180_000 }, async () => {
    const tl = new TruLayer({ apiKey: KEY, project: PROJECT, endpoint: proxy.url, batchSize: 50, flushInterval: 200, timeout: 1000, retryBudget: 60_000 });
    const created = new Set();
    const poison = new Set();
    for (let i = 0; i < 2000; i++) {
      const name = i % 500 === 250 ? 'poison-trace' : 'ok';
      const id = await tl.trace(name, async (trace) => {
        trace.setInput({ i });
        await trace.span('generate', 'llm', (span) => {
          span.setModel('gpt-4o-mini');
          span.setTokens({ promptTokens: 10, completionTokens: 5 });
        });
        return trace.id;
      });
      created.add(id);
      if (name === 'poison-trace') poison.add(id);
    }
    assert.ok(await tl.flush(120_000), JSON.stringify(tl.stats()));
    const stats = tl.stats();
    assert.equal(stats.finished, 2000);
    assert.equal(stats.sent + stats.droppedTotal, 2000, JSON.stringify(stats));
    assert.equal(stats.dropped.invalid, poison.size, JSON.stringify(stats));
    assert.equal(stats.droppedTotal, poison.size);

    const stored = [];
    for (let cursor = null; ;) {
      const page = await collectorGet(store.url, `/v1/traces?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
      stored.push(...page.traces.map((t) => t.id));
      if (!page.has_more) break;
      cursor = page.next_cursor;
    }
    assert.equal(new Set(stored).size, stored.length, 'a trace was stored twice');
    assert.equal(stored.length, stats.sent);
    for (const id of stored) assert.ok(created.has(id) && !poison.has(id), id);

    const applied = await (await fetch(`${proxy.url}/__fault/stats`)).json();
    for (const [step, atLeast] of Object.entries({ reset: 1, lost: 2, hang: 1, down: 1, status: 7, too_large: 1 })) {
      assert.ok((applied[step] ?? 0) >= atLeast, `${step}: ${JSON.stringify(applied)}`);
    }
    await tl.shutdown();
  });
});
