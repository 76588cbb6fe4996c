// @trulayer/sdk: tracing for LLM applications on the TruLayer engine.
export { TruLayer, type Stats } from './client';
export { init, getClient } from './global';
export { currentTrace, currentSpan } from './context';
export { TraceContext, SpanContext, type SpanType, type EventLevel, type EventOptions, type Metadata, type TokenCounts, type TraceOptions } from './trace';
export type { TruLayerOptions, SampleContext, SampleFn } from './config';
export type { RedactFn } from './payload';
export { TruLayerError, AuthenticationError, RateLimitError, ValidationError, type ErrorKind } from './errors';
export type { TraceFilters, TracePage, TraceRecord, SpanRecord, FeedbackInput, EvalInput, EvalResult, Metrics, MetricsQuery, FailureType } from './api';
export { instrumentOpenAI, uninstrumentOpenAI, instrumentAnthropic, uninstrumentAnthropic, type OpenAIInstrumentOptions, type LangChainHandler } from './instrument';
export * as testing from './testing';

