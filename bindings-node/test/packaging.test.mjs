// The package as users load it: ESM and CommonJS give the same module, its declarations
// type-check a TypeScript program, and the raw binding's generated type declarations match
// the committed snapshot the facade compiles against.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import * as esm from '@trulayer/sdk';
import * as esmTesting from '@trulayer/sdk/testing';
import { ADDON_FILE, PACKAGE_DIR, copyBuiltPackage, removeTempDirs, runNode, tempDir } from './helpers.mjs';

const require = createRequire(import.meta.url);
after(removeTempDirs);

describe('packaging', () => {
  it('import and require expose the same objects', () => {
    const cjs = require('@trulayer/sdk');
    assert.equal(esm.TruLayer, cjs.TruLayer);
    assert.deepEqual(Object.keys(esm).filter((k) => k !== 'default').sort(), Object.keys(cjs).sort());
    assert.equal(esmTesting.lastTrace, require('@trulayer/sdk/testing').lastTrace);
    for (const name of ['TruLayer', 'init', 'getClient', 'currentTrace', 'currentSpan', 'testing', 'AuthenticationError']) {
      assert.ok(name in cjs, `${name} is exported`);
    }
  });

  it('ships type declarations for every entry point', () => {
    const pkg = JSON.parse(readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8'));
    for (const entry of Object.values(pkg.exports)) {
      if (typeof entry === 'string') continue;
      for (const file of [entry.types, entry.import, entry.require]) {
        assert.ok(readFileSync(path.join(PACKAGE_DIR, file)).length > 0, file);
      }
    }
    const dts = readFileSync(path.join(PACKAGE_DIR, 'dist', 'index.d.ts'), 'utf8');
    assert.match(dts, /export \{ TruLayer/);
  });

  it('a TypeScript program type-checks against the shipped declarations', () => {
    const dir = tempDir('tl-node-types-');
    const sdk = JSON.stringify(path.join(PACKAGE_DIR, 'dist', 'index'));
    const testingEntry = JSON.stringify(path.join(PACKAGE_DIR, 'dist', 'testing'));
    writeFileSync(
      path.join(dir, 'app.ts'),
      `import { TruLayer, init, getClient, currentSpan, currentTrace, testing, type Stats, type TruLayerOptions } from ${sdk};
      import { lastTrace, type TraceData, type SpanData, type EventData } from ${testingEntry};
      const options: TruLayerOptions = { mode: 'local', flushInterval: 100, sampleRate: (ctx) => ctx.name !== 'x', redact: (s) => s };
      const tl: TruLayer = init(options);
      const same: boolean = getClient() === tl;
      const n: number = tl.trace('t', (trace) => trace.span('s', 'llm', (span) => {
        span.setTokens({ promptTokens: 1, completionTokens: 2 });
        return currentSpan() === span && currentTrace() === trace ? 1 : 0;
      }));
      const t: TraceData | null = testing.lastTrace(tl);
      const span: SpanData | undefined = lastTrace(tl)?.spans[0];
      const events: EventData[] = t?.events ?? [];
      const fields: Array<string | number | null | undefined> = [t?.sessionId, t?.startedAt, t?.latencyMs, span?.spanType,
        span?.promptTokens, span?.completionTokens, span?.parentSpanId, events[0]?.spanId];
      const stats: Stats = tl.stats();
      const on: boolean = stats.enabled;
      // @ts-expect-error the helpers' objects have no snake_case keys
      t?.session_id;
      export { same, n, fields, on };
      `,
    );
    const tsc = require.resolve('typescript/bin/tsc');
    const args = [tsc, '--noEmit', '--strict', '--module', 'commonjs', '--target', 'es2022', '--moduleResolution', 'node',
      '--types', 'node', '--typeRoots', path.join(PACKAGE_DIR, 'node_modules', '@types'), path.join(dir, 'app.ts')];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  it('the generated binding.d.ts matches the committed snapshot', () => {
    const generated = readFileSync(path.join(PACKAGE_DIR, 'native', 'binding.d.ts'), 'utf8');
    const snapshot = readFileSync(path.join(PACKAGE_DIR, 'lib', 'binding.d.ts'), 'utf8');
    assert.equal(generated, snapshot, 'the raw binding changed: review native/binding.d.ts and copy it to lib/binding.d.ts');
  });

  it('install keeps an addon that loads and rebuilds one that does not (so `npm rebuild` repairs it)', () => {
    // No cargo on PATH: a rebuild is attempted exactly when it fails for want of cargo.
    const install = (addon) => {
      const dir = tempDir('tl-node-install-');
      copyBuiltPackage(dir, addon);
      const r = spawnSync(process.execPath, [path.join(dir, 'scripts', 'install.js')], {
        cwd: dir,
        env: { ...process.env, PATH: tempDir('tl-node-empty-path-'), TRULAYER_NODE_REBUILD: '' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      return { ...r, addon: readFileSync(path.join(dir, 'native', ADDON_FILE)) };
    };
    const real = readFileSync(path.join(PACKAGE_DIR, 'native', ADDON_FILE));
    const kept = install(real);
    assert.equal(kept.status, 0, kept.stderr);
    assert.ok(kept.addon.equals(real));
    const damaged = install(Buffer.from('not an addon'));
    assert.equal(damaged.status, 1);
    assert.match(damaged.stderr, /no prebuilt addon fits this platform and cargo was not found/);
  });

  it('loading the package starts nothing: a bare import exits at once', async () => {
    const r = await runNode(`import '@trulayer/sdk'; import { createRequire } from 'node:module'; createRequire(import.meta.url)('@trulayer/sdk');`);
    assert.equal(r.code, 0, r.stderr);
  });
});
