// Open traces and spans. Every setter writes a plain JS field; nothing crosses into Rust
// until the whole trace ends (see Sink.finishTrace), which is what keeps the per-span cost
// to a few property writes.
import { monoMs, wallMicros } from './clock';
import { scopes } from './context';
import { newId } from './ids';
import { encodePayload, freezeValue, redactString, type RedactFn } from './payload';
import { runScope } from './scope';

/** Span types of the TruLayer data model; any other string is stored as-is. */
export type SpanType = 'llm' | 'retrieval' | 'tool' | 'custom' | 'agent' | (string & {});
export type EventLevel = 'debug' | 'info' | 'warn' | 'error';
export type Metadata = Record<string, unknown>;

export interface TokenCounts {
  promptTokens?: number | null;
  completionTokens?: number | null;
}

export interface EventOptions {
  level?: EventLevel;
  metadata?: Metadata;
}

/** Where finished traces go, and the client's JS-side hooks. */
export interface Sink {
  readonly redact: RedactFn | undefined;
  scrubFailed(err: unknown): void;
  finishTrace(trace: TraceContext): void;
  lateSpan(): void;
}

interface ErrorData {
  kind: string | null;
  message: string;
}

interface EventData {
  id: string;
  span_id?: string;
  level: EventLevel;
  message: string;
  metadata?: Metadata;
  ts_us: number;
}

/** Fields a trace and a span share; names are the native side's. Fields are created when
 * first set (JSON.stringify then skips them, which keeps the crossing small); `input` holds
 * a string payload, `input_json` a structured one as JSON text. */
interface CommonData {
  id: string;
  name: string;
  start_us: number;
  elapsed_us: number;
  input?: string;
  input_json?: string;
  output?: string;
  output_json?: string;
  model?: string;
  cost?: number;
  error?: ErrorData;
  metadata?: Metadata | null;
}

/** @internal */
export interface SpanData extends CommonData {
  type: string;
  parent?: string;
  prompt_tokens?: number;
  completion_tokens?: number;
}

/** @internal */
export interface TraceData extends CommonData {
  spans: SpanData[];
  session_id?: string;
  external_id?: string;
  user_id?: string;
  tags?: string[];
  tag_map?: Record<string, string>;
  sampled?: boolean;
  events?: EventData[];
}

/** The fields of a new trace or span, started at monotonic time `t0`. */
function commonData(name: string, t0: number): CommonData {
  return { id: newId(), name: String(name), start_us: wallMicros(t0), elapsed_us: 0 };
}

const LEVELS: ReadonlySet<string> = new Set(['debug', 'info', 'warn', 'error']);

function errorData(err: unknown, sink: Sink): ErrorData {
  let kind: string | null = null;
  let message: string;
  if (err instanceof Error) {
    // Provider SDKs often leave `name` as "Error" on their subclasses: prefer the class name.
    kind = err.name && err.name !== 'Error' ? err.name : err.constructor?.name || 'Error';
    message = err.message;
  } else {
    message = typeof err === 'string' ? err : String(err);
  }
  if (sink.redact) message = redactString(message, sink.redact, (e) => sink.scrubFailed(e));
  return { kind, message };
}

function optionalString(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string, got ${typeof value}`);
  return value;
}

function count(value: number | null | undefined, what: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${what} must be a non-negative number, got ${String(value)}`);
  }
  return Math.trunc(value);
}

/** Setters shared by traces and spans. */
abstract class Scope<D extends CommonData> {
  /** @internal */ readonly _d: D;
  /** @internal */ readonly _sink: Sink;
  /** @internal */ readonly _t0: number;
  /** @internal */ _ended = false;

  /** @internal */
  constructor(data: D, sink: Sink, t0: number) {
    this._d = data;
    this._sink = sink;
    this._t0 = t0;
  }

  abstract get trace(): TraceContext;

  get id(): string {
    return this._d.id;
  }

  get name(): string {
    return this._d.name;
  }

  /** A string stays a string on the wire; any other value is sent as compact JSON text. */
  setInput(value: unknown): void {
    [this._d.input, this._d.input_json] = encodePayload(value, this._sink.redact, (e) => this._sink.scrubFailed(e));
  }

  setOutput(value: unknown): void {
    [this._d.output, this._d.output_json] = encodePayload(value, this._sink.redact, (e) => this._sink.scrubFailed(e));
  }

  /** Merges keys into the metadata; values are copied now. */
  setMetadata(values: Metadata): void {
    if (values === null || typeof values !== 'object') throw new TypeError('setMetadata expects an object');
    const m = this._d.metadata ?? (this._d.metadata = {});
    for (const key of Object.keys(values)) m[key] = freezeValue(values[key]);
  }

  setModel(model: string): void {
    this._d.model = optionalString(model, 'model');
  }

  /** Cost in US dollars. */
  setCost(usd: number): void {
    if (typeof usd !== 'number' || !Number.isFinite(usd)) throw new TypeError(`cost must be a finite number, got ${String(usd)}`);
    this._d.cost = usd;
  }

  /** Records a handled failure (an Error: its name and message; anything else: its text). */
  setError(error: unknown): void {
    this._d.error = errorData(error, this._sink);
  }

  /** A point-in-time event inside this trace (or span). */
  event(message: string, options: EventOptions = {}): void {
    const level = options.level ?? 'info';
    if (!LEVELS.has(level)) throw new TypeError(`event level must be one of debug, info, warn, error, got ${String(level)}`);
    const text = this._sink.redact ? redactString(String(message), this._sink.redact, (e) => this._sink.scrubFailed(e)) : String(message);
    const trace = this.trace._d;
    (trace.events ?? (trace.events = [])).push({
      id: newId(),
      span_id: this.trace === (this as unknown) ? undefined : this._d.id,
      level,
      message: text,
      metadata: options.metadata ? (freezeValue(options.metadata) as Metadata) : undefined,
      ts_us: wallMicros(monoMs()),
    });
  }

  /** Runs `fn` as a child span of this scope (or of the current span of this trace). */
  span<T>(name: string, fn: (span: SpanContext) => T): T;
  span<T>(name: string, type: SpanType, fn: (span: SpanContext) => T): T;
  span<T>(name: string, typeOrFn: SpanType | ((span: SpanContext) => T), maybeFn?: (span: SpanContext) => T): T {
    const fn = typeof typeOrFn === 'function' ? typeOrFn : maybeFn;
    if (typeof fn !== 'function') throw new TypeError('span(name, type, fn) needs a callback');
    const span = this.startSpan(name, typeof typeOrFn === 'string' ? typeOrFn : 'custom');
    return runScope(span, fn, (thrown, failed) => {
      if (failed) span.setError(thrown);
      span.end();
    });
  }

  /** Opens a span that you end yourself with `span.end()` (it is not made current). */
  startSpan(name: string, type: SpanType = 'custom'): SpanContext {
    const parent = this._parentForNewSpan();
    const t0 = monoMs();
    const data: SpanData = Object.assign(commonData(name, t0), { type: String(type), parent });
    return new SpanContext(data, this._sink, t0, this.trace);
  }

  /** @internal */
  protected abstract _parentForNewSpan(): string | undefined;
}

export interface TraceOptions {
  sessionId?: string;
  externalId?: string;
  userId?: string;
  metadata?: Metadata;
  /** Labels (a list) or key→value tags (an object). */
  tags?: string[] | Record<string, string>;
}

export class TraceContext extends Scope<TraceData> {
  get trace(): TraceContext {
    return this;
  }

  get sessionId(): string | null {
    return this._d.session_id ?? null;
  }

  /** @internal */
  static open(name: string, options: TraceOptions, sink: Sink): TraceContext {
    const t0 = monoMs();
    const data: TraceData = Object.assign(commonData(name, t0), {
      spans: [] as SpanData[],
      session_id: optionalString(options.sessionId, 'sessionId'),
      external_id: optionalString(options.externalId, 'externalId'),
      user_id: optionalString(options.userId, 'userId'),
    });
    const trace = new TraceContext(data, sink, t0);
    if (options.metadata) trace.setMetadata(options.metadata);
    if (Array.isArray(options.tags)) options.tags.forEach((t) => trace.addTag(t));
    else if (options.tags) for (const [k, v] of Object.entries(options.tags)) trace.setTag(k, v);
    return trace;
  }

  setSessionId(sessionId: string): void {
    this._d.session_id = optionalString(sessionId, 'sessionId');
  }

  setUserId(userId: string): void {
    this._d.user_id = optionalString(userId, 'userId');
  }

  setExternalId(externalId: string): void {
    this._d.external_id = optionalString(externalId, 'externalId');
  }

  /** A plain label. */
  addTag(tag: string): void {
    (this._d.tags ?? (this._d.tags = [])).push(String(tag));
  }

  /** A key→value tag (tags are then sent as an object). */
  setTag(key: string, value: string): void {
    (this._d.tag_map ?? (this._d.tag_map = {}))[String(key)] = String(value);
  }

  /** @internal */
  protected _parentForNewSpan(): string | undefined {
    const scope = scopes.getStore();
    return scope && scope !== this && scope.trace === this ? scope.id : undefined;
  }

  /** @internal Ends the trace and hands it to the client. */
  _end(thrown: unknown, failed: boolean): void {
    if (this._ended) return;
    if (failed) this.setError(thrown);
    this._ended = true;
    this._d.elapsed_us = Math.round((monoMs() - this._t0) * 1000);
    this._sink.finishTrace(this);
  }
}

export class SpanContext extends Scope<SpanData> {
  /** @internal */ readonly _trace: TraceContext;

  /** @internal */
  constructor(data: SpanData, sink: Sink, t0: number, trace: TraceContext) {
    super(data, sink, t0);
    this._trace = trace;
  }

  get trace(): TraceContext {
    return this._trace;
  }

  get parentId(): string | null {
    return this._d.parent ?? null;
  }

  /** Token counts, as `{ promptTokens, completionTokens }` or two numbers. */
  setTokens(counts: TokenCounts | number, completionTokens?: number): void {
    const c: TokenCounts = typeof counts === 'number' ? { promptTokens: counts, completionTokens } : counts ?? {};
    if (c.promptTokens != null) this._d.prompt_tokens = count(c.promptTokens, 'promptTokens');
    if (c.completionTokens != null) this._d.completion_tokens = count(c.completionTokens, 'completionTokens');
  }

  /** Ends the span (idempotent). A span ending after its trace is counted, not sent. */
  end(): void {
    if (this._ended) return;
    this._ended = true;
    this._d.elapsed_us = Math.round((monoMs() - this._t0) * 1000);
    if (this._trace._ended) this._sink.lateSpan();
    else this._trace._d.spans.push(this._d);
  }

  /** @internal */
  protected _parentForNewSpan(): string | undefined {
    return this._d.id;
  }
}
