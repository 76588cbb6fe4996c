// One traced provider call: an `llm` span opened under the current scope, closed when the
// response arrives, or — for a stream — when the stream is exhausted, closed early or fails
// (keeping the partial output). The caller gets the provider's own promise and stream
// objects back, so helpers like `.withResponse()` and `.tee()` keep working.
import { scopes } from '../context';
import { binding } from '../native';
import type { SpanContext } from '../trace';

/** Collects a streamed response, chunk by chunk, then writes it onto the span. */
export interface StreamRecorder<C> {
  chunk(chunk: C): void;
  finish(span: SpanContext): void;
}

export interface CallShape<P, R, C> {
  spanName: string;
  /** Adjusts the request of a traced call (e.g. asks for usage in streams). */
  prepare?(params: P): P;
  /** Sets model, input and request metadata on the span. */
  request(span: SpanContext, params: P): void;
  /** Records a complete response. */
  response(span: SpanContext, result: R): void;
  /** A recorder for a streamed response. */
  stream(): StreamRecorder<C>;
}

function errorParts(err: unknown): [string, number | null, string] {
  if (err instanceof Error) {
    const status = (err as { status?: unknown }).status;
    return [err.constructor?.name || err.name, typeof status === 'number' ? status : null, err.message];
  }
  return ['', null, String(err)];
}

/** Records a failed call: the error, and its failure_type when the core can classify it. */
export function recordFailure(span: SpanContext, err: unknown): void {
  span.setError(err);
  const [kind, status, message] = errorParts(err);
  const failureType = binding().classifyFailure(kind, status, message);
  if (failureType) span.setMetadata({ failure_type: failureType });
  span.end();
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as PromiseLike<unknown>).then === 'function';
}

type AsyncIterableObject = { [Symbol.asyncIterator]: () => AsyncIterator<unknown> };

function traceStream<C>(stream: AsyncIterableObject, span: SpanContext, recorder: StreamRecorder<C>): void {
  const iterate = stream[Symbol.asyncIterator].bind(stream);
  let ended = false;
  const finish = (err?: unknown, cancelled = false): void => {
    if (ended) return;
    ended = true;
    if (err !== undefined) {
      recorder.finish(span);
      recordFailure(span, err);
      return;
    }
    if (cancelled) span.setMetadata({ stream_cancelled: true });
    recorder.finish(span);
    span.end();
  };
  stream[Symbol.asyncIterator] = () => {
    const inner = iterate();
    const traced: AsyncIterator<unknown> & AsyncIterableObject = {
      async next() {
        let r: IteratorResult<unknown>;
        try {
          r = await inner.next();
        } catch (err) {
          finish(err);
          throw err;
        }
        if (r.done) finish();
        else recorder.chunk(r.value as C);
        return r;
      },
      async return(value?: unknown) {
        finish(undefined, true);
        return inner.return ? inner.return(value) : { done: true, value };
      },
      async throw(err?: unknown) {
        finish(err);
        if (inner.throw) return inner.throw(err);
        throw err;
      },
      [Symbol.asyncIterator]() {
        return traced;
      },
    };
    return traced;
  };
}

/** Calls `original` as a traced provider call; passes straight through outside any trace. */
export function tracedCall<P, R, C>(shape: CallShape<P, R, C>, original: (...a: unknown[]) => unknown, self: unknown, args: unknown[]): unknown {
  const scope = scopes.getStore();
  if (!scope) return original.apply(self, args);
  const given = (args[0] ?? {}) as P;
  const params = (shape.prepare ? shape.prepare(given) : given) as P & { stream?: boolean };
  const span = scope.startSpan(shape.spanName, 'llm');
  shape.request(span, params);
  let result: unknown;
  try {
    result = original.apply(self, [params, ...args.slice(1)]);
  } catch (err) {
    recordFailure(span, err);
    throw err;
  }
  if (!isPromiseLike(result)) {
    span.end();
    return result;
  }
  // Registered before the caller's own `await`, so a stream is wrapped before it is read.
  result.then(
    (value) => {
      const iterable = value as AsyncIterableObject | null;
      if (params.stream && iterable && typeof iterable[Symbol.asyncIterator] === 'function') {
        traceStream(iterable, span, shape.stream());
      } else {
        shape.response(span, value as R);
        span.end();
      }
    },
    (err: unknown) => recordFailure(span, err),
  );
  return result;
}
