// The one crossing per finished trace, in a private format read by `src/record.rs` (not the
// wire format: the engine's encoder writes that). A trace becomes two values:
//   - `text`: every present string of the trace, concatenated in a fixed order;
//   - `nums`: every number, and for each string slot its length in UTF-16 code units (or -1
//     when the value is absent), in the same order.
// Building them costs a few writes per field (the strings are appended with `+=`, a rope V8
// flattens once when the crossing copies it out, cheaper than collecting them in an array
// for `join`), where JSON would quote and escape every string in JS and unescape it again in
// Rust.
// The order of slots is defined once, here, and mirrored by the reader.
import { toJson } from './payload';
import type { EventData, Metadata, SpanContext, TraceContext } from './trace';

/** Numbers and lengths of the trace being packed; replaced by a larger one when a trace
 * needs more. */
let nums = new Float64Array(256);
/** Its strings, concatenated. */
let strings = '';
const NONE: readonly never[] = [];

// Slots per scope, for sizing `nums` before writing (every write below is then in bounds).
const COMMON_SLOTS = 13;
const SPAN_SLOTS = COMMON_SLOTS + 5;
const EVENT_SLOTS = 6;
/** Anchor and sampling, the common slots, session/external/user ids, and the counts of tags,
 * keyed tags, spans and events. */
const TRACE_SLOTS = 2 + COMMON_SLOTS + 3 + 4;

// The writers below take the array and the next slot and return the slot after theirs:
// plain indexed stores in a few small functions, which V8 inlines, where a call per slot
// cost more than the rest of packing together.

/** A string slot's number: its length, after adding it to the text; -1 when absent. */
function text(s: string | undefined): number {
  if (s === undefined) return -1;
  strings += s;
  return s.length;
}

function metadataText(m: Metadata | null | undefined): number {
  return m ? text(toJson(m)) : -1;
}

/** A span reference is two slots: its index among the ended spans, or its id when it is
 * not one of them (still open when the trace ended). */
function refIndex(span: SpanContext | undefined): number {
  return span === undefined ? -1 : span._index;
}

function refId(span: SpanContext | undefined): number {
  return span !== undefined && span._index < 0 ? text(span.id) : -1;
}

function common(a: Float64Array, i: number, scope: TraceContext | SpanContext): number {
  const error = scope._error;
  a[i] = scope._start;
  a[i + 1] = scope._end;
  a[i + 2] = scope._cost;
  a[i + 3] = text(scope._id);
  a[i + 4] = text(scope._name);
  a[i + 5] = text(scope._input);
  a[i + 6] = scope._inputIsJson ? 1 : 0;
  a[i + 7] = text(scope._output);
  a[i + 8] = scope._outputIsJson ? 1 : 0;
  a[i + 9] = text(scope._model);
  a[i + 10] = error === undefined || error.kind === null ? -1 : text(error.kind);
  a[i + 11] = error === undefined ? -1 : text(error.message);
  a[i + 12] = metadataText(scope._metadata);
  return i + COMMON_SLOTS;
}

function span(a: Float64Array, i: number, s: SpanContext): number {
  i = common(a, i, s);
  a[i] = s._promptTokens;
  a[i + 1] = s._completionTokens;
  a[i + 2] = refIndex(s._parent);
  a[i + 3] = refId(s._parent);
  a[i + 4] = text(s._type);
  return i + SPAN_SLOTS - COMMON_SLOTS;
}

function event(a: Float64Array, i: number, e: EventData): number {
  a[i] = e.at;
  a[i + 1] = refIndex(e.span);
  a[i + 2] = refId(e.span);
  a[i + 3] = text(e.level);
  a[i + 4] = text(e.message);
  a[i + 5] = metadataText(e.metadata);
  return i + EVENT_SLOTS;
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
  const tags = t._tags ?? NONE;
  const tagMap = t._tagMap;
  const spans = t._spans;
  const events = t._events ?? NONE;
  const slots = TRACE_SLOTS + tags.length + 2 * (tagMap ? tagMap.size : 0) + SPAN_SLOTS * spans.length + EVENT_SLOTS * events.length;
  if (slots > nums.length) nums = new Float64Array(Math.max(slots, 2 * nums.length));
  const a = nums;
  a[0] = t._anchor;
  a[1] = sampled === undefined ? -1 : sampled ? 1 : 0;
  let i = common(a, 2, t);
  a[i++] = text(t._sessionId);
  a[i++] = text(t._externalId);
  a[i++] = text(t._userId);
  a[i++] = tags.length;
  for (const tag of tags) a[i++] = text(tag);
  a[i++] = tagMap ? tagMap.size : 0;
  if (tagMap) {
    for (const [k, v] of tagMap) {
      a[i++] = text(k);
      a[i++] = text(v);
    }
  }
  a[i++] = spans.length;
  for (const s of spans) i = span(a, i, s);
  a[i++] = events.length;
  for (const e of events) i = event(a, i, e);
  const packed = { text: strings, nums: a, count: i };
  strings = ''; // hold no user string past the crossing
  // A typed array drops out-of-bounds writes silently: a miscounted size must fail loudly
  // (the caller reports it) rather than send a trace missing its last slots.
  if (i > a.length) throw new Error(`packed ${i} slots into ${a.length}`);
  return packed;
}
