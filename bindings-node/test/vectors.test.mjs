// Replays the shared conformance vectors (tests/vectors/, rules in its README) through the
// public TypeScript API in local mode: the wire JSON must equal, byte for byte after
// normalizing ids and clocks, what every other binding produces.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { TruLayer } from '@trulayer/sdk';

const VECTORS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'tests', 'vectors');
const CASES = readdirSync(VECTORS).filter((f) => f.endsWith('.json')).sort();

const camel = (key) => key.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
const optionValue = (v) => (/^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v);

function error(spec) {
  if (spec.type === null) return spec.message;
  const e = new Error(spec.message);
  e.name = spec.type;
  return e;
}

function apply(scope, spec) {
  if ('input' in spec) scope.setInput(spec.input);
  if ('output' in spec) scope.setOutput(spec.output);
  if ('model' in spec) scope.setModel(spec.model);
  if ('cost' in spec) scope.setCost(spec.cost);
  if ('prompt_tokens' in spec) scope.setTokens({ promptTokens: spec.prompt_tokens, completionTokens: spec.completion_tokens });
  if ('error' in spec) scope.setError(error(spec.error));
  if (spec.metadata && Object.keys(spec.metadata).length) scope.setMetadata(spec.metadata);
}

async function replay(kase) {
  const options = { mode: 'local', project: 'vectors', environment: 'test' };
  for (const [k, v] of Object.entries(kase.options)) options[camel(k)] = optionValue(v);
  const tl = new TruLayer(options);
  const spec = kase.trace;
  const spans = spec.spans ?? [];
  const events = spec.events ?? [];
  const ids = [];
  // A span's children are the later spans naming it as parent; scopes nest as callbacks.
  const open = async (trace, i) =>
    trace.span(spans[i].name, spans[i].type, async (span) => {
      ids.push([span.id, `00000000-0000-7000-8000-${String(i + 1).padStart(12, '0')}`]);
      apply(span, spans[i]);
      for (const e of events.filter((e) => e.span === i)) span.event(e.message, { level: e.level, metadata: e.metadata });
      for (let j = i + 1; j < spans.length; j++) if (spans[j].parent === i) await open(trace, j);
    });
  await tl.trace(spec.name, async (trace) => {
    ids.push([trace.id, '00000000-0000-7000-8000-000000000000']);
    if ('session_id' in spec) trace.setSessionId(spec.session_id);
    if ('user_id' in spec) trace.setUserId(spec.user_id);
    if ('external_id' in spec) trace.setExternalId(spec.external_id);
    apply(trace, spec);
    for (const tag of spec.tags ?? []) trace.addTag(tag);
    for (const [k, v] of Object.entries(spec.tag_map ?? {})) trace.setTag(k, v);
    for (let i = 0; i < spans.length; i++) if (spans[i].parent === null) await open(trace, i);
    for (const e of events.filter((e) => e.span === null)) trace.event(e.message, { level: e.level, metadata: e.metadata });
  });
  const wire = tl._native.localTraces();
  await tl.shutdown();
  if (wire.length === 0) return null;
  (JSON.parse(wire[0]).events ?? []).forEach((e, i) => ids.push([e.id, `00000000-0000-7000-8001-${String(i + 1).padStart(12, '0')}`]));
  let out = wire[0];
  for (const [real, placeholder] of ids) out = out.split(real).join(placeholder);
  out = out.replace(/"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"/g, '"1970-01-01T00:00:00.000000Z"');
  return out.replace(/"latency_ms":\d+/g, '"latency_ms":0');
}

describe('conformance vectors', () => {
  it('are there', () => assert.ok(CASES.length >= 10, `no vectors in ${VECTORS}`));
  for (const file of CASES) {
    it(`${file} produces the exact wire JSON`, async () => {
      const kase = JSON.parse(readFileSync(join(VECTORS, file), 'utf8'));
      assert.equal(await replay(kase), kase.expected);
    });
  }
});
