// TruLayer options in TypeScript conventions, mapped onto the core's option names. The
// core parses and validates every value (so a bad value gets the same message in every
// language); only the callbacks stay here, because they run on the JS thread.
import type { RedactFn } from './payload';
import type { Metadata } from './trace';
import type { TruLayerError } from './errors';

/** What a `sampleRate` function sees when a trace ends. */
export interface SampleContext {
  traceId: string;
  name: string;
  sessionId: string | null;
  hasError: boolean;
  metadata: Metadata;
}

/** Returns true to keep the trace (a number is a keep-probability). Traces with an error are
 * always kept, whatever it returns. */
export type SampleFn = (ctx: SampleContext) => boolean | number;

export interface TruLayerOptions {
  apiKey?: string;
  project?: string;
  /** Alias of `project`. */
  projectName?: string;
  environment?: string;
  endpoint?: string;
  batchSize?: number;
  /** Milliseconds between flushes. */
  flushInterval?: number;
  /** Milliseconds per HTTP request. */
  timeout?: number;
  sampleRate?: number | SampleFn;
  /** A function over every string of inputs, outputs, errors and event messages, or the
   * names of built-in rules run natively ("standard", "strict", "email,phone", …). */
  redact?: RedactFn | string;
  /** Also run the built-in rules over metadata. */
  redactMetadata?: boolean;
  /** Returns false (or throws) to reject metadata: it is dropped and reported; the trace ships. */
  metadataValidator?: (metadata: Metadata) => boolean;
  onError?: (error: TruLayerError) => void;
  debug?: boolean;
  enabled?: boolean;
  /** "local": nothing leaves the process; traces are kept for `testing`. */
  mode?: 'local' | 'remote';
  maxQueueSize?: number;
  maxQueueBytes?: number;
  /** Milliseconds a batch keeps being retried before it is dropped. */
  retryBudget?: number;
  /** Milliseconds shutdown (and the exit hook) may wait for delivery. */
  shutdownTimeout?: number;
  compression?: 'gzip' | 'none';
  maxFieldBytes?: number;
  localBufferSize?: number;
}

const seconds = (ms: unknown): string => (typeof ms === 'number' ? String(ms / 1000) : String(ms));

/** TS option → [core option, string form]. Callback options are absent: they stay in JS. */
const CORE_OPTIONS: Record<string, [string, (v: unknown) => string]> = {
  apiKey: ['api_key', String],
  project: ['project', String],
  projectName: ['project', String],
  environment: ['environment', String],
  endpoint: ['endpoint', String],
  batchSize: ['batch_size', String],
  flushInterval: ['flush_interval_ms', String],
  timeout: ['timeout_ms', String],
  debug: ['debug', String],
  enabled: ['enabled', String],
  mode: ['mode', String],
  maxQueueSize: ['max_queue_size', String],
  maxQueueBytes: ['max_queue_bytes', String],
  retryBudget: ['retry_budget', seconds],
  shutdownTimeout: ['shutdown_timeout', seconds],
  compression: ['compression', String],
  redactMetadata: ['redact_metadata', String],
  maxFieldBytes: ['max_field_bytes', String],
  localBufferSize: ['local_buffer_size', String],
};

const CALLBACK_OPTIONS = new Set(['sampleRate', 'redact', 'metadataValidator', 'onError']);

export interface ResolvedOptions {
  core: Record<string, string>;
  sampleFn?: SampleFn;
  redactFn?: RedactFn;
  metadataValidator?: (metadata: Metadata) => boolean;
  onError?: (error: TruLayerError) => void;
}

function callback<F>(value: unknown, name: string): F | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'function') throw new TypeError(`invalid ${name}: must be a function`);
  return value as F;
}

/** Splits options into the core's string options and the JS callbacks. Throws a TypeError
 * for an unknown option name; value errors come from the core. */
export function resolveOptions(options: TruLayerOptions): ResolvedOptions {
  const core: Record<string, string> = {};
  for (const [key, value] of Object.entries(options ?? {})) {
    if (value === undefined) continue;
    const mapping = CORE_OPTIONS[key];
    if (mapping) core[mapping[0]] = mapping[1](value);
    else if (!CALLBACK_OPTIONS.has(key)) {
      const known = [...Object.keys(CORE_OPTIONS), ...CALLBACK_OPTIONS].join(', ');
      throw new TypeError(`unknown TruLayer option ${JSON.stringify(key)}; known options: ${known}`);
    }
  }
  const { sampleRate, redact } = options ?? {};
  if (typeof sampleRate === 'number' || typeof sampleRate === 'string') core.sample_rate = String(sampleRate);
  if (typeof redact === 'string') core.redact = redact;
  return {
    core,
    sampleFn: typeof sampleRate === 'number' || typeof sampleRate === 'string' ? undefined : callback<SampleFn>(sampleRate, 'sampleRate'),
    redactFn: typeof redact === 'string' ? undefined : callback<RedactFn>(redact, 'redact'),
    metadataValidator: callback(options?.metadataValidator, 'metadataValidator'),
    onError: callback(options?.onError, 'onError'),
  };
}
