// The current trace and span follow async scope through one AsyncLocalStorage, shared by
// every client, so spans opened by auto-instrumented calls nest under the span whose
// callback made the call.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { SpanContext, TraceContext } from './trace';

/** The store is the innermost open scope: a trace (no span open) or a span. */
export const scopes = new AsyncLocalStorage<TraceContext | SpanContext>();

/** The trace of the current async scope, or null outside any trace. */
export function currentTrace(): TraceContext | null {
  return scopes.getStore()?.trace ?? null;
}

/** The innermost span of the current async scope, or null when no span is open. */
export function currentSpan(): SpanContext | null {
  const scope = scopes.getStore();
  return scope && scope !== scope.trace ? (scope as SpanContext) : null;
}
