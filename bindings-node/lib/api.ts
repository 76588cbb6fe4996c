// Query, feedback and eval calls against the TruLayer API (or the local collector). Each is
// one HTTP request made by the engine off the JS thread; failures reject with TruLayerError.
import type { NativeClient } from './native';
import { apiError, TruLayerError } from './errors';

export type FailureType = 'timeout' | 'rate_limit' | 'invalid_response' | 'context_length';

/** Fields traces and spans share in API answers (and in the wire JSON they were sent as). */
export interface RecordedFields {
  input: string | null;
  output: string | null;
  model: string | null;
  latency_ms: number | null;
  cost: number | null;
  error: string | null;
  metadata: Record<string, unknown>;
  [field: string]: unknown;
}

/** A span as the API returns it. */
export interface SpanRecord extends RecordedFields {
  id: string;
  trace_id: string;
  parent_span_id: string | null;
  name: string;
  type: string;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  start_time: string | null;
  end_time: string | null;
}

/** A trace as the API returns it (list and detail). */
export interface TraceRecord extends RecordedFields {
  id: string;
  project_id: string;
  session_id: string | null;
  external_id: string | null;
  name: string | null;
  tags: string[] | Record<string, string>;
  tag_map?: Record<string, string>;
  started_at: string;
  ended_at: string | null;
  spans: SpanRecord[];
  events?: Array<Record<string, unknown>>;
}

export interface TraceFilters {
  projectId?: string;
  model?: string;
  error?: boolean;
  failureType?: FailureType;
  from?: Date | string;
  to?: Date | string;
  latencyMin?: number;
  latencyMax?: number;
  tokenCountMin?: number;
  tokenCountMax?: number;
  tagKey?: string;
  tagValue?: string;
  /** Traces per page (1–200). */
  limit?: number;
  /** Start from this page cursor. */
  cursor?: string;
}

export interface TracePage {
  traces: TraceRecord[];
  hasMore: boolean;
  nextCursor: string | null;
}

export interface FeedbackInput {
  label?: 'good' | 'bad' | 'neutral';
  score?: number;
  comment?: string;
  metadata?: Record<string, unknown>;
}

export interface EvalInput {
  evaluatorType: 'llm' | 'rule' | (string & {});
  metricName: string;
  config?: Record<string, unknown>;
}

export interface EvalResult {
  evalId: string;
  status: string;
}

export interface MetricsQuery {
  projectId?: string;
  from?: Date | string;
  to?: Date | string;
}

export interface Metrics {
  total_traces: number;
  error_count: number;
  error_rate: number | null;
  p50_latency_ms: number | null;
  p95_latency_ms: number | null;
  p99_latency_ms: number | null;
  total_cost: number | null;
  from: string;
  to: string;
  [field: string]: unknown;
}

const FILTER_PARAMS: Record<keyof TraceFilters, string> = {
  projectId: 'project_id',
  model: 'model',
  error: 'error',
  failureType: 'failure_type',
  from: 'from',
  to: 'to',
  latencyMin: 'latency_min',
  latencyMax: 'latency_max',
  tokenCountMin: 'token_count_min',
  tokenCountMax: 'token_count_max',
  tagKey: 'tag_key',
  tagValue: 'tag_value',
  limit: 'limit',
  cursor: 'cursor',
};

function query(values: Record<string, unknown>, names: Record<string, string>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined || value === null) continue;
    const name = names[key];
    if (!name) throw new TypeError(`unknown filter ${JSON.stringify(key)}; known filters: ${Object.keys(names).join(', ')}`);
    params.set(name, value instanceof Date ? value.toISOString() : String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

export class Api {
  constructor(
    private readonly native: NativeClient,
    private readonly timeoutMs: number,
  ) {}

  private async call(method: string, path: string, body: unknown, what: string): Promise<{ status: number; json: unknown }> {
    let answer;
    try {
      answer = await this.native.apiRequest(method, path, body === undefined ? null : JSON.stringify(body), this.timeoutMs);
    } catch (err) {
      throw new TruLayerError('network', `${what} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (answer.status === 404 && method === 'GET') return { status: 404, json: null };
    if (answer.status < 200 || answer.status >= 300) throw apiError(answer.status, answer.body, what);
    let json: unknown = null;
    if (answer.body) {
      try {
        json = JSON.parse(answer.body);
      } catch {
        throw new TruLayerError('api', `${what}: the answer is not JSON (HTTP ${answer.status})`, answer.status);
      }
    }
    return { status: answer.status, json };
  }

  async page(filters: TraceFilters): Promise<TracePage> {
    const { json } = await this.call('GET', `/v1/traces${query({ ...filters }, FILTER_PARAMS)}`, undefined, 'listTraces');
    const body = (json ?? {}) as { traces?: TraceRecord[]; has_more?: boolean; next_cursor?: string | null };
    return { traces: body.traces ?? [], hasMore: Boolean(body.has_more), nextCursor: body.next_cursor ?? null };
  }

  async *pages(filters: TraceFilters): AsyncGenerator<TracePage, void, undefined> {
    let cursor = filters.cursor;
    for (;;) {
      const page = await this.page({ ...filters, cursor });
      yield page;
      if (!page.hasMore || !page.nextCursor) return;
      cursor = page.nextCursor;
    }
  }

  async getTrace(id: string): Promise<TraceRecord | null> {
    const { json } = await this.call('GET', `/v1/traces/${encodeURIComponent(id)}`, undefined, 'getTrace');
    return json as TraceRecord | null;
  }

  async submitFeedback(traceId: string, feedback: FeedbackInput): Promise<void> {
    const { label, score, comment, metadata } = feedback ?? {};
    if (label !== undefined && !['good', 'bad', 'neutral'].includes(label)) {
      throw new TypeError(`feedback label must be good, bad or neutral, got ${JSON.stringify(label)}`);
    }
    await this.call('POST', '/v1/feedback', { trace_id: traceId, label, score, comment, metadata: metadata ?? {} }, 'submitFeedback');
  }

  async runEval(traceId: string, input: EvalInput): Promise<EvalResult> {
    const body = { trace_id: traceId, evaluator_type: input.evaluatorType, metric_name: input.metricName, config: input.config };
    const { json } = await this.call('POST', '/v1/eval', body, 'runEval');
    const answer = (json ?? {}) as { eval_id?: string; status?: string };
    return { evalId: String(answer.eval_id), status: String(answer.status) };
  }

  async getMetrics(q: MetricsQuery): Promise<Metrics> {
    const path = `/v1/metrics${query({ ...q }, { projectId: 'project_id', from: 'from', to: 'to' })}`;
    const { json } = await this.call('GET', path, undefined, 'getMetrics');
    return json as Metrics;
  }
}
