// Anthropic: messages.create, plain and streamed (`messages.stream()` goes through it too).
import type { SpanContext } from '../trace';
import { patchMethod, unpatchMethod } from './patch';
import { tracedCall, type CallShape, type StreamRecorder } from './provider-call';

interface Usage {
  input_tokens?: number | null;
  output_tokens?: number | null;
}

interface MessageParams {
  model?: string;
  system?: unknown;
  messages?: unknown;
  stream?: boolean;
}

interface Message {
  model?: string;
  content?: Array<{ type?: string; text?: string }>;
  usage?: Usage | null;
}

interface StreamEvent {
  type?: string;
  message?: Message;
  delta?: { type?: string; text?: string };
  usage?: Usage | null;
}

/** The surface this module patches; any object shaped like an `@anthropic-ai/sdk` client works. */
export interface AnthropicLike {
  messages?: object;
}

function recordUsage(span: SpanContext, input: number | null | undefined, output: number | null | undefined): void {
  span.setTokens({ promptTokens: input ?? null, completionTokens: output ?? null });
}

const messagesShape: CallShape<MessageParams, Message, StreamEvent> = {
  spanName: 'anthropic.messages',
  request(span, params) {
    if (params.model) span.setModel(params.model);
    span.setInput(params.system === undefined ? params.messages : { system: params.system, messages: params.messages });
    span.setMetadata({ provider: 'anthropic', stream: Boolean(params.stream) });
  },
  response(span, message) {
    const blocks = message?.content ?? [];
    const onlyText = blocks.every((b) => b?.type === 'text');
    span.setOutput(onlyText ? blocks.map((b) => b.text ?? '').join('') : blocks);
    if (message?.model) span.setModel(message.model);
    recordUsage(span, message?.usage?.input_tokens, message?.usage?.output_tokens);
  },
  stream(): StreamRecorder<StreamEvent> {
    let text = '';
    let model: string | undefined;
    let input: number | null | undefined;
    let output: number | null | undefined;
    return {
      chunk(e) {
        if (e?.type === 'message_start') {
          model = e.message?.model ?? model;
          input = e.message?.usage?.input_tokens ?? input;
        } else if (e?.type === 'content_block_delta' && e.delta?.type === 'text_delta') {
          text += e.delta.text ?? '';
        } else if (e?.type === 'message_delta') {
          output = e.usage?.output_tokens ?? output;
        }
      },
      finish(span) {
        span.setOutput(text);
        if (model) span.setModel(model);
        recordUsage(span, input, output);
      },
    };
  },
};

/** Traces `messages.create` of this client; returns it. */
export function instrumentAnthropic<T extends AnthropicLike>(client: T): T {
  patchMethod(client?.messages, 'create', (original) =>
    function (this: unknown, ...args: unknown[]) {
      return tracedCall(messagesShape, original, this, args);
    },
  );
  return client;
}

/** Restores the client's original method. */
export function uninstrumentAnthropic<T extends AnthropicLike>(client: T): T {
  unpatchMethod(client?.messages, 'create');
  return client;
}
