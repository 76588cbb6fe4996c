// Errors the SDK reports. Delivery failures never throw into the application: they reach
// `onError` subscribers as these classes. API calls (listTraces, submitFeedback, …) reject
// with them.

export type ErrorKind =
  | 'authentication'
  | 'rate_limit'
  | 'validation'
  | 'payload_too_large'
  | 'network'
  | 'queue_full'
  | 'scrub'
  | 'metadata'
  | 'delivery'
  | 'api';

export class TruLayerError extends Error {
  readonly kind: ErrorKind;
  /** The HTTP status behind it, if any. */
  readonly status: number | null;
  /** Traces lost with this failure. */
  readonly traceIds: string[];

  constructor(kind: ErrorKind, message: string, status: number | null = null, traceIds: string[] = []) {
    super(message);
    this.name = new.target.name;
    this.kind = kind;
    this.status = status;
    this.traceIds = traceIds;
  }
}

/** The key was refused (401/403); the client stopped shipping. */
export class AuthenticationError extends TruLayerError {}
/** Rate-limited (429) beyond the retry budget. */
export class RateLimitError extends TruLayerError {}
/** A trace, its metadata or a request was rejected as invalid. */
export class ValidationError extends TruLayerError {}

/** The class for a delivery error kind reported by the engine. */
export function deliveryError(kind: string, message: string, status: number | null, traceIds: string[]): TruLayerError {
  const k = kind as ErrorKind;
  if (k === 'authentication') return new AuthenticationError(k, message, status, traceIds);
  if (k === 'rate_limit') return new RateLimitError(k, message, status, traceIds);
  if (k === 'validation' || k === 'payload_too_large' || k === 'metadata') return new ValidationError(k, message, status, traceIds);
  return new TruLayerError(k, message, status, traceIds);
}

/** The error for a failed API answer. */
export function apiError(status: number, body: string, what: string): TruLayerError {
  let detail = body;
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown; code?: unknown };
    detail = String(parsed.error ?? parsed.message ?? parsed.code ?? body);
  } catch {
    // not JSON: keep the raw text
  }
  const message = `${what} failed with HTTP ${status}: ${detail}`;
  if (status === 401 || status === 403) return new AuthenticationError('authentication', message, status);
  if (status === 429) return new RateLimitError('rate_limit', message, status);
  if (status === 400 || status === 404 || status === 422) return new ValidationError('validation', message, status);
  return new TruLayerError('api', message, status);
}
