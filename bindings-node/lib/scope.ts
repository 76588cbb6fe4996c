// Runs a user callback as a trace or span scope: the scope is current inside it (also
// across awaits), ends when the callback returns or its promise settles, records a thrown
// error and rethrows it unchanged. A synchronous callback ends synchronously.
import { scopes } from './context';
import type { SpanContext, TraceContext } from './trace';

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as PromiseLike<unknown>).then === 'function';
}

export function runScope<C extends TraceContext | SpanContext, T>(ctx: C, fn: (ctx: C) => T): T {
  let result: T;
  try {
    result = scopes.run(ctx, fn, ctx);
  } catch (err) {
    ctx._close(err, true);
    throw err;
  }
  if (!isPromiseLike(result)) {
    ctx._close(undefined, false);
    return result;
  }
  return Promise.resolve(result).then(
    (value) => {
      ctx._close(undefined, false);
      return value;
    },
    (err: unknown) => {
      ctx._close(err, true);
      throw err;
    },
  ) as T;
}
