// A LangChain.js callback handler: every LLM, chat model, chain, tool and retriever run
// becomes a span, nested by LangChain's parent run ids under the current trace scope.
// @langchain/core is loaded only when a handler is created.
import { scopes } from '../context';
import type { SpanContext, SpanType, TraceContext } from '../trace';
import { recordFailure } from './provider-call';

interface Serialized {
  id?: string[];
  name?: string;
}

interface Generation {
  text?: string;
  message?: { usage_metadata?: { input_tokens?: number; output_tokens?: number } };
}

interface LLMResult {
  generations?: Generation[][];
  llmOutput?: { tokenUsage?: { promptTokens?: number; completionTokens?: number } } | null;
}

/** What `new (createLangChainHandlerClass())()` gives: pass it in `callbacks: [handler]`. */
export interface LangChainHandler {
  readonly name: string;
}

function runName(serialized: Serialized | undefined, explicit: string | undefined, fallback: string): string {
  return explicit ?? serialized?.name ?? serialized?.id?.[serialized.id.length - 1] ?? fallback;
}

function llmOutput(result: LLMResult): { text: string; prompt?: number; completion?: number } {
  const first = result?.generations?.[0]?.[0];
  const usage = result?.llmOutput?.tokenUsage;
  const meta = first?.message?.usage_metadata;
  return { text: first?.text ?? '', prompt: usage?.promptTokens ?? meta?.input_tokens, completion: usage?.completionTokens ?? meta?.output_tokens };
}

/** Spans by LangChain run id; a run whose parent is unknown opens under the current scope
 * (or the scope the handler was created in). */
class RunSpans {
  private readonly open = new Map<string, SpanContext>();
  constructor(private readonly home: TraceContext | SpanContext | undefined) {}

  start(runId: string, parentRunId: string | undefined, name: string, type: SpanType, input: unknown): void {
    const parent = (parentRunId && this.open.get(parentRunId)) || scopes.getStore() || this.home;
    if (!parent || parent.trace._ended) return;
    const span = parent.startSpan(name, type);
    span.setInput(input);
    span.setMetadata({ framework: 'langchain' });
    this.open.set(runId, span);
  }

  end(runId: string, record: (span: SpanContext) => void): void {
    const span = this.open.get(runId);
    if (!span) return;
    this.open.delete(runId);
    record(span);
    span.end();
  }

  fail(runId: string, err: unknown): void {
    const span = this.open.get(runId);
    if (!span) return;
    this.open.delete(runId);
    recordFailure(span, err);
  }
}

type HandlerClass = new () => LangChainHandler;
let cached: HandlerClass | undefined;

/** The handler class, built on @langchain/core's BaseCallbackHandler (loaded now). */
export function langChainHandlerClass(): HandlerClass {
  if (cached) return cached;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { BaseCallbackHandler } = require('@langchain/core/callbacks/base') as {
    BaseCallbackHandler: new (input?: Record<string, unknown>) => object;
  };
  class TruLayerCallbackHandler extends BaseCallbackHandler implements LangChainHandler {
    readonly name = 'trulayer';
    private readonly runs = new RunSpans(scopes.getStore());

    constructor() {
      // Awaited, so a run's span has ended before the code that started the run goes on.
      super({ _awaitHandler: true });
      (this as unknown as { awaitHandlers: boolean }).awaitHandlers = true;
    }

    handleLLMStart(llm: Serialized, prompts: string[], runId: string, parentRunId?: string, _extra?: unknown, _tags?: unknown, _meta?: unknown, name?: string) {
      this.runs.start(runId, parentRunId, runName(llm, name, 'llm'), 'llm', prompts.length === 1 ? prompts[0] : prompts);
    }

    handleChatModelStart(llm: Serialized, messages: unknown[][], runId: string, parentRunId?: string, _extra?: unknown, _tags?: unknown, _meta?: unknown, name?: string) {
      const flat = (messages[0] ?? []).map((m) => {
        const msg = m as { content?: unknown; _getType?: () => string; getType?: () => string };
        return { role: msg.getType?.() ?? msg._getType?.() ?? 'message', content: msg.content };
      });
      this.runs.start(runId, parentRunId, runName(llm, name, 'chat_model'), 'llm', flat);
    }

    handleLLMEnd(output: LLMResult, runId: string) {
      this.runs.end(runId, (span) => {
        const out = llmOutput(output);
        span.setOutput(out.text);
        span.setTokens({ promptTokens: out.prompt, completionTokens: out.completion });
      });
    }

    handleLLMError(err: Error, runId: string) {
      this.runs.fail(runId, err);
    }

    // The argument order LangChain calls with (its .d.ts lists runType and parentRunId elsewhere).
    handleChainStart(chain: Serialized, inputs: unknown, runId: string, parentRunId?: string, _tags?: unknown, _meta?: unknown, _type?: string, name?: string) {
      this.runs.start(runId, parentRunId, runName(chain, name, 'chain'), 'custom', inputs);
    }

    handleChainEnd(outputs: unknown, runId: string) {
      this.runs.end(runId, (span) => span.setOutput(outputs));
    }

    handleChainError(err: Error, runId: string) {
      this.runs.fail(runId, err);
    }

    handleToolStart(tool: Serialized, input: string, runId: string, parentRunId?: string, _tags?: unknown, _meta?: unknown, name?: string) {
      this.runs.start(runId, parentRunId, runName(tool, name, 'tool'), 'tool', input);
    }

    handleToolEnd(output: unknown, runId: string) {
      this.runs.end(runId, (span) => span.setOutput(output));
    }

    handleToolError(err: Error, runId: string) {
      this.runs.fail(runId, err);
    }

    handleRetrieverStart(retriever: Serialized, query: string, runId: string, parentRunId?: string, _tags?: unknown, _meta?: unknown, name?: string) {
      this.runs.start(runId, parentRunId, runName(retriever, name, 'retriever'), 'retrieval', query);
    }

    handleRetrieverEnd(documents: Array<{ pageContent?: string }>, runId: string) {
      this.runs.end(runId, (span) => span.setOutput(documents.map((d) => d.pageContent ?? d)));
    }

    handleRetrieverError(err: Error, runId: string) {
      this.runs.fail(runId, err);
    }
  }
  cached = TruLayerCallbackHandler;
  return cached;
}
