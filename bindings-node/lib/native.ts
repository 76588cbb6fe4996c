// Loads the raw binding once, on first use (nothing starts at `require` time). An addon that
// cannot be loaded (missing, corrupt, built for another platform or Node version) must not
// take the application down with it: a warning says why and how to fix it, once per process,
// and a stand-in of the same shape turns every client into a no-op (see disabled.ts).
import * as path from 'node:path';
import type * as Binding from './binding';
import { disabledBinding } from './disabled';
import { addonFile } from './platform';

export type { NativeClient, NativeStats, DeliveryError, ApiAnswer } from './binding';

/** The addon's exports: what napi-rs registers (typed in the generated `binding.d.ts`), and
 * `finishTrace`, which `src/finish.rs` registers as a plain N-API function. */
export type Addon = typeof Binding & {
  /**
   * The one crossing per trace: hands a finished trace to the pipeline of the client whose
   * `handle` is given, packed by the facade (`text`, and the first `count` entries of
   * `nums`; see `crossing.ts`). Both are copied before it returns. Never blocks on I/O;
   * throws an Error on arguments it cannot read.
   */
  finishTrace(handle: number, text: string, nums: Float64Array, count: number): void;
};

let loaded: Addon | undefined;

/** The addon for this platform, or the no-op stand-in when it cannot be loaded. */
export function binding(): Addon {
  if (loaded) return loaded;
  const file = path.join(__dirname, '..', 'native', addonFile());
  try {
    loaded = require(file) as Addon;
  } catch (err) {
    // The first line: a missing file's error goes on with Node's require stack.
    const why = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    const reason = `the native addon ${file} could not be loaded (${why})`;
    process.emitWarning(
      `@trulayer/sdk: ${reason}. Tracing is disabled: your code runs as usual, but no trace is recorded or sent. ` +
        'To fix it, reinstall the package or run `npm rebuild @trulayer/sdk` (it builds the addon with cargo when ' +
        'no prebuilt binary fits this platform; install Rust from https://rustup.rs).',
      { code: 'TRULAYER_ADDON_UNAVAILABLE' },
    );
    loaded = disabledBinding(`@trulayer/sdk is disabled: ${reason}`);
  }
  return loaded;
}
