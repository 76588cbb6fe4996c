export declare class NativeClient {
  /**
   * `options` maps core option names (`api_key`, `batch_size`, `flush_interval_ms`, …) to
   * their string forms; options not given come from `TRULAYER_*` variables. Throws the
   * core's validation message (the same text in every language) for a bad value.
   */
  constructor(options: Record<string, string>)
  /** The effective project, environment, endpoint and mode (never the key). */
  describe(): Record<string, string>
  /** The number `finishTrace` takes for this client. */
  get handle(): number
  /** Resolves to true when everything finished before the call was answered in time. */
  flush(timeoutMs: number): Promise<boolean>
  /** Flushes for at most `timeout_ms`, then stops the worker. */
  shutdown(timeoutMs: number): Promise<boolean>
  /** Blocks the JS thread; only for `process.on('exit')`, where nothing async can run. */
  shutdownSync(timeoutMs: number): boolean
  stats(): NativeStats
  /**
   * Subscribes `callback` to delivery errors; it runs on the JS thread and never keeps the
   * process alive. Returns an id for `removeErrorHandler`.
   */
  onError(callback: (arg: DeliveryError) => void): number
  removeErrorHandler(id: number): void
  /** Reports a failure of a JS-side callback (`"metadata"` or `"scrub"`) to subscribers. */
  report(kind: string, message: string): void
  /** Counts a span that ended after its trace. */
  noteLateSpan(): void
  /** Local mode: the wire JSON of the kept traces, oldest first. */
  localTraces(): Array<string>
  clearLocalTraces(): void
  /** `method path_and_query` against the endpoint with the client's key, off the JS thread. */
  apiRequest(method: string, path: string, body: string | undefined | null, timeoutMs: number): Promise<ApiAnswer>
}

/** The answer of a query or feedback call; the facade decodes the body. */
export interface ApiAnswer {
  status: number
  body: string
}

/**
 * Classifies a provider failure from its error type name, HTTP status and message into
 * `timeout`, `rate_limit`, `invalid_response` or `context_length` (the core's rules, shared
 * by every language), or null when none fits. Called only when a provider call failed.
 */
export declare function classifyFailure(kind: string, status: number | undefined | null, message: string): string | null

/** What an `onError` subscriber receives. */
export interface DeliveryError {
  /**
   * authentication, rate_limit, validation, payload_too_large, network, queue_full,
   * scrub, metadata or delivery.
   */
  kind: string
  message: string
  /** The HTTP status that caused it, if any. */
  status?: number
  /** The traces lost with this failure. */
  traceIds: Array<string>
}

/** The version of the engine this addon was built from. */
export declare function engineVersion(): string

/** Counters for every outcome of every trace (see the core's `Stats`). */
export interface NativeStats {
  finished: number
  sampledOut: number
  queued: number
  sent: number
  droppedTotal: number
  pending: number
  /**
   * Drops by reason: queue_full, queue_bytes, invalid, too_large, auth, retry_exhausted,
   * shutdown, rejected.
   */
  dropped: Record<string, number>
  retries: number
  batchesSent: number
  bytesSent: number
  truncatedFields: number
  droppedTags: number
  scrubFailures: number
  lateSpans: number
  metadataRejected: number
}
