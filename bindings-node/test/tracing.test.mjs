// The tracing API in local mode: what a user records is exactly what the wire JSON carries.
import assert from 'node:assert/strict';
import { describe, it, beforeEach } from 'node:test';
import { TruLayer, currentSpan, currentTrace, testing, init, getClient } from '@trulayer/sdk';
import { within } from './helpers.mjs';

const tl = new TruLayer({ mode: 'local', project: 'unit' });
beforeEach(() => testing.clear(tl));
const last = () => testing.lastTrace(tl);

describe('trace and span scopes', () => {
  it('returns the callback value and nests spans by async scope', async () => {
    const value = await tl.trace(
      'answer_question',
      async (trace) => {
        trace.setInput({ question: 'why?' });
        await trace.span('retrieve', 'retrieval', async (span) => {
          await new Promise((r) => setTimeout(r, 5));
          assert.equal(currentSpan(), span);
          await trace.span('rerank', 'tool', async () => {});
        });
        await trace.span('generate', 'llm', (span) => {
          span.setModel('gpt-4o-mini');
          span.setTokens({ promptTokens: 12, completionTokens: 30 });
        });
        trace.setOutput('because');
        return 42;
      },
      { sessionId: 'conv-1', metadata: { rag_v2: true }, tags: ['beta'] },
    );
    assert.equal(value, 42);
    const t = last();
    assert.equal(t.name, 'answer_question');
    assert.equal(t.projectId, 'unit');
    assert.equal(t.sessionId, 'conv-1');
    assert.equal(t.input, '{"question":"why?"}');
    assert.equal(t.output, 'because');
    assert.deepEqual(t.tags, ['beta']);
    assert.deepEqual(t.metadata, { rag_v2: true });
    const byName = Object.fromEntries(t.spans.map((s) => [s.name, s]));
    assert.equal(byName.rerank.parentSpanId, byName.retrieve.id);
    assert.equal(byName.retrieve.parentSpanId, null);
    assert.equal(byName.generate.parentSpanId, null);
    assert.equal(byName.generate.model, 'gpt-4o-mini');
    assert.equal(byName.generate.promptTokens, 12);
    assert.equal(byName.generate.completionTokens, 30);
    assert.ok(byName.retrieve.latencyMs >= 4, `retrieve took ${byName.retrieve.latencyMs} ms`);
    assert.ok(t.spans.every((s) => s.traceId === t.id));
  });

  it('keeps concurrent traces apart', async () => {
    const run = (name, delay) =>
      tl.trace(name, async () => {
        await new Promise((r) => setTimeout(r, delay));
        await currentTrace().span(`${name}-span`, async () => {
          assert.equal(currentTrace().name, name);
        });
      });
    await Promise.all([run('a', 10), run('b', 1), run('c', 5)]);
    const traces = testing.traces(tl);
    assert.equal(traces.length, 3);
    for (const t of traces) assert.deepEqual(t.spans.map((s) => s.name), [`${t.name}-span`]);
    assert.equal(currentTrace(), null);
  });

  it('records a thrown error on the span and the trace, and rethrows it unchanged', async () => {
    const boom = new TypeError('bad input');
    await assert.rejects(
      tl.trace('failing', async (trace) => {
        await trace.span('step', async () => {
          throw boom;
        });
      }),
      (err) => err === boom,
    );
    const t = last();
    assert.equal(t.error, 'TypeError: bad input');
    assert.equal(t.spans[0].error, 'TypeError: bad input');
  });

  it('works with synchronous callbacks, returning their value directly', () => {
    const v = tl.trace('sync', (trace) => trace.span('inner', () => 'x'));
    assert.equal(v, 'x');
    assert.throws(() => tl.trace('sync-throw', () => { throw new Error('nope'); }), /nope/);
    assert.equal(last().error, 'Error: nope');
  });

  it('has every setter of the seed API', async () => {
    await tl.trace('setters', async (trace) => {
      trace.setModel('gpt-4o');
      trace.setCost(0.25);
      trace.addTag('x');
      trace.setTag('tier', 'pro');
      trace.setMetadata({ a: 1 });
      trace.setMetadata({ b: 'two' });
      trace.event('cache miss', { level: 'warn', metadata: { key: 'k' } });
      await trace.span('s', 'custom', (span) => {
        span.setInput('in');
        span.setOutput({ out: [1, 2] });
        span.setCost(0.01);
        span.setMetadata({ m: true });
        span.setError(new RangeError('handled'));
        span.event('inside');
      });
    });
    const t = last();
    assert.equal(t.model, 'gpt-4o');
    assert.equal(t.cost, 0.25);
    assert.deepEqual(t.tags, { tier: 'pro', x: '' });
    assert.deepEqual(t.metadata, { a: 1, b: 'two' });
    const s = t.spans[0];
    assert.equal(s.input, 'in');
    assert.equal(s.output, '{"out":[1,2]}');
    assert.equal(s.cost, 0.01);
    assert.deepEqual(s.metadata, { m: true });
    assert.equal(s.error, 'RangeError: handled');
    assert.equal(t.events.length, 2);
    assert.deepEqual([t.events[0].level, t.events[0].message, t.events[0].spanId], ['warn', 'cache miss', null]);
    assert.equal(t.events[1].spanId, s.id);
    assert.throws(() => tl.trace('bad', (tr) => tr.event('x', { level: 'loud' })), /event level must be one of/);
  });

  it('copies values when they are set, so later mutation changes nothing', () => {
    const input = { q: 'first' };
    const meta = { nested: { v: 1 } };
    tl.trace('frozen', (trace) => {
      trace.setInput(input);
      trace.setMetadata({ meta });
      input.q = 'changed';
      meta.nested.v = 2;
    });
    assert.equal(last().input, '{"q":"first"}');
    assert.deepEqual(last().metadata, { meta: { nested: { v: 1 } } });
  });

  it('coerces values JSON cannot represent instead of throwing', () => {
    const cyclic = { name: 'loop' };
    cyclic.self = cyclic;
    tl.trace('coerce', (trace) => {
      trace.setInput({ big: 10n, cyclic });
    });
    assert.deepEqual(JSON.parse(last().input), { big: '10', cyclic: { name: 'loop', self: '[Circular]' } });
  });

  it('counts a span that ends after its trace instead of sending it', async () => {
    let release;
    const gate = new Promise((r) => (release = r));
    let pending;
    await tl.trace('early', (trace) => {
      pending = trace.span('late', () => gate);
    });
    const before = tl.stats().lateSpans;
    release();
    await pending;
    assert.equal(tl.stats().lateSpans, before + 1);
    assert.deepEqual(last().spans, []);
  });

  it('sends the ids JS handed out, and links to spans that were still open when the trace ended', () => {
    let traceId;
    let openId;
    let childId;
    let open;
    tl.trace('links', (trace) => {
      traceId = trace.id;
      open = trace.startSpan('outlives', 'agent');
      open.span('inner', (child) => {
        childId = child.id;
        assert.equal(child.parentId, open.id);
      });
      open.event('still running', { level: 'info' });
      openId = open.id;
      trace.span('plain', () => {});
    });
    open.end();
    const t = last();
    assert.equal(t.id, traceId);
    const byName = Object.fromEntries(t.spans.map((s) => [s.name, s]));
    assert.deepEqual(Object.keys(byName).sort(), ['inner', 'plain']);
    assert.equal(byName.inner.id, childId);
    assert.equal(byName.inner.parentSpanId, openId);
    assert.equal(t.events[0].spanId, openId);
    assert.equal(new Set([t.id, byName.inner.id, byName.plain.id, t.events[0].id]).size, 4);
    // Ids made when the trace crossed carry their scope's start time, like the ones JS makes.
    for (const s of t.spans) assert.ok(Math.abs(parseInt(s.id.replace('-', '').slice(0, 12), 16) - Date.parse(s.startedAt)) <= 1, s.id);
  });

  it('sends a trace far larger than the crossing starts out sized for, every slot intact', () => {
    // 40 spans, 20 tags (the limit), 20 keyed tags and 15 events: well past the 256 numbers
    // the packed form first holds, so its sizing per kind of slot is exercised.
    tl.trace('big', (trace) => {
      for (let i = 0; i < 20; i++) trace.addTag(`t${i}`);
      for (let i = 0; i < 15; i++) trace.event(`e${i}`, { metadata: { i } });
      for (let i = 0; i < 40; i++) trace.span(`s${i}`, 'tool', (s) => s.setOutput(`out${i}`));
    });
    tl.trace('keyed', (trace) => {
      for (let i = 0; i < 20; i++) trace.setTag(`k${i}`, `v${i}`);
      for (let i = 0; i < 40; i++) trace.span(`s${i}`, (s) => s.setTokens({ promptTokens: i, completionTokens: i + 1 }));
    });
    const [big, keyed] = testing.traces(tl).slice(-2);
    assert.deepEqual(big.tags, Array.from({ length: 20 }, (_, i) => `t${i}`));
    assert.deepEqual(big.events.map((e) => [e.message, e.metadata.i]), Array.from({ length: 15 }, (_, i) => [`e${i}`, i]));
    assert.deepEqual(big.spans.map((s) => [s.name, s.output]), Array.from({ length: 40 }, (_, i) => [`s${i}`, `out${i}`]));
    assert.deepEqual(keyed.tags, Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, `v${i}`])));
    assert.deepEqual(keyed.spans.map((s) => [s.name, s.promptTokens, s.completionTokens]), Array.from({ length: 40 }, (_, i) => [`s${i}`, i, i + 1]));
  });

  it('the raw crossing throws a clear Error on arguments it cannot read, and records nothing', () => {
    // Only a bug of the facade's own could send these; each must throw, never crash.
    const { binding: raw, handle } = tl; // private fields: the boundary under the facade
    const before = testing.traces(tl).length;
    assert.throws(() => raw.finishTrace(handle, 'x'), /finishTrace expects \(handle, text, nums, count\)/);
    assert.throws(() => raw.finishTrace('h', '', new Float64Array(4), 1), /handle must be a number/);
    assert.throws(() => raw.finishTrace(handle, '', new Float32Array(4), 1), /nums must be a Float64Array/);
    assert.throws(() => raw.finishTrace(handle, '', new Float64Array(4), 5), /count exceeds nums/);
    assert.throws(() => raw.finishTrace(2 ** 31, '', new Float64Array(4), 1), /unknown client handle/);
    assert.throws(() => raw.finishTrace(handle, 42, new Float64Array(4), 1), /text must be a string/);
    assert.throws(() => raw.finishTrace(handle, '', new Float64Array(4), 4), /malformed trace from the facade/);
    assert.equal(testing.traces(tl).length, before);
  });

  it('gives ids that are UUIDv7 and timestamps with microseconds', () => {
    tl.trace('ids', (t) => t.span('s', () => {}));
    const t = last();
    assert.match(t.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.match(t.startedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.ok(Math.abs(Date.parse(t.startedAt) - Date.now()) < 5000);
  });
});

describe('testing helpers', () => {
  // The helpers' key for each wire key: camelCase, and the names of the TypeScript types.
  const RENAMED = { type: 'spanType', start_time: 'startedAt', end_time: 'endedAt' };
  const helperKey = (k) => RENAMED[k] ?? k.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
  /** Every wire field has its helper field with the same value (nested scopes aside). */
  const sameValues = (wire, helper, nested) => {
    for (const [k, v] of Object.entries(wire)) if (!nested.includes(k)) assert.deepEqual(helper[helperKey(k)], v, k);
  };

  it('return the wire values under camelCase keys, and the wire JSON keeps its snake_case', async () => {
    await tl.trace(
      'full',
      async (trace) => {
        trace.setUserId('u-1');
        trace.setExternalId('ext-1');
        trace.setCost(0.5);
        trace.event('started', { metadata: { step_name: 'a' } });
        await trace.span('call', 'llm', (span) => {
          span.setModel('gpt-4o');
          span.setTokens({ promptTokens: 3, completionTokens: 4 });
          span.setMetadata({ user_key: 1 });
          span.event('inside', { level: 'debug' });
        });
      },
      { sessionId: 's-1', tags: { tier: 'pro' } },
    );
    const wire = JSON.parse(tl._native.localTraces().at(-1));
    const t = last();
    assert.deepEqual(Object.keys(t).sort(), [
      'cost', 'endedAt', 'environment', 'error', 'events', 'externalId', 'id', 'input', 'latencyMs', 'metadata', 'model',
      'name', 'output', 'projectId', 'sessionId', 'spans', 'startedAt', 'tags', 'userId',
    ]);
    assert.deepEqual(Object.keys(t.spans[0]).sort(), [
      'completionTokens', 'cost', 'endedAt', 'error', 'id', 'input', 'latencyMs', 'metadata', 'model', 'name', 'output',
      'parentSpanId', 'promptTokens', 'spanType', 'startedAt', 'traceId',
    ]);
    assert.deepEqual(Object.keys(t.events[0]).sort(), ['id', 'level', 'message', 'metadata', 'spanId', 'timestamp', 'traceId']);
    sameValues(wire, t, ['spans', 'events']);
    sameValues(wire.spans[0], t.spans[0], []);
    wire.events.forEach((e, i) => sameValues(e, t.events[i], []));
    assert.deepEqual(t.events.map((e) => e.traceId), [t.id, t.id]);
    // User data keeps its own keys.
    assert.deepEqual(t.spans[0].metadata, { user_key: 1 });
    assert.deepEqual(t.events[0].metadata, { step_name: 'a' });
    assert.equal(t.spans[0].spanType, 'llm');
    assert.ok('start_time' in wire.spans[0] && 'session_id' in wire, 'the wire format is unchanged');
  });

  it('fill fields the wire omits when empty', () => {
    tl.trace('bare', () => {});
    const t = last();
    assert.equal(t.userId, null);
    assert.deepEqual(t.events, []);
    assert.deepEqual(t.spans, []);
  });
});

describe('callbacks run in JS', () => {
  it('redact sees every string, nested ones included, and fails closed', () => {
    const redacting = new TruLayer({
      mode: 'local',
      redact: (s) => {
        if (s.includes('explode')) throw new Error('redactor bug');
        return s.replaceAll('secret', '[x]');
      },
    });
    const errors = [];
    redacting.onError((e) => errors.push(e));
    assert.throws(() =>
      redacting.trace('r', (trace) => {
        trace.setInput({ list: ['a secret', { deep: 'secret!' }] });
        trace.span('s', (span) => span.setOutput('explode'));
        throw new Error('leaked secret');
      }),
    );
    const t = testing.lastTrace(redacting);
    assert.equal(t.input, '{"list":["a [x]",{"deep":"[x]!"}]}');
    assert.equal(t.spans[0].output, '<REDACTED:scrub_failed>');
    assert.equal(t.error, 'Error: leaked [x]');
  });

  it('built-in redaction rules run natively when redact names them', () => {
    const native = new TruLayer({ mode: 'local', redact: 'standard' });
    native.trace('r', (t) => t.setInput('mail bob@example.com'));
    assert.equal(testing.lastTrace(native).input, 'mail <REDACTED:email>');
  });

  it('metadataValidator drops rejected metadata, reports it, and keeps the trace', async () => {
    const validating = new TruLayer({ mode: 'local', metadataValidator: (m) => !('ssn' in m) });
    const reported = new Promise((resolve) => validating.onError(resolve));
    validating.trace('v', (trace) => {
      trace.setMetadata({ ssn: '123' });
      trace.span('ok', (s) => s.setMetadata({ fine: 1 }));
    });
    const t = testing.lastTrace(validating);
    assert.deepEqual(t.metadata, {});
    assert.deepEqual(t.spans[0].metadata, { fine: 1 });
    const err = await within(5000, reported, 'the metadata report');
    assert.equal(err.kind, 'metadata');
    assert.equal(err.name, 'ValidationError');
    assert.equal(validating.stats().metadataRejected, 1);
  });

  it('a sampleRate function decides, but traces with errors are always kept', () => {
    const seen = [];
    const sampling = new TruLayer({ mode: 'local', sampleRate: (ctx) => (seen.push(ctx), ctx.name === 'keep') });
    sampling.trace('keep', () => {});
    sampling.trace('drop', () => {});
    assert.throws(() => sampling.trace('drop-but-failed', () => { throw new Error('x'); }));
    assert.deepEqual(testing.traces(sampling).map((t) => t.name), ['keep', 'drop-but-failed']);
    assert.equal(sampling.stats().sampledOut, 1);
    assert.deepEqual(Object.keys(seen[0]).sort(), ['hasError', 'metadata', 'name', 'sessionId', 'traceId']);
  });

  it('a numeric sampleRate is applied by the engine', () => {
    const none = new TruLayer({ mode: 'local', sampleRate: 0 });
    for (let i = 0; i < 5; i++) none.trace('t', () => {});
    assert.equal(testing.traces(none).length, 0);
    assert.equal(none.stats().sampledOut, 5);
  });
});

describe('configuration', () => {
  it('rejects bad values with the engine message every language shares', () => {
    assert.throws(() => new TruLayer({ mode: 'local', batchSize: 0 }), {
      message: 'invalid batch_size: must be an integer from 1 to 100, got "0" (the API accepts at most 100 traces per request)',
    });
    assert.throws(() => new TruLayer({ mode: 'local', sampleRate: 2 }), /invalid sample_rate: must be a number from 0.0 to 1.0/);
    assert.throws(() => new TruLayer({ mode: 'local', endpoint: 'nope' }), /invalid endpoint: must be an http\(s\) URL/);
    assert.throws(() => new TruLayer({ mode: 'local', batchsize: 5 }), /unknown TruLayer option "batchsize"/);
    assert.throws(() => new TruLayer({ mode: 'local', redact: 42 }), /invalid redact: must be a function/);
  });

  it('needs an API key to ship, and says how to get one', () => {
    const saved = process.env.TRULAYER_API_KEY;
    delete process.env.TRULAYER_API_KEY;
    try {
      assert.throws(() => new TruLayer({ mode: 'remote' }), /an API key is required to send traces/);
    } finally {
      if (saved !== undefined) process.env.TRULAYER_API_KEY = saved;
    }
  });

  it('reads TRULAYER_* variables for options not given, and explicit options win', () => {
    process.env.TRULAYER_PROJECT = 'from-env';
    process.env.TRULAYER_ENVIRONMENT = 'staging';
    process.env.TRULAYER_MODE = 'local';
    try {
      const fromEnv = new TruLayer();
      assert.equal(fromEnv.settings.project, 'from-env');
      assert.equal(fromEnv.settings.environment, 'staging');
      assert.equal(fromEnv.settings.mode, 'local');
      fromEnv.trace('kept-in-process', () => {});
      assert.equal(testing.lastTrace(fromEnv).name, 'kept-in-process');
      assert.equal(new TruLayer({ mode: 'local', project: 'explicit' }).settings.project, 'explicit');
    } finally {
      delete process.env.TRULAYER_PROJECT;
      delete process.env.TRULAYER_ENVIRONMENT;
      delete process.env.TRULAYER_MODE;
    }
  });

  it('enabled: false records nothing and calls no hook, and stats() says so', () => {
    let sampled = 0;
    const off = new TruLayer({ mode: 'local', enabled: false, sampleRate: () => (sampled++, true) });
    assert.equal(off.trace('t', (trace) => trace.span('s', () => 7)), 7);
    assert.deepEqual(testing.traces(off), []);
    assert.equal(sampled, 0);
    assert.equal(off.stats().enabled, false);
    assert.equal(off.stats().finished, 0);
    assert.equal(tl.stats().enabled, true);
  });

  it('never shows the API key', () => {
    const c = new TruLayer({ mode: 'local', apiKey: 'tl_supersecretkey' });
    assert.doesNotMatch(String(c) + JSON.stringify(c.settings), /supersecret/);
  });

  it('init() sets the client getClient() returns', () => {
    const c = init({ mode: 'local', project: 'global' });
    assert.equal(getClient(), c);
    c.trace('via-global', () => {});
    assert.equal(testing.lastTrace().name, 'via-global');
  });
});

describe('JSON text of payloads', () => {
  // Internal: the fast path for flat values must write exactly what JSON.stringify writes.
  const load = import('../dist/payload.js');

  /** Random values of the shapes users set: flat objects and arrays, nesting, escapes,
   * surrogates, every number form, undefined, holes, toJSON, class instances. */
  function randomValue(rng, depth) {
    const strings = ['', 'plain', 'é✓', 'q"uote', 'back\\slash', 'line\nfeed', '\u0001', '😀', '\ud800lone', '/'];
    const numbers = [0, -0, 1, -7, 1.5, 1e21, 5e-7, NaN, Infinity, 2 ** 53 + 2];
    const pick = (list) => list[Math.floor(rng() * list.length)];
    const leaf = () => pick([() => pick(strings), () => pick(numbers), () => rng() < 0.5, () => null, () => undefined])();
    const kind = depth > 1 ? 0 : Math.floor(rng() * 6);
    if (kind <= 1) return leaf();
    if (kind === 2) return Array.from({ length: Math.floor(rng() * 4) }, () => randomValue(rng, depth + 1));
    if (kind === 3) return Object.fromEntries(Array.from({ length: Math.floor(rng() * 4) }, () => [pick([...strings, '1', 'toJSON', 'k']), randomValue(rng, depth + 1)]));
    if (kind === 4) return pick([new Date(0), new Map([[1, 2]]), Object.create(null), [1, , 3], Object.assign(Object.create({ inherited: 1 }), { own: 2 })]);
    return { toJSON: () => 'custom', k: 1 };
  }

  it('writes what JSON.stringify writes, and takes the fast path for flat values', async () => {
    const { toJson, flatJson } = await load;
    let seed = 42;
    const rng = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let fast = 0;
    for (let i = 0; i < 5000; i++) {
      const value = randomValue(rng, 0);
      const expected = JSON.stringify(value);
      if (expected === undefined) continue;
      if (flatJson(value) !== undefined) fast++;
      assert.equal(toJson(value), expected, `for ${expected}`);
    }
    assert.ok(fast > 500, `the fast path was taken ${fast} times`);
    assert.equal(flatJson({ question: 'Why is the sky blue?', n: 5, ok: true, none: null, skipped: undefined }), '{"question":"Why is the sky blue?","n":5,"ok":true,"none":null}');
    assert.equal(flatJson({ nested: {} }), undefined);
    assert.equal(flatJson(['a', 1, undefined]), '["a",1,null]');
  });

  it('never throws, even for a value whose getter throws', async () => {
    const { toJson } = await load;
    const hostile = { get boom() { throw new Error('no reading me'); } };
    assert.equal(toJson(hostile), '"[unserializable: no reading me]"');
    tl.trace('hostile', (trace) => trace.setInput(hostile));
    assert.equal(last().input, '[unserializable: no reading me]');
  });
});
