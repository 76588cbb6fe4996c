// A fake OpenAI + Anthropic API on 127.0.0.1 for the real SDK packages to talk to: JSON and
// server-sent-event streams, usage numbers, and provider errors chosen by the prompt text.
import { createServer } from 'node:http';

const sse = (res, frames) => {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const f of frames) res.write(f);
  res.end();
};

function lastText(body) {
  const msgs = body.messages ?? [];
  const content = msgs[msgs.length - 1]?.content;
  return typeof content === 'string' ? content : JSON.stringify(content ?? '');
}

/** Answers an error when the prompt asks for one; returns true if it did. */
function failOnDemand(res, prompt) {
  if (prompt.includes('rate-limit')) {
    res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '0' });
    res.end(JSON.stringify({ error: { message: 'Rate limit reached for requests', type: 'rate_limit_error' } }));
    return true;
  }
  if (prompt.includes('too-long')) {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: "This model's maximum context length is 8192 tokens", type: 'invalid_request_error' } }));
    return true;
  }
  return false;
}

function openaiChat(body, res) {
  if (failOnDemand(res, lastText(body))) return;
  const model = body.model;
  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({
      id: 'chatcmpl-1', object: 'chat.completion', created: 1, model,
      choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'Hello from the fake' } }],
      usage: { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 },
    }));
    return;
  }
  const chunk = (delta, extra = {}) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta, finish_reason: null }], ...extra })}\n\n`;
  const frames = [chunk({ role: 'assistant', content: 'Hel' }), chunk({ content: 'lo' }), chunk({ content: ' stream' })];
  if (body.stream_options?.include_usage) {
    frames.push(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model, choices: [], usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 } })}\n\n`);
  }
  frames.push('data: [DONE]\n\n');
  sse(res, frames);
}

function openaiEmbeddings(body, res) {
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({
    object: 'list', model: body.model,
    data: inputs.map((_, i) => ({ object: 'embedding', index: i, embedding: [0.1, 0.2, 0.3] })),
    usage: { prompt_tokens: 5, total_tokens: 5 },
  }));
}

function anthropicMessages(body, res) {
  if (failOnDemand(res, lastText(body))) return;
  const model = body.model;
  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({
      id: 'msg_1', type: 'message', role: 'assistant', model, stop_reason: 'end_turn', stop_sequence: null,
      content: [{ type: 'text', text: 'Bonjour from the fake' }],
      usage: { input_tokens: 13, output_tokens: 5 },
    }));
    return;
  }
  const ev = (type, data) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  sse(res, [
    ev('message_start', { message: { id: 'msg_1', type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 8, output_tokens: 1 } } }),
    ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Bon' } }),
    ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'jour' } }),
    ev('content_block_stop', { index: 0 }),
    ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 2 } }),
    ev('message_stop', {}),
  ]);
}

const ROUTES = { '/v1/chat/completions': openaiChat, '/v1/embeddings': openaiEmbeddings, '/v1/messages': anthropicMessages };

/** Starts the fake; `requests` records every parsed request body by path. */
export async function startFakeProvider() {
  const requests = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      const path = req.url.split('?')[0];
      const route = ROUTES[path];
      if (!route || req.method !== 'POST') {
        res.writeHead(404).end();
        return;
      }
      const body = JSON.parse(raw || '{}');
      requests.push({ path, body });
      route(body, res);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    close: () => new Promise((r) => server.close(r)),
  };
}
