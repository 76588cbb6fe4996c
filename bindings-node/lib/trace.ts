// Open traces and spans. Every setter writes a field of a fixed-shape object; nothing
// crosses into Rust until the whole trace ends (see Sink.finishTrace and crossing.ts), which
// keeps the per-span cost to a few property writes. Ids are made only when asked for; the
// engine gives the other scopes theirs when the trace crosses.
import { monoMs, wallAnchorMs } from './clock';
import { scopes } from './context';
import { newId } from './ids';
import { encodePayload, freezeValue, redactString, type Redaction } from './payload';
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
export interface Sink extends Redaction {
  finishTrace(trace: TraceContext): void;
  lateSpan(): void;
}

/** @internal */
export interface ErrorData {
  kind: string | null;
  message: string;
}

/** @internal */
export interface EventData {
  /** The span it happened in; undefined for the trace itself. */
  span: SpanContext | undefined;
  level: EventLevel;
  message: string;
  metadata: Metadata | undefined;
  /** Monotonic milliseconds. */
  at: number;
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
  return { kind, message: redactString(message, sink) };
}

function optionalString(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string, got ${typeof value}`);
  return value;
}

/** A token count, or NaN when not given. */
function count(value: number | null | undefined, what: string): number {
  if (value === undefined || value === null) return NaN;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${what} must be a non-negative number, got ${String(value)}`);
  }
  return Math.trunc(value);
}

/** Fields and setters shared by traces and spans. All fields are created by the
 * constructor, so every scope object has the same shape. */
abstract class Scope {
  /** @internal */ _id: string | undefined = undefined;
  /** @internal */ readonly _name: string;
  /** @internal */ readonly _sink: Sink;
  /** @internal Monotonic milliseconds. */ readonly _start: number;
  /** @internal Monotonic milliseconds, once ended. */ _end = 0;
  /** @internal */ _ended = false;
  /** @internal A string payload, or a structured one as JSON text (`_inputIsJson`). */
  _input: string | undefined = undefined;
  /** @internal */ _inputIsJson = false;
  /** @internal */ _output: string | undefined = undefined;
  /** @internal */ _outputIsJson = false;
  /** @internal */ _model: string | undefined = undefined;
  /** @internal NaN when unset. */ _cost = NaN;
  /** @internal */ _error: ErrorData | undefined = undefined;
  /** @internal null: rejected by the metadata validator. */
  _metadata: Metadata | null | undefined = undefined;

  /** @internal */
  constructor(name: string, sink: Sink, start: number) {
    this._name = typeof name === 'string' ? name : String(name);
    this._sink = sink;
    this._start = start;
  }

  abstract get trace(): TraceContext;

  get id(): string {
    return this._id ?? (this._id = newId(this.trace._anchor + this._start));
  }

  get name(): string {
    return this._name;
  }

  /** A string stays a string on the wire; any other value is sent as compact JSON text. */
  setInput(value: unknown): void {
    this._input = encodePayload(value, this._sink);
    this._inputIsJson = typeof value !== 'string';
  }

  setOutput(value: unknown): void {
    this._output = encodePayload(value, this._sink);
    this._outputIsJson = typeof value !== 'string';
  }

  /** Merges keys into the metadata; values are copied now. */
  setMetadata(values: Metadata): void {
    if (values === null || typeof values !== 'object') throw new TypeError('setMetadata expects an object');
    const m = this._metadata ?? (this._metadata = {});
    for (const key of Object.keys(values)) m[key] = freezeValue(values[key]);
  }

  setModel(model: string): void {
    this._model = optionalString(model, 'model');
  }

  /** Cost in US dollars. */
  setCost(usd: number): void {
    if (typeof usd !== 'number' || !Number.isFinite(usd)) throw new TypeError(`cost must be a finite number, got ${String(usd)}`);
    this._cost = usd;
  }

  /** Records a handled failure (an Error: its name and message; anything else: its text). */
  setError(error: unknown): void {
    this._error = errorData(error, this._sink);
  }

  /** A point-in-time event inside this trace (or span). */
  event(message: string, options: EventOptions = {}): void {
    const level = options.level ?? 'info';
    if (!LEVELS.has(level)) throw new TypeError(`event level must be one of debug, info, warn, error, got ${String(level)}`);
    const trace = this.trace;
    const event: EventData = {
      span: trace === (this as unknown) ? undefined : (this as unknown as SpanContext),
      level,
      message: redactString(String(message), this._sink),
      metadata: options.metadata ? (freezeValue(options.metadata) as Metadata) : undefined,
      at: monoMs(),
    };
    (trace._events ?? (trace._events = [])).push(event);
  }

  /** Runs `fn` as a child span of this scope (or of the current span of this trace). */
  span<T>(name: string, fn: (span: SpanContext) => T): T;
  span<T>(name: string, type: SpanType, fn: (span: SpanContext) => T): T;
  span<T>(name: string, typeOrFn: SpanType | ((span: SpanContext) => T), maybeFn?: (span: SpanContext) => T): T {
    const fn = typeof typeOrFn === 'function' ? typeOrFn : maybeFn;
    if (typeof fn !== 'function') throw new TypeError('span(name, type, fn) needs a callback');
    return runScope(this.startSpan(name, typeof typeOrFn === 'string' ? typeOrFn : 'custom'), fn);
  }

  /** Opens a span that you end yourself with `span.end()` (it is not made current). */
  startSpan(name: string, type: SpanType = 'custom'): SpanContext {
    return new SpanContext(name, typeof type === 'string' ? type : String(type), this._parentForNewSpan(), this.trace);
  }

  /** @internal Ends the scope when its callback returned (or threw `thrown`). */
  abstract _close(thrown: unknown, failed: boolean): void;

  /** @internal */
  protected abstract _parentForNewSpan(): SpanContext | undefined;
}

export interface TraceOptions {
  sessionId?: string;
  externalId?: string;
  userId?: string;
  metadata?: Metadata;
  /** Labels (a list) or key→value tags (an object). */
  tags?: string[] | Record<string, string>;
}

export class TraceContext extends Scope {
  /** @internal Unix milliseconds at monotonic zero, for this trace's scopes. */ readonly _anchor: number;
  /** @internal Ended spans, in the order they ended. */ readonly _spans: SpanContext[] = [];
  /** @internal */ _sessionId: string | undefined = undefined;
  /** @internal */ _externalId: string | undefined = undefined;
  /** @internal */ _userId: string | undefined = undefined;
  /** @internal */ _tags: string[] | undefined = undefined;
  /** @internal */ _tagMap: Map<string, string> | undefined = undefined;
  /** @internal */ _events: EventData[] | undefined = undefined;

  /** @internal */
  constructor(name: string, sink: Sink) {
    const start = monoMs();
    super(name, sink, start);
    this._anchor = wallAnchorMs(start);
  }

  get trace(): TraceContext {
    return this;
  }

  get sessionId(): string | null {
    return this._sessionId ?? null;
  }

  /** @internal */
  static open(name: string, options: TraceOptions, sink: Sink): TraceContext {
    const trace = new TraceContext(name, sink);
    trace._sessionId = optionalString(options.sessionId, 'sessionId');
    trace._externalId = optionalString(options.externalId, 'externalId');
    trace._userId = optionalString(options.userId, 'userId');
    if (options.metadata) trace.setMetadata(options.metadata);
    if (Array.isArray(options.tags)) options.tags.forEach((t) => trace.addTag(t));
    else if (options.tags) for (const [k, v] of Object.entries(options.tags)) trace.setTag(k, v);
    return trace;
  }

  setSessionId(sessionId: string): void {
    this._sessionId = optionalString(sessionId, 'sessionId');
  }

  setUserId(userId: string): void {
    this._userId = optionalString(userId, 'userId');
  }

  setExternalId(externalId: string): void {
    this._externalId = optionalString(externalId, 'externalId');
  }

  /** A plain label. */
  addTag(tag: string): void {
    (this._tags ?? (this._tags = [])).push(String(tag));
  }

  /** A key→value tag (tags are then sent as an object). */
  setTag(key: string, value: string): void {
    (this._tagMap ?? (this._tagMap = new Map())).set(String(key), String(value));
  }

  /** @internal */
  protected _parentForNewSpan(): SpanContext | undefined {
    const scope = scopes.getStore();
    return scope && scope !== this && scope.trace === this ? (scope as SpanContext) : undefined;
  }

  /** @internal True when the trace or one of its ended spans recorded an error. */
  _hasError(): boolean {
    return this._error !== undefined || this._spans.some((s) => s._error !== undefined);
  }

  /** @internal Ends the trace and hands it to the client. */
  _close(thrown: unknown, failed: boolean): void {
    if (this._ended) return;
    if (failed) this.setError(thrown);
    this._ended = true;
    this._end = monoMs();
    this._sink.finishTrace(this);
  }
}

export class SpanContext extends Scope {
  /** @internal */ readonly _trace: TraceContext;
  /** @internal */ readonly _type: string;
  /** @internal The enclosing span; undefined directly under the trace. */ readonly _parent: SpanContext | undefined;
  /** @internal NaN when unset. */ _promptTokens = NaN;
  /** @internal */ _completionTokens = NaN;
  /** @internal Its place in the trace's ended spans; -1 until it ends. */ _index = -1;

  /** @internal */
  constructor(name: string, type: string, parent: SpanContext | undefined, trace: TraceContext) {
    super(name, trace._sink, monoMs());
    this._trace = trace;
    this._type = type;
    this._parent = parent;
  }

  get trace(): TraceContext {
    return this._trace;
  }

  get parentId(): string | null {
    return this._parent ? this._parent.id : null;
  }

  /** Token counts, as `{ promptTokens, completionTokens }` or two numbers. */
  setTokens(counts: TokenCounts | number, completionTokens?: number): void {
    const c: TokenCounts = typeof counts === 'number' ? { promptTokens: counts, completionTokens } : counts ?? {};
    if (c.promptTokens != null) this._promptTokens = count(c.promptTokens, 'promptTokens');
    if (c.completionTokens != null) this._completionTokens = count(c.completionTokens, 'completionTokens');
  }

  /** Ends the span (idempotent). A span ending after its trace is counted, not sent. */
  end(): void {
    if (this._ended) return;
    this._ended = true;
    this._end = monoMs();
    const trace = this._trace;
    if (trace._ended) {
      this._sink.lateSpan();
      return;
    }
    this._index = trace._spans.length;
    trace._spans.push(this);
  }

  /** @internal */
  _close(thrown: unknown, failed: boolean): void {
    if (failed) this.setError(thrown);
    this.end();
  }

  /** @internal */
  protected _parentForNewSpan(): SpanContext | undefined {
    return this;
  }
}
