// The package as users load it: ESM and CommonJS give the same module, and the raw
// binding's generated type declarations match the committed snapshot the facade compiles
// against.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import * as esm from '@trulayer/sdk';
import * as esmTesting from '@trulayer/sdk/testing';
import { PACKAGE_DIR, runNode } from './helpers.mjs';

const require = createRequire(import.meta.url);

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

  it('the generated binding.d.ts matches the committed snapshot', () => {
    const generated = readFileSync(path.join(PACKAGE_DIR, 'native', 'binding.d.ts'), 'utf8');
    const snapshot = readFileSync(path.join(PACKAGE_DIR, 'lib', 'binding.d.ts'), 'utf8');
    assert.equal(generated, snapshot, 'the raw binding changed: review native/binding.d.ts and copy it to lib/binding.d.ts');
  });

  it('loading the package starts nothing: a bare import exits at once', async () => {
    const r = await runNode(`import '@trulayer/sdk'; import { createRequire } from 'node:module'; createRequire(import.meta.url)('@trulayer/sdk');`);
    assert.equal(r.code, 0, r.stderr);
  });
});
