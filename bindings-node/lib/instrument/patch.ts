// Reversible, idempotent method patching on one object (a provider client's resource). The
// wrapper is an own property shadowing the prototype's method, so other clients are left
// alone and removing it restores the original exactly.

const ORIGINAL = Symbol.for('@trulayer/sdk.original');

type Method = (...args: unknown[]) => unknown;
interface Patched extends Method {
  [ORIGINAL]?: { fn: Method; hadOwn: boolean };
}

/** Replaces `target[key]` with `wrap(original)`. A missing or already patched method is left
 * as it is (instrumenting twice does not trace twice). */
export function patchMethod(target: object | undefined, key: string, wrap: (original: Method) => Method): void {
  const holder = target as Record<string, unknown> | undefined;
  const current = holder?.[key] as Patched | undefined;
  if (!holder || typeof current !== 'function' || current[ORIGINAL]) return;
  const wrapped = wrap(current) as Patched;
  wrapped[ORIGINAL] = { fn: current, hadOwn: Object.prototype.hasOwnProperty.call(holder, key) };
  holder[key] = wrapped;
}

/** Undoes `patchMethod`. */
export function unpatchMethod(target: object | undefined, key: string): void {
  const holder = target as Record<string, unknown> | undefined;
  const info = (holder?.[key] as Patched | undefined)?.[ORIGINAL];
  if (!holder || !info) return;
  if (info.hadOwn) holder[key] = info.fn;
  else delete holder[key];
}
