// Whole Node processes: the addon's worker never keeps a process alive, and traces still
// queued when the program ends are delivered by the exit hooks.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { KEY, PROJECT, collectorGet, runNode, startCollector } from './helpers.mjs';

let collector;
before(async () => {
  collector = await startCollector();
});
after(() => collector?.stop());

async function storedNames(tag) {
  const page = await collectorGet(collector.url, `/v1/traces?tag_key=run&tag_value=${tag}&limit=50`);
  return page.traces.map((t) => t.name).sort();
}

describe('process lifetime', () => {
  it('beforeExit flushes traces the program never flushed', async () => {
    const code = `
      import { TruLayer } from '@trulayer/sdk';
      // A long flush interval: without the exit hook these traces would never leave.
      const tl = new TruLayer({ apiKey: '${KEY}', endpoint: '${collector.url}', flushInterval: 3600000 });
      for (let i = 0; i < 3; i++) await tl.trace('queued-' + i, async (t) => t.setTag('run', 'before-exit'));
    `;
    const r = await runNode(code);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await storedNames('before-exit'), ['queued-0', 'queued-1', 'queued-2']);
  });

  it('process.exit() with traces queued delivers them through the exit hook', async () => {
    const code = `
      const { TruLayer } = require('@trulayer/sdk');
      const tl = new TruLayer({ apiKey: '${KEY}', endpoint: '${collector.url}', flushInterval: 3600000 });
      tl.trace('exit-now', (t) => t.setTag('run', 'process-exit'));
      process.exit(0);
    `;
    const r = await runNode(code, { type: 'commonjs' });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await storedNames('process-exit'), ['exit-now']);
  });

  it('an idle client with an onError subscriber never keeps Node alive', async () => {
    const code = `
      import { TruLayer } from '@trulayer/sdk';
      const tl = new TruLayer({ apiKey: '${KEY}', endpoint: '${collector.url}' });
      tl.onError(() => {});
      await tl.trace('one', async () => {});
      await tl.flush(5000);
      console.log('done');
    `;
    const r = await runNode(code, { timeoutMs: 10_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'done');
    assert.ok(r.ms < 5000, `took ${r.ms} ms`);
  });

  it('a black-holed endpoint delays exit by at most the shutdown timeout', async () => {
    // Accepts connections and never answers.
    const sockets = [];
    const hole = createServer((s) => sockets.push(s));
    await new Promise((r) => hole.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${hole.address().port}`;
    try {
      const code = `
        import { TruLayer } from '@trulayer/sdk';
        const tl = new TruLayer({ apiKey: '${KEY}', endpoint: '${endpoint}', shutdownTimeout: 500, timeout: 60000 });
        tl.onError(() => {});
        tl.trace('lost', () => {});
      `;
      const r = await runNode(code, { timeoutMs: 15_000 });
      assert.equal(r.code, 0, r.stderr);
      // beforeExit's flush (500 ms) plus the exit hook's shutdown (500 ms) plus Node's startup.
      assert.ok(r.ms < 5000, `took ${r.ms} ms`);
    } finally {
      sockets.forEach((s) => s.destroy());
      hole.close();
    }
  });
});
