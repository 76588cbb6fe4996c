// OpenAI: chat.completions.create (plain and stream) and embeddings.create on one client.
import type { SpanContext } from '../trace';
import { patchMethod, unpatchMethod } from './patch';
import { tracedCall, type CallShape, type StreamRecorder } from './provider-call';

export interface OpenAIInstrumentOptions {
  /** Ask for token usage in streamed responses (`stream_options.include_usage`); default true. */
  includeUsage?: boolean;
}

interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
}

interface ChatParams {
  model?: string;
  messages?: unknown;
  stream?: boolean;
  stream_options?: { include_usage?: boolean } & Record<string, unknown>;
}

interface ChatCompletion {
  model?: string;
  choices?: Array<{ message?: { content?: string | null; tool_calls?: unknown } }>;
  usage?: Usage | null;
}

interface ChatChunk {
  model?: string;
  choices?: Array<{ delta?: { content?: string | null } }>;
  usage?: Usage | null;
}

interface EmbeddingParams {
  model?: string;
  input?: unknown;
}

interface EmbeddingResponse {
  model?: string;
  data?: Array<{ embedding?: unknown[] | string }>;
  usage?: Usage | null;
}

/** The surface this module patches; any object shaped like an `openai` client works. */
export interface OpenAILike {
  chat?: { completions?: object };
  embeddings?: object;
}

function recordUsage(span: SpanContext, usage: Usage | null | undefined): void {
  if (usage) span.setTokens({ promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens });
}

function chatShape(options: OpenAIInstrumentOptions): CallShape<ChatParams, ChatCompletion, ChatChunk> {
  return {
    spanName: 'openai.chat.completions',
    prepare(params) {
      if (!params.stream || options.includeUsage === false || params.stream_options?.include_usage !== undefined) return params;
      return { ...params, stream_options: { ...params.stream_options, include_usage: true } };
    },
    request(span, params) {
      if (params.model) span.setModel(params.model);
      span.setInput(params.messages);
      span.setMetadata({ provider: 'openai', stream: Boolean(params.stream) });
    },
    response(span, completion) {
      const message = completion?.choices?.[0]?.message;
      span.setOutput(message?.content ?? message?.tool_calls ?? null);
      if (completion?.model) span.setModel(completion.model);
      recordUsage(span, completion?.usage);
    },
    stream(): StreamRecorder<ChatChunk> {
      let text = '';
      let model: string | undefined;
      let usage: Usage | null | undefined;
      return {
        chunk(c) {
          text += c?.choices?.[0]?.delta?.content ?? '';
          model = c?.model ?? model;
          usage = c?.usage ?? usage;
        },
        finish(span) {
          span.setOutput(text);
          if (model) span.setModel(model);
          recordUsage(span, usage);
        },
      };
    },
  };
}

const embeddingShape: CallShape<EmbeddingParams, EmbeddingResponse, never> = {
  spanName: 'openai.embeddings',
  request(span, params) {
    if (params.model) span.setModel(params.model);
    span.setInput(params.input);
    span.setMetadata({ provider: 'openai' });
  },
  response(span, result) {
    const first = result?.data?.[0]?.embedding;
    span.setOutput({ embeddings: result?.data?.length ?? 0, dimensions: Array.isArray(first) ? first.length : null });
    recordUsage(span, result?.usage);
  },
  stream() {
    throw new Error('embeddings do not stream');
  },
};

/** Traces `chat.completions.create` and `embeddings.create` of this client; returns it. */
export function instrumentOpenAI<T extends OpenAILike>(client: T, options: OpenAIInstrumentOptions = {}): T {
  const chat = chatShape(options);
  patchMethod(client?.chat?.completions, 'create', (original) =>
    function (this: unknown, ...args: unknown[]) {
      return tracedCall(chat, original, this, args);
    },
  );
  patchMethod(client?.embeddings, 'create', (original) =>
    function (this: unknown, ...args: unknown[]) {
      return tracedCall(embeddingShape, original, this, args);
    },
  );
  return client;
}

/** Restores the client's original methods. */
export function uninstrumentOpenAI<T extends OpenAILike>(client: T): T {
  unpatchMethod(client?.chat?.completions, 'create');
  unpatchMethod(client?.embeddings, 'create');
  return client;
}
