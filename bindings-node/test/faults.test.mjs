// The Node SDK against the real collector under faults: a scripted run through the fault proxy
// (tests/faults) of resets, hangs, refused connections, 408/429/5xx, a poison trace and 413s,
// and the collector killed (SIGKILL) and restarted mid-run. Afterwards every trace the SDK
// counted as sent is stored exactly once, every other one is counted as dropped with its
// reason, and sent + dropped == created.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { TruLayer } from '@trulayer/sdk';
import { KEY, PROJECT, collectorGet, startCollector, startFaultProxy } from './helpers.mjs';

const PLAN = 'pass*3, 503, 429:1, reset, lost, 500, delay:300, 502, down:500, pass*2, lost, hang, 503*2, 408, '
  + 'poison:poison-trace, max:40';

function client(endpoint, options) {
  return new TruLayer({ apiKey: KEY, project: PROJECT, endpoint, timeout: 1000, retryBudget: 60_000, ...options });
}

/** Records one trace with an LLM span; resolves to its id. */
function record(tl, name, i) {
  return tl.trace(name, async (trace) => {
    trace.setInput({ i });
    await trace.span('generate', 'llm', (span) => {
      span.setModel('gpt-4o-mini');
      span.setTokens({ promptTokens: 10, completionTokens: 5 });
    });
    return trace.id;
  });
}

/** Records `count` traces named `name` into `created`. */
async function recordMany(tl, name, count, created) {
  for (let i = 0; i < count; i++) created.add(await record(tl, name, i));
}

/** Every trace id the collector holds for the project, walking every page. */
async function storedIds(url) {
  const ids = [];
  for (let cursor = null; ;) {
    const page = await collectorGet(url, `/v1/traces?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
    ids.push(...page.traces.map((t) => t.id));
    if (!page.has_more) return ids;
    cursor = page.next_cursor;
  }
}

describe('faults between the SDK and the collector', () => {
  it('a scripted run loses nothing silently', { timeout: 180_000 }, async (t) => {
    const store = await startCollector();
    t.after(() => store.stop());
    const proxy = await startFaultProxy(store.url, PLAN);
    t.after(() => proxy.stop());
    const tl = client(proxy.url, { batchSize: 50, flushInterval: 200 });
    const created = new Set();
    const poison = new Set();
    for (let i = 0; i < 2000; i++) {
      const name = i % 500 === 250 ? 'poison-trace' : 'ok';
      const id = await record(tl, name, i);
      created.add(id);
      if (name === 'poison-trace') poison.add(id);
    }
    assert.ok(await tl.flush(120_000), JSON.stringify(tl.stats()));
    const stats = tl.stats();
    assert.equal(stats.finished, 2000);
    assert.equal(stats.sent + stats.droppedTotal, 2000, JSON.stringify(stats));
    assert.equal(stats.dropped.invalid, poison.size, JSON.stringify(stats));
    assert.equal(stats.droppedTotal, poison.size);

    const stored = await storedIds(store.url);
    assert.equal(new Set(stored).size, stored.length, 'a trace was stored twice');
    assert.equal(stored.length, stats.sent);
    for (const id of stored) assert.ok(created.has(id) && !poison.has(id), id);

    const applied = await (await fetch(`${proxy.url}/__fault/stats`)).json();
    for (const [step, atLeast] of Object.entries({ reset: 1, lost: 2, hang: 1, down: 1, status: 7, too_large: 1 })) {
      assert.ok((applied[step] ?? 0) >= atLeast, `${step}: ${JSON.stringify(applied)}`);
    }
    await tl.shutdown();
  });

  it('the collector killed and restarted mid-run loses nothing', { timeout: 120_000 }, async (t) => {
    const store = await startCollector();
    t.after(() => store.stop());
    const tl = client(store.url, { batchSize: 20, flushInterval: 100 });
    const created = new Set();
    await recordMany(tl, 'before', 250, created);
    // These are stored before the kill: the restarted collector must still hold them.
    assert.ok(await tl.flush(30_000), JSON.stringify(tl.stats()));
    await recordMany(tl, 'before', 250, created);
    await store.kill(); // SIGKILL, no graceful shutdown, while those batches are in flight
    await recordMany(tl, 'during', 500, created);
    await sleep(800); // the SDK meets refused connections and backs off
    await store.restart(); // same port: the SDK's endpoint stays valid
    assert.ok(await tl.flush(60_000), JSON.stringify(tl.stats()));
    const stats = tl.stats();
    assert.equal(stats.finished, 1000);
    assert.equal(created.size, 1000);
    assert.deepEqual([stats.sent, stats.droppedTotal], [1000, 0], JSON.stringify(stats));
    assert.ok(stats.retries >= 1, `the outage was never met: ${JSON.stringify(stats)}`);
    const stored = await storedIds(store.url);
    assert.equal(new Set(stored).size, stored.length, 'a trace was stored twice');
    assert.deepEqual(new Set(stored), created);
    await tl.shutdown();
  });
});
