// Assertions without a network: with TRULAYER_MODE=local (or mode: 'local') the engine keeps
// each finished trace's wire JSON in process. These read it back, parsed.
import type { TraceRecord } from './api';
import type { TruLayer } from './client';
import { getClient } from './global';

/** Every kept trace, oldest first, as the exact JSON that would have been sent. */
export function traces(client: TruLayer = getClient()): TraceRecord[] {
  return client._native.localTraces().map((t) => JSON.parse(t) as TraceRecord);
}

/** The most recently finished trace, or null. */
export function lastTrace(client: TruLayer = getClient()): TraceRecord | null {
  const all = client._native.localTraces();
  return all.length ? (JSON.parse(all[all.length - 1]) as TraceRecord) : null;
}

/** Forgets the kept traces. */
export function clear(client: TruLayer = getClient()): void {
  client._native.clearLocalTraces();
}
