// User values, converted once when they are set (so later mutation of the user's object
// changes nothing): a string is kept as it is (it stays a string on the wire), anything else
// becomes JSON text, which the engine parses back so scrubbing reaches nested strings and
// the wire form is the engine's. Values JSON cannot represent are coerced, never thrown:
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

/** JSON text for any value; never throws. */
export function toJson(value: unknown): string {
  try {
    const text = JSON.stringify(value);
    if (text !== undefined) return text;
  } catch {
    // BigInt or a cycle: retry with the coercing replacer below.
  }
  const text = JSON.stringify(value, tolerantReplacer());
  return text === undefined ? JSON.stringify(String(value)) : text;
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
