// The one crossing per finished trace, in a private format read by `src/record.rs` (not the
// wire format: the engine's encoder writes that). A trace becomes two values:
//   - `text`: every present string of the trace, concatenated in a fixed order;
//   - `nums`: every number, and for each string slot its length in UTF-16 code units (or -1
//     when the value is absent), in the same order.
// Building them costs a few writes per field (the strings are collected in an array and
// joined once: a rope of `+=` pieces costs a heap cell per piece and is slower to copy into
// Rust), where JSON would quote and escape every string in JS and unescape it again in Rust.
// The order of slots is defined once, here, and mirrored by the reader.
import { toJson } from './payload';
import type { EventData, Metadata, SpanContext, TraceContext } from './trace';

/** Numbers and lengths of the trace being packed; grown when a trace needs more. */
let nums = new Float64Array(256);
let n = 0;
/** Its strings, reused from trace to trace. */
const parts: string[] = [];

function num(v: number): void {
  if (n === nums.length) {
    const bigger = new Float64Array(nums.length * 2);
    bigger.set(nums);
    nums = bigger;
  }
  nums[n++] = v;
}

function str(s: string | undefined): void {
  if (s === undefined) {
    num(-1);
  } else {
    num(s.length);
    parts.push(s);
  }
}

function payload(text: string | undefined, isJson: boolean): void {
  str(text);
  num(isJson ? 1 : 0);
}

function metadata(m: Metadata | null | undefined): void {
  str(m ? toJson(m) : undefined);
}

/** A span the reader resolves: its index among the ended spans, or its id when it is not
 * one of them (still open when the trace ended). */
function spanRef(span: SpanContext | undefined): void {
  if (span === undefined) {
    num(-1);
    str(undefined);
  } else if (span._index >= 0) {
    num(span._index);
    str(undefined);
  } else {
    num(-1);
    str(span.id);
  }
}

function common(scope: TraceContext | SpanContext): void {
  num(scope._start);
  num(scope._end);
  num(scope._cost);
  str(scope._id);
  str(scope._name);
  payload(scope._input, scope._inputIsJson);
  payload(scope._output, scope._outputIsJson);
  str(scope._model);
  str(scope._error ? (scope._error.kind ?? undefined) : undefined);
  str(scope._error?.message);
  metadata(scope._metadata);
}

function span(s: SpanContext): void {
  common(s);
  num(s._promptTokens);
  num(s._completionTokens);
  spanRef(s._parent);
  str(s._type);
}

function event(e: EventData): void {
  num(e.at);
  spanRef(e.span);
  str(e.level);
  str(e.message);
  metadata(e.metadata);
}

/** What `NativeClient.finish` takes: `nums` is shared, valid until the next `pack`. */
export interface Packed {
  text: string;
  nums: Float64Array;
  count: number;
}

/** Packs a finished trace; `sampled` is a sampleRate function's decision (undefined: the
 * engine decides). */
export function pack(t: TraceContext, sampled: boolean | undefined): Packed {
  n = 0;
  num(t._anchor);
  num(sampled === undefined ? -1 : sampled ? 1 : 0);
  common(t);
  str(t._sessionId);
  str(t._externalId);
  str(t._userId);
  const tags = t._tags ?? [];
  num(tags.length);
  for (const tag of tags) str(tag);
  num(t._tagMap ? t._tagMap.size : 0);
  if (t._tagMap) {
    for (const [k, v] of t._tagMap) {
      str(k);
      str(v);
    }
  }
  num(t._spans.length);
  for (const s of t._spans) span(s);
  const events = t._events ?? [];
  num(events.length);
  for (const e of events) event(e);
  const text = parts.join('');
  parts.length = 0; // hold no user string past the crossing
  return { text, nums, count: n };
}
