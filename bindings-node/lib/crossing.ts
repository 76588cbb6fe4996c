// The one crossing per finished trace, in a private format read by `src/record.rs` (not the
// wire format: the engine's encoder writes that). A trace becomes two values:
//   - `text`: every present string of the trace, concatenated in a fixed order;
//   - `nums`: every number, and for each string slot its length in UTF-16 code units (or -1
//     when the value is absent), in the same order.
// Building them costs a few writes per field (the strings are appended with `+`, a rope V8
// flattens once when the crossing copies it out, cheaper than collecting them in an array
// for `join`), where JSON would quote and escape every string in JS and unescape it again in
// Rust.
// The order of slots is defined once, here, and mirrored by the reader.
import { toJson } from './payload';
import type { EventData, Metadata, SpanContext, TraceContext } from './trace';

/** Numbers and lengths of the trace being packed; replaced by a larger one when a trace
 * needs more. */
let nums = new Float64Array(256);
const NONE: readonly never[] = [];

// Slots per scope, for sizing `nums` before writing (every write below is then in bounds).
const COMMON_SLOTS = 13;
const SPAN_SLOTS = COMMON_SLOTS + 5;
const EVENT_SLOTS = 6;
/** Anchor and sampling, the common slots, session/external/user ids, and the counts of tags,
 * keyed tags, spans and events. */
const TRACE_SLOTS = 2 + COMMON_SLOTS + 3 + 4;

// The writers below take the array, their first slot and the text so far, write their
// slots with plain indexed stores and return the text with their strings appended. The
// text is passed along rather than kept in a module variable: every append to one would
// store a new young string into an old object, a write barrier each time. (They are a few
// small functions, which V8 inlines; a call per slot cost more than the rest of packing.)

/** A string slot's number: its length, or -1 when absent. */
function len(s: string | undefined): number {
  return s === undefined ? -1 : s.length;
}

function metadataText(m: Metadata | null | undefined): string | undefined {
  return m ? toJson(m) : undefined;
}

/** A span reference is two slots: its index among the ended spans, or its id when it is
 * not one of them (still open when the trace ended). */
function refIndex(span: SpanContext | undefined): number {
  return span === undefined ? -1 : span._index;
}

function refId(span: SpanContext | undefined): string | undefined {
  return span !== undefined && span._index < 0 ? span.id : undefined;
}

function common(a: Float64Array, i: number, scope: TraceContext | SpanContext, text: string): string {
  const error = scope._error;
  const kind = error === undefined || error.kind === null ? undefined : error.kind;
  const message = error === undefined ? undefined : error.message;
  const metadata = metadataText(scope._metadata);
  a[i] = scope._start;
  a[i + 1] = scope._end;
  a[i + 2] = scope._cost;
  a[i + 3] = len(scope._id);
  a[i + 4] = scope._name.length;
  a[i + 5] = len(scope._input);
  a[i + 6] = scope._inputIsJson ? 1 : 0;
  a[i + 7] = len(scope._output);
  a[i + 8] = scope._outputIsJson ? 1 : 0;
  a[i + 9] = len(scope._model);
  a[i + 10] = len(kind);
  a[i + 11] = len(message);
  a[i + 12] = len(metadata);
  // Absent strings are skipped rather than appended as '': most slots of a span are absent,
  // and every `+` is a call into V8's string builtin.
  if (scope._id !== undefined) text += scope._id;
  text += scope._name;
  if (scope._input !== undefined) text += scope._input;
  if (scope._output !== undefined) text += scope._output;
  if (scope._model !== undefined) text += scope._model;
  if (kind !== undefined) text += kind;
  if (message !== undefined) text += message;
  if (metadata !== undefined) text += metadata;
  return text;
}

function span(a: Float64Array, i: number, s: SpanContext, text: string): string {
  text = common(a, i, s, text);
  i += COMMON_SLOTS;
  const parentId = refId(s._parent);
  a[i] = s._promptTokens;
  a[i + 1] = s._completionTokens;
  a[i + 2] = refIndex(s._parent);
  a[i + 3] = len(parentId);
  a[i + 4] = s._type.length;
  if (parentId !== undefined) text += parentId;
  return text + s._type;
}

function event(a: Float64Array, i: number, e: EventData, text: string): string {
  const spanId = refId(e.span);
  const metadata = metadataText(e.metadata);
  a[i] = e.at;
  a[i + 1] = refIndex(e.span);
  a[i + 2] = len(spanId);
  a[i + 3] = e.level.length;
  a[i + 4] = e.message.length;
  a[i + 5] = len(metadata);
  if (spanId !== undefined) text += spanId;
  text += e.level + e.message;
  return metadata === undefined ? text : text + metadata;
}

/** What `finishTrace` (src/finish.rs) takes: `nums` is shared, valid until the next `pack`. */
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
  let text = common(a, 2, t, '');
  let i = 2 + COMMON_SLOTS;
  a[i++] = len(t._sessionId);
  a[i++] = len(t._externalId);
  a[i++] = len(t._userId);
  if (t._sessionId !== undefined) text += t._sessionId;
  if (t._externalId !== undefined) text += t._externalId;
  if (t._userId !== undefined) text += t._userId;
  a[i++] = tags.length;
  for (const tag of tags) {
    a[i++] = tag.length;
    text += tag;
  }
  a[i++] = tagMap ? tagMap.size : 0;
  if (tagMap) {
    for (const [k, v] of tagMap) {
      a[i++] = k.length;
      a[i++] = v.length;
      text += k + v;
    }
  }
  a[i++] = spans.length;
  for (const s of spans) {
    text = span(a, i, s, text);
    i += SPAN_SLOTS;
  }
  a[i++] = events.length;
  for (const e of events) {
    text = event(a, i, e, text);
    i += EVENT_SLOTS;
  }
  // A typed array drops out-of-bounds writes silently: a miscounted size must fail loudly
  // (the caller reports it) rather than send a trace missing its last slots.
  if (i > a.length) throw new Error(`packed ${i} slots into ${a.length}`);
  return { text, nums: a, count: i };
}
