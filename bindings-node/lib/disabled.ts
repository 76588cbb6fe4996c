// The stand-in for an addon that could not be loaded: the same shape as the raw binding, and
// nothing behind it. Clients built on it trace nothing (their `settings.enabled` and
// `stats().enabled` are false), flush and shutdown resolve at once, and API calls reject
// with the reason; the application's own code runs exactly as without the SDK.
import type * as Binding from './binding';
import type { Addon } from './native';

const NO_STATS: Binding.NativeStats = {
  finished: 0,
  sampledOut: 0,
  queued: 0,
  sent: 0,
  droppedTotal: 0,
  pending: 0,
  dropped: {},
  retries: 0,
  batchesSent: 0,
  bytesSent: 0,
  truncatedFields: 0,
  droppedTags: 0,
  scrubFailures: 0,
  lateSpans: 0,
  metadataRejected: 0,
};

export function disabledBinding(reason: string): Addon {
  class DisabledNativeClient implements Binding.NativeClient {
    /** Echoes the options it was given: without the engine there are no defaults to resolve. */
    constructor(private readonly options: Record<string, string>) {}

    describe(): Record<string, string> {
      const o = this.options;
      return {
        project: o.project ?? '',
        environment: o.environment ?? '',
        endpoint: o.endpoint ?? '',
        mode: o.mode ?? 'remote',
        enabled: 'false',
        shutdown_timeout_ms: '0',
        timeout_ms: '0',
      };
    }

    get handle(): number {
      return 0;
    }

    flush(): Promise<boolean> {
      return Promise.resolve(true);
    }

    shutdown(): Promise<boolean> {
      return Promise.resolve(true);
    }

    shutdownSync(): boolean {
      return true;
    }

    stats(): Binding.NativeStats {
      return { ...NO_STATS, dropped: {} };
    }

    onError(): number {
      return 0;
    }

    removeErrorHandler(): void {}

    report(): void {}

    noteLateSpan(): void {}

    localTraces(): string[] {
      return [];
    }

    clearLocalTraces(): void {}

    apiRequest(): Promise<Binding.ApiAnswer> {
      return Promise.reject(new Error(reason));
    }
  }

  return {
    NativeClient: DisabledNativeClient,
    classifyFailure: () => null,
    engineVersion: () => 'unavailable',
    finishTrace: () => {},
  };
}
