// Assertions without a network: with TRULAYER_MODE=local (or mode: 'local') the engine keeps
// each finished trace's wire JSON in process. These read it back as plain objects in
// TypeScript's naming (`sessionId`, `spanType`, `promptTokens`, …): the values are exactly
// the ones that would have been sent, only the keys are renamed. What is sent stays the
// wire JSON every TruLayer SDK shares.
import type { RecordedFields, SpanRecord } from './api';
import type { TruLayer } from './client';
import { getClient } from './global';
import type { EventLevel, Metadata, SpanType } from './trace';

/** What finished traces and spans both carry. */
export interface RecordedData {
  /** A string as it was set; any other value as compact JSON text. */
  input: string | null;
  output: string | null;
  model: string | null;
  /** `"ErrorName: message"` (or the message of a non-Error). */
  error: string | null;
  latencyMs: number | null;
  /** US dollars. */
  cost: number | null;
  metadata: Metadata;
}

/** A finished span as it would have been sent. */
export interface SpanData extends RecordedData {
  id: string;
  traceId: string;
  /** The enclosing span; null directly under the trace. */
  parentSpanId: string | null;
  name: string;
  /** `type` on the wire. */
  spanType: SpanType;
  promptTokens: number | null;
  completionTokens: number | null;
  /** RFC 3339 UTC with microseconds (`start_time` on the wire). */
  startedAt: string;
  /** `end_time` on the wire. */
  endedAt: string | null;
}

/** An event recorded with `trace.event()` or `span.event()`. */
export interface EventData {
  id: string;
  traceId: string;
  /** The span it happened in; null for the trace itself. */
  spanId: string | null;
  level: EventLevel;
  message: string;
  metadata: Metadata;
  timestamp: string;
}

/** A finished trace as it would have been sent. */
export interface TraceData extends RecordedData {
  id: string;
  /** The project name. */
  projectId: string;
  environment: string | null;
  sessionId: string | null;
  externalId: string | null;
  userId: string | null;
  name: string;
  /** Labels (a list), or key→value tags (an object, labels then map to ""). */
  tags: string[] | Record<string, string>;
  /** In the order they ended. */
  spans: SpanData[];
  events: EventData[];
  startedAt: string;
  endedAt: string | null;
}

/** The wire JSON the engine keeps (core/src/encode); optional keys are omitted when empty. */
interface WireSpan extends SpanRecord {
  /** Always set: the engine keeps only finished spans. */
  start_time: string;
}

interface WireEvent {
  id: string;
  span_id: string | null;
  level: EventLevel;
  message: string;
  metadata: Metadata;
  timestamp: string;
}

interface WireTrace extends RecordedFields {
  id: string;
  project_id: string;
  environment?: string;
  session_id: string | null;
  external_id: string | null;
  user_id?: string;
  name: string;
  tags: string[] | Record<string, string>;
  started_at: string;
  ended_at: string | null;
  spans: WireSpan[];
  events?: WireEvent[];
}

function span(s: WireSpan): SpanData {
  return {
    id: s.id,
    traceId: s.trace_id,
    parentSpanId: s.parent_span_id,
    name: s.name,
    spanType: s.type,
    input: s.input,
    output: s.output,
    model: s.model,
    error: s.error,
    latencyMs: s.latency_ms,
    cost: s.cost,
    promptTokens: s.prompt_tokens,
    completionTokens: s.completion_tokens,
    metadata: s.metadata,
    startedAt: s.start_time,
    endedAt: s.end_time,
  };
}

function trace(json: string): TraceData {
  const t = JSON.parse(json) as WireTrace;
  return {
    id: t.id,
    projectId: t.project_id,
    environment: t.environment ?? null,
    sessionId: t.session_id,
    externalId: t.external_id,
    userId: t.user_id ?? null,
    name: t.name,
    input: t.input,
    output: t.output,
    model: t.model,
    error: t.error,
    latencyMs: t.latency_ms,
    cost: t.cost,
    tags: t.tags,
    metadata: t.metadata,
    spans: t.spans.map(span),
    events: (t.events ?? []).map((e) => ({
      id: e.id,
      traceId: t.id,
      spanId: e.span_id,
      level: e.level,
      message: e.message,
      metadata: e.metadata,
      timestamp: e.timestamp,
    })),
    startedAt: t.started_at,
    endedAt: t.ended_at,
  };
}

/** Every kept trace, oldest first. */
export function traces(client: TruLayer = getClient()): TraceData[] {
  return client._native.localTraces().map(trace);
}

/** The most recently finished trace, or null. */
export function lastTrace(client: TruLayer = getClient()): TraceData | null {
  const all = client._native.localTraces();
  return all.length ? trace(all[all.length - 1]) : null;
}

/** Forgets the kept traces. */
export function clear(client: TruLayer = getClient()): void {
  client._native.clearLocalTraces();
}
