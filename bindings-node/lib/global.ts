// The process-wide client of `init()` / `getClient()`.
import { TruLayer } from './client';
import type { TruLayerOptions } from './config';

let global: TruLayer | null = null;

/** Creates the process-wide client and returns it. Calling it again replaces the previous
 * client after shutting it down in the background: what it still held is delivered (within
 * its shutdown timeout), and its worker does not outlive it. */
export function init(options: TruLayerOptions = {}): TruLayer {
  const previous = global;
  global = new TruLayer(options);
  // shutdown() never rejects; the catch keeps a future change from leaking a rejection.
  previous?.shutdown().catch(() => undefined);
  return global;
}

/** The client of `init()`; throws when `init()` has not been called. */
export function getClient(): TruLayer {
  if (!global) throw new Error('trulayer: init() has not been called');
  return global;
}
