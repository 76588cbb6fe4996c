// A native addon that cannot be loaded never breaks the application: a copy of the package
// with a damaged or missing .node file still loads from ESM and CommonJS, warns once with the
// reason and the fix, and every call becomes a no-op that runs the application's code.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { copyBuiltPackage, removeTempDirs, runNode, tempDir } from './helpers.mjs';

after(removeTempDirs);

/** An app folder whose node_modules holds a copy of the built package with `addon` (bytes,
 * or none when undefined) as its native addon. */
function appWithPackage(addon) {
  const app = tempDir('tl-node-disabled-');
  copyBuiltPackage(path.join(app, 'node_modules', '@trulayer', 'sdk'), addon);
  return app;
}

const APP = `
  import { TruLayer, init, getClient, testing, currentTrace, currentSpan } from '@trulayer/sdk';
  import { createRequire } from 'node:module';
  const cjs = createRequire(import.meta.url)('@trulayer/sdk');
  const out = { sameModule: cjs.TruLayer === TruLayer };
  const tl = new TruLayer({ apiKey: 'tl_key', endpoint: 'http://127.0.0.1:9', onError: () => { out.onErrorCalled = true; } });
  const local = init({ mode: 'local', sampleRate: () => { out.sampleFnCalled = true; return true; } });
  out.value = await tl.trace('t', async (trace) => {
    trace.setInput({ q: 1 }); trace.setOutput('o'); trace.setMetadata({ a: 1 }); trace.setModel('m');
    trace.setCost(0.5); trace.addTag('x'); trace.setTag('k', 'v'); trace.event('e', { level: 'warn' });
    return trace.span('s', 'llm', async (span) => {
      span.setTokens({ promptTokens: 1, completionTokens: 2 });
      span.setError(new Error('handled'));
      return { inSpan: currentSpan() === span, inTrace: currentTrace() === trace };
    });
  }, { sessionId: 'conv', tags: ['t'] });
  out.sync = getClient().trace('sync', (t) => t.span('inner', () => 'x'));
  try { tl.trace('boom', () => { throw new RangeError('mine'); }); } catch (e) { out.thrown = e.message; }
  const provider = { chat: { completions: { create: async () => { throw Object.assign(new Error('slow down'), { status: 429 }); } } } };
  tl.instrumentOpenAI(provider);
  out.providerError = await tl.trace('p', () => provider.chat.completions.create({ model: 'm' })).catch((e) => e.message);
  out.stats = tl.stats();
  out.enabled = [tl.settings.enabled, local.settings.enabled];
  out.flushed = await tl.flush();
  out.shutdown = await tl.shutdown();
  out.lastTrace = testing.lastTrace(local);
  out.api = await tl.getTrace('x').then(() => 'resolved', (e) => e.name + ': ' + e.message);
  console.log(JSON.stringify(out));
`;

const CASES = [
  { what: 'a damaged .node file', addon: Buffer.from('not a shared object\n'.repeat(64)), error: /invalid ELF header|file too short/ },
  { what: 'no .node file for this platform', addon: undefined, error: /Cannot find module/ },
];

describe('without a loadable native addon', () => {
  for (const { what, addon, error } of CASES) {
    it(`${what}: the app runs, the SDK warns once and does nothing`, async () => {
      const r = await runNode(APP, { cwd: appWithPackage(addon) });
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.equal(out.sameModule, true);
      assert.deepEqual(out.value, { inSpan: true, inTrace: true });
      assert.equal(out.sync, 'x');
      assert.equal(out.thrown, 'mine');
      assert.equal(out.providerError, 'slow down', 'the provider error reaches the app unchanged');
      assert.equal(out.stats.enabled, false);
      assert.equal(out.stats.finished, 0);
      assert.deepEqual(out.enabled, [false, false]);
      assert.equal(out.flushed, true);
      assert.equal(out.shutdown, true);
      assert.equal(out.lastTrace, null);
      assert.equal(out.onErrorCalled, undefined);
      assert.equal(out.sampleFnCalled, undefined, 'user hooks are not called for traces nobody records');
      assert.match(out.api, /^TruLayerError: getTrace failed: @trulayer\/sdk is disabled: the native addon .* could not be loaded/);

      const warnings = r.stderr.split('\n').filter((l) => l.includes('TRULAYER_ADDON_UNAVAILABLE'));
      assert.equal(warnings.length, 1, `one warning for two clients:\n${r.stderr}`);
      assert.match(warnings[0], error);
      assert.match(warnings[0], /Tracing is disabled/);
      assert.match(warnings[0], /npm rebuild @trulayer\/sdk/);
    });
  }
});
