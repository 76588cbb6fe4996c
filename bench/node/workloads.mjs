// The same 3-span trace for each SDK: a trace with an input and output, a retrieval span, an
// LLM span with model and token counts, and a tool span. Each `setup` resolves to
// { oneTrace(), flush() } shipping to `endpoint`.

const QUESTION = 'Why is the sky blue?';
const PROMPT = 'Answer using the documents: why is the sky blue?';
const ANSWER = 'Rayleigh scattering makes shorter (blue) wavelengths scatter more.';

/** The trace's content, through the SDK's own API (the floor's objects mimic it). */
function fillTrace(t) {
  t.setInput({ question: QUESTION });
  t.span('retrieve', 'retrieval', (s) => {
    s.setInput(QUESTION);
    s.setOutput({ doc_count: 5 });
  });
  t.span('generate', 'llm', (s) => {
    s.setModel('gpt-4o-mini');
    s.setInput(PROMPT);
    s.setOutput(ANSWER);
    s.setTokens({ promptTokens: 12, completionTokens: 30 });
  });
  t.span('format', 'tool', (s) => s.setOutput(ANSWER));
  t.setOutput({ answer: ANSWER });
}

export async function setupTruLayer(endpoint) {
  const { TruLayer } = await import('../../bindings-node/dist/index.js');
  const tl = new TruLayer({ apiKey: 'tl_bench_key', endpoint, batchSize: 100, maxQueueSize: 1_000_000 });
  const oneTrace = () => tl.trace('answer_question', fillTrace, { sessionId: 'conv-1' });
  return { oneTrace, flush: () => tl.flush(30_000), shutdown: () => tl.shutdown(5000) };
}

/** The floor: the same calls on objects that record nothing, so the table shows what the
 * benchmark loop itself costs. */
export async function setupFloor() {
  const scope = {
    setInput() {},
    setOutput() {},
    setModel() {},
    setTokens() {},
    span: (name, type, fn) => fn(scope),
  };
  const oneTrace = () => fillTrace(scope);
  const done = () => Promise.resolve(true);
  return { oneTrace, flush: done, shutdown: done };
}

export async function setupOtel(endpoint) {
  const api = await import('@opentelemetry/api');
  const { BasicTracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  // Enough concurrent exports for forceFlush to drain a full queue at once.
  const exporter = new OTLPTraceExporter({ url: `${endpoint}/v1/traces`, concurrencyLimit: 10_000 });
  const processor = new BatchSpanProcessor(exporter, { maxQueueSize: 1_000_000, maxExportBatchSize: 512, scheduledDelayMillis: 2000 });
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  api.trace.setGlobalTracerProvider(provider);
  const tracer = provider.getTracer('bench');
  const child = (name, kind, fn) =>
    tracer.startActiveSpan(name, (s) => {
      s.setAttribute('span.type', kind);
      fn(s);
      s.end();
    });
  const oneTrace = () =>
    tracer.startActiveSpan('answer_question', (root) => {
      root.setAttribute('session.id', 'conv-1');
      root.setAttribute('input', JSON.stringify({ question: QUESTION }));
      child('retrieve', 'retrieval', (s) => {
        s.setAttribute('input', QUESTION);
        s.setAttribute('output', JSON.stringify({ doc_count: 5 }));
      });
      child('generate', 'llm', (s) => {
        s.setAttribute('gen_ai.request.model', 'gpt-4o-mini');
        s.setAttribute('input', PROMPT);
        s.setAttribute('output', ANSWER);
        s.setAttribute('gen_ai.usage.input_tokens', 12);
        s.setAttribute('gen_ai.usage.output_tokens', 30);
      });
      child('format', 'tool', (s) => s.setAttribute('output', ANSWER));
      root.setAttribute('output', JSON.stringify({ answer: ANSWER }));
      root.end();
    });
  return { oneTrace, flush: () => provider.forceFlush(), shutdown: () => provider.shutdown() };
}
