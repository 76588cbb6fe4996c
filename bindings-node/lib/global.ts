// The process-wide client of `init()` / `getClient()`.
import { TruLayer } from './client';
import type { TruLayerOptions } from './config';

let global: TruLayer | null = null;

/** Creates the process-wide client (replacing any previous one) and returns it. */
export function init(options: TruLayerOptions = {}): TruLayer {
  global = new TruLayer(options);
  return global;
}

/** The client of `init()`; throws when `init()` has not been called. */
export function getClient(): TruLayer {
  if (!global) throw new Error('trulayer: init() has not been called');
  return global;
}
