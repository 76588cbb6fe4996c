// The TruLayer client: owns one native engine client and the JS-side callbacks, opens
// traces, and hands each finished trace to the engine in one native call.
import { Api, type EvalInput, type EvalResult, type FeedbackInput, type Metrics, type MetricsQuery, type TraceFilters, type TracePage, type TraceRecord } from './api';
import { resolveOptions, type SampleFn, type TruLayerOptions } from './config';
import { deliveryError, type TruLayerError } from './errors';
import * as instrument from './instrument';
import { registerForExit, unregisterForExit } from './exit';
import { binding, type NativeClient, type NativeStats } from './native';
import type { RedactFn } from './payload';
import { pack } from './crossing';
import { runScope } from './scope';
import { TraceContext, type Metadata, type SpanContext, type TraceOptions } from './trace';

export interface Stats extends NativeStats {
  /** False when the client records nothing: `enabled: false`, or the native addon could not
   * be loaded (a warning said why). */
  enabled: boolean;
}

function describeThrown(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

// It is the Sink of its traces and an ExitParticipant, checked where it is passed as one: an
// `implements` clause would reach the published declarations, which leave out the internal
// members those interfaces need, and fail to type-check in apps without skipLibCheck.
export class TruLayer {
  /** @internal */ readonly _native: NativeClient;
  private readonly binding: ReturnType<typeof binding>;
  /** The native client's number: the per-trace call is a plain function that takes it. */
  private readonly handle: number;
  readonly redact: RedactFn | undefined;
  private readonly sampleFn: SampleFn | undefined;
  private readonly metadataValidator: ((metadata: Metadata) => boolean) | undefined;
  private readonly api: Api;
  private readonly shutdownTimeoutMs: number;
  /** The project, environment, endpoint and mode in effect (options, then TRULAYER_* variables). */
  readonly settings: Readonly<{ project: string; environment: string; endpoint: string; mode: 'local' | 'remote'; enabled: boolean }>;
  private unflushed = false;
  private closed = false;
  private warned = new Set<string>();

  constructor(options: TruLayerOptions = {}) {
    const resolved = resolveOptions(options);
    this.binding = binding();
    try {
      this._native = new this.binding.NativeClient(resolved.core);
    } catch (err) {
      throw new Error(err instanceof Error ? err.message : String(err));
    }
    this.handle = this._native.handle;
    this.redact = resolved.redactFn;
    this.sampleFn = resolved.sampleFn;
    this.metadataValidator = resolved.metadataValidator;
    const d = this._native.describe();
    this.settings = Object.freeze({
      project: d.project,
      environment: d.environment,
      endpoint: d.endpoint,
      mode: d.mode === 'local' ? 'local' : 'remote',
      enabled: d.enabled === 'true',
    });
    this.shutdownTimeoutMs = Number(d.shutdown_timeout_ms);
    this.api = new Api(this._native, Number(d.timeout_ms));
    if (resolved.onError) this.onError(resolved.onError);
    if (this.settings.mode === 'remote' && this.settings.enabled) registerForExit(this);
  }

  /** Runs `fn` as a trace: returns what it returns (a promise when it is async). The trace is
   * current inside `fn`, ends when `fn` finishes, and records a thrown error before
   * rethrowing it. */
  trace<T>(name: string, fn: (trace: TraceContext) => T, options: TraceOptions = {}): T {
    if (typeof fn !== 'function') throw new TypeError('trace(name, fn, options) needs a callback');
    return runScope(TraceContext.open(name, options, this), fn);
  }

  // ---- Sink: called by traces and spans -------------------------------------------------

  /** @internal */
  scrubFailed(err: unknown): void {
    this._native.report('scrub', `the redact function failed (${describeThrown(err)}); the value was replaced, not sent`);
  }

  /** @internal */
  lateSpan(): void {
    this._native.noteLateSpan();
  }

  /** @internal */
  finishTrace(trace: TraceContext): void {
    // A disabled client records nothing, so it calls none of the user's hooks either.
    if (!this.settings.enabled) return;
    if (this.metadataValidator) this.validateMetadata(trace);
    const sampled = this.sampleFn && !trace._hasError() ? this.decide(trace) : undefined;
    try {
      const packed = pack(trace, sampled);
      this.binding.finishTrace(this.handle, packed.text, packed.nums, packed.count);
      this.unflushed = true;
    } catch (err) {
      this.warnOnce('finish', `trulayer: a trace could not be recorded: ${describeThrown(err)}`);
    }
  }

  private decide(t: TraceContext): boolean {
    try {
      const answer = this.sampleFn!({ traceId: t.id, name: t.name, sessionId: t.sessionId, hasError: false, metadata: t._metadata ?? {} });
      return typeof answer === 'number' ? answer >= 1 || (answer > 0 && Math.random() < answer) : Boolean(answer);
    } catch (err) {
      this.warnOnce('sample', `trulayer: sampleRate threw (${describeThrown(err)}); keeping traces it cannot decide`);
      return true;
    }
  }

  private validateMetadata(t: TraceContext): void {
    const check = (scope: TraceContext | SpanContext, what: string): void => {
      const metadata = scope._metadata;
      if (!metadata) return;
      let why: string;
      try {
        if (this.metadataValidator!(metadata) !== false) return;
        why = 'the validator returned false';
      } catch (err) {
        why = `the validator threw ${describeThrown(err)}`;
      }
      this._native.report('metadata', `metadata of ${what} ${scope.name} (${scope.id}) was rejected (${why}); it was dropped, the trace was kept`);
      scope._metadata = null;
    };
    check(t, 'trace');
    for (const s of t._spans) check(s, 'span');
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    process.emitWarning(message);
  }

  // ---- Lifecycle -----------------------------------------------------------------------

  /** Waits until every trace finished so far was answered by the server, or `timeoutMs`
   * passes (default: the shutdown timeout). Resolves to true when all were answered. */
  flush(timeoutMs: number = this.shutdownTimeoutMs): Promise<boolean> {
    this.unflushed = false;
    return this._native.flush(timeoutMs);
  }

  /** Flushes for at most `timeoutMs`, then stops the worker; later traces are dropped. */
  shutdown(timeoutMs: number = this.shutdownTimeoutMs): Promise<boolean> {
    this.closed = true;
    this.unflushed = false;
    unregisterForExit(this);
    return this._native.shutdown(timeoutMs);
  }

  /** Subscribes to delivery errors (they never throw into your code). Runs on the JS
   * thread; never keeps the process alive. Returns a function that unsubscribes. */
  onError(handler: (error: TruLayerError) => void): () => void {
    if (typeof handler !== 'function') throw new TypeError('onError needs a function');
    const id = this._native.onError((e) => {
      try {
        handler(deliveryError(e.kind, e.message, e.status ?? null, e.traceIds));
      } catch (err) {
        this.warnOnce('onError', `trulayer: an onError handler threw: ${describeThrown(err)}`);
      }
    });
    return () => this._native.removeErrorHandler(id);
  }

  /** Counters for every outcome: finished, sent, dropped (by reason), pending, … */
  stats(): Stats {
    return { ...this._native.stats(), enabled: this.settings.enabled };
  }

  /** @internal */
  hasUnflushed(): boolean {
    return this.unflushed && !this.closed;
  }

  /** @internal */
  flushForExit(): Promise<boolean> {
    return this.flush();
  }

  /** @internal */
  shutdownForExit(): void {
    this.closed = true;
    this._native.shutdownSync(this.shutdownTimeoutMs);
  }

  // ---- Auto-instrumentation ----------------------------------------------------------------
  // Spans of instrumented calls join whatever trace is current where the call is made.

  /** Traces `chat.completions.create` (plain and stream) and `embeddings.create`; returns the client. */
  instrumentOpenAI<T extends instrument.OpenAILike>(client: T, options?: instrument.OpenAIInstrumentOptions): T {
    return instrument.instrumentOpenAI(client, options);
  }

  uninstrumentOpenAI<T extends instrument.OpenAILike>(client: T): T {
    return instrument.uninstrumentOpenAI(client);
  }

  /** Traces `messages.create` (plain and stream); returns the client. */
  instrumentAnthropic<T extends instrument.AnthropicLike>(client: T): T {
    return instrument.instrumentAnthropic(client);
  }

  uninstrumentAnthropic<T extends instrument.AnthropicLike>(client: T): T {
    return instrument.uninstrumentAnthropic(client);
  }

  /** A LangChain.js callback handler (needs @langchain/core): pass it in `callbacks: [...]`. */
  langChainHandler(): instrument.LangChainHandler {
    return new (instrument.langChainHandlerClass())();
  }

  // ---- API calls ---------------------------------------------------------------------------

  /** Pages of traces matching `filters`, newest first: `for await (const page of tl.listTraces())`. */
  listTraces(filters: TraceFilters = {}): AsyncIterableIterator<TracePage> {
    return this.api.pages(filters);
  }

  /** One trace with its spans and events, or null when there is none with this id. */
  getTrace(traceId: string): Promise<TraceRecord | null> {
    return this.api.getTrace(traceId);
  }

  submitFeedback(traceId: string, feedback: FeedbackInput): Promise<void> {
    return this.api.submitFeedback(traceId, feedback);
  }

  runEval(traceId: string, input: EvalInput): Promise<EvalResult> {
    return this.api.runEval(traceId, input);
  }

  getMetrics(query: MetricsQuery = {}): Promise<Metrics> {
    return this.api.getMetrics(query);
  }

  /** Never shows the API key. */
  toString(): string {
    const s = this.settings;
    return `TruLayer(project=${s.project}, environment=${s.environment}, endpoint=${s.endpoint}, mode=${s.mode})`;
  }
}
