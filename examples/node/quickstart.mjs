// Quickstart: one nested trace shipped to a TruLayer-compatible API (the local collector in
// `make quickstart`). Configuration comes from the environment:
//   TRULAYER_ENDPOINT=http://127.0.0.1:8080 TRULAYER_API_KEY=tl_... node quickstart.mjs
import { TruLayer } from '@trulayer/sdk';

const tl = new TruLayer({ project: process.env.TRULAYER_PROJECT ?? 'quickstart' });
tl.onError((err) => console.error(`trulayer: ${err.name}: ${err.message}`));

const question = 'Why is the sky blue?';
const traceId = await tl.trace(
  'answer_question',
  async (trace) => {
    trace.setInput({ question });
    const docs = await trace.span('retrieve', 'retrieval', async (span) => {
      const found = ['Rayleigh scattering', 'Wavelength and scattering'];
      span.setOutput({ doc_count: found.length });
      return found;
    });
    const answer = await trace.span('generate', 'llm', async (span) => {
      span.setModel('gpt-4o-mini');
      span.setInput(`Answer from: ${docs.join('; ')}`);
      await trace.span('format', 'tool', (inner) => inner.setOutput('markdown'));
      span.setTokens({ promptTokens: 12, completionTokens: 30 });
      const text = 'Sunlight scatters off air molecules, and blue light scatters the most.';
      span.setOutput(text);
      return text;
    });
    trace.setOutput({ answer });
    return trace.id;
  },
  { sessionId: 'quickstart-session', tags: { example: 'node' } },
);

const delivered = await tl.flush(10_000);
const stats = tl.stats();
await tl.shutdown();
console.log(`trace ${traceId} ${delivered && stats.sent === 1 ? 'delivered to' : 'NOT delivered to'} ${tl.settings.endpoint}`);
process.exitCode = delivered && stats.sent === 1 ? 0 : 1;
