// User values, converted once when they are set (so later mutation of the user's object
// changes nothing): a string is kept as it is (it stays a string on the wire), anything else
// becomes JSON text, which the engine parses back when it must (to scrub nested strings, or
// to write keys in its sorted order). Values JSON cannot represent are coerced, never thrown:
// BigInt becomes its decimal string, a cycle becomes "[Circular]", a function or symbol
// becomes its String() form.

/** The user's redact hook: called with each string (including strings nested in objects
 * and arrays); returns the replacement. */
export type RedactFn = (value: string) => string;

/** The redact hook and where its failures are reported (the client). */
export interface Redaction {
  readonly redact: RedactFn | undefined;
  scrubFailed(err: unknown): void;
}

/** Applies `redact` to one string. A hook that throws fails closed: the value is replaced,
 * never kept, and the failure is reported. */
function redactWith(text: string, redact: RedactFn, r: Redaction): string {
  try {
    const out = redact(text);
    return typeof out === 'string' ? out : String(out);
  } catch (err) {
    r.scrubFailed(err);
    return '<REDACTED:scrub_failed>';
  }
}

/** `text` through the redact hook, when there is one. */
export function redactString(text: string, r: Redaction): string {
  return r.redact ? redactWith(text, r.redact, r) : text;
}

function redactDeep(value: unknown, redact: RedactFn, r: Redaction, seen: Set<object>): unknown {
  if (typeof value === 'string') return redactWith(value, redact, r);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  const json = (value as { toJSON?: () => unknown }).toJSON;
  let out: unknown;
  if (typeof json === 'function') out = redactDeep(json.call(value), redact, r, seen);
  else if (Array.isArray(value)) out = value.map((v) => redactDeep(v, redact, r, seen));
  else {
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) copy[k] = redactDeep(v, redact, r, seen);
    out = copy;
  }
  seen.delete(value);
  return out;
}

function tolerantReplacer(): (key: string, value: unknown) => unknown {
  const stack: unknown[] = [];
  return function (this: unknown, _key: string, value: unknown) {
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'function' || typeof value === 'symbol') return String(value);
    if (value !== null && typeof value === 'object') {
      while (stack.length > 0 && stack[stack.length - 1] !== this) stack.pop();
      if (stack.includes(value)) return '[Circular]';
      stack.push(value);
    }
    return value;
  };
}

/** Characters `JSON.stringify` escapes, or may (surrogates, paired or not): written as the
 * complement of the characters it never escapes, which V8 tests faster. */
const NEEDS_ESCAPE = /[^\u0020\u0021\u0023-\u005b\u005d-\ud7ff\ue000-\uffff]/;

/** The JSON text of keys already found to need no escaping, as written before a value
 * (`"key":`). Payloads repeat their shapes from call to call, so most keys are tested and
 * quoted once; a lookup costs a fraction of the test, and the quoted text saves three string
 * additions per field. Bounded: past `KEY_TEXTS_MAX` keys, new ones are tested every time. */
const KEY_TEXTS = new Map<string, string>();
const KEY_TEXTS_MAX = 1024;

/** `"key":`, or undefined when the key needs escaping. */
function keyText(key: string): string | undefined {
  const known = KEY_TEXTS.get(key);
  if (known !== undefined) return known;
  if (NEEDS_ESCAPE.test(key)) return undefined;
  const text = `"${key}":`;
  if (KEY_TEXTS.size < KEY_TEXTS_MAX) KEY_TEXTS.set(key, text);
  return text;
}

/** JSON text of one primitive as `JSON.stringify` writes it inside a container, '' when the
 * value is left out (undefined in an object), or undefined when it is not a simple primitive. */
function primitiveJson(value: unknown, inArray: boolean): string | undefined {
  switch (typeof value) {
    case 'string':
      return NEEDS_ESCAPE.test(value) ? undefined : `"${value}"`;
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return inArray ? 'null' : '';
    default:
      return value === null ? 'null' : undefined;
  }
}

/**
 * `JSON.stringify(value)` for the payloads most calls set, a plain object or array of
 * strings, numbers, booleans and nulls, written directly: the builtin's per-call setup costs
 * more than such a small value (a third of the JS thread's work per trace in bench/node).
 * Undefined for anything else (nesting, escapes, toJSON, class instances), which the builtin
 * then writes. The tests check it against `JSON.stringify` on random values.
 */
export function flatJson(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const isArray = Array.isArray(value);
  const proto = Object.getPrototypeOf(value);
  const plain = isArray ? proto === Array.prototype : proto === Object.prototype || proto === null;
  if (!plain) return undefined;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return undefined;
  if (isArray) {
    const items = value as unknown[];
    let out = '[';
    for (let i = 0; i < items.length; i++) {
      const item = primitiveJson(items[i], true);
      if (item === undefined) return undefined;
      out += i === 0 ? item : `,${item}`;
    }
    return `${out}]`;
  }
  let out = '{';
  for (const key of Object.keys(value)) {
    const field = primitiveJson((value as Record<string, unknown>)[key], false);
    const name = keyText(key);
    if (field === undefined || name === undefined) return undefined;
    if (field === '') continue;
    out += out.length === 1 ? name + field : ',' + name + field;
  }
  return out + '}';
}

/** JSON text for any value; never throws (a value whose getters throw becomes a note). */
export function toJson(value: unknown): string {
  try {
    const text = flatJson(value) ?? JSON.stringify(value);
    if (text !== undefined) return text;
  } catch {
    // BigInt or a cycle: retry with the coercing replacer below.
  }
  try {
    const text = JSON.stringify(value, tolerantReplacer());
    return text === undefined ? JSON.stringify(String(value)) : text;
  } catch (err) {
    return JSON.stringify(`[unserializable: ${err instanceof Error ? err.message : String(err)}]`);
  }
}

/** The payload's text: a string as it is, any other value as JSON text (tell them apart
 * by the value's type); undefined for null or undefined (no payload). */
export function encodePayload(value: unknown, r: Redaction): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return redactString(value, r);
  return toJson(r.redact ? redactDeep(value, r.redact, r, new Set()) : value);
}

/** A metadata value frozen at set time: primitives as they are, anything else deep-copied
 * through JSON with the same coercions as payloads. */
export function freezeValue(value: unknown): unknown {
  if (value === null || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') return value;
  if (value === undefined) return null;
  return JSON.parse(toJson(value));
}
