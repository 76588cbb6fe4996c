// Loads the raw binding once, on first use (nothing starts at `require` time).
import * as path from 'node:path';
import type * as Binding from './binding';
import { addonFile } from './platform';

export type { NativeClient, NativeStats, DeliveryError, ApiAnswer } from './binding';

let loaded: typeof Binding | undefined;

/** The addon for this platform; throws an Error that says how to build it when missing. */
export function binding(): typeof Binding {
  if (loaded) return loaded;
  const file = path.join(__dirname, '..', 'native', addonFile());
  try {
    loaded = require(file) as typeof Binding;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(
      `@trulayer/sdk: the native addon ${file} could not be loaded (${why}). ` +
        'Reinstall the package, or build it with `npm run build` (needs Rust).',
    );
  }
  return loaded;
}
