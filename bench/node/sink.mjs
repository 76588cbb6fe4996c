// The loopback endpoint both SDKs ship to, in its own process so its CPU is not counted:
// accepts TruLayer batches (/v1/ingest/batch) and OTLP/JSON (/v1/traces), counts the traces
// received, and reports the counts on GET /count. Counting is a substring count of the
// root's name (once per trace in both formats), so the sink takes little CPU from the
// process being measured on a small machine.
import { createServer } from 'node:http';

const received = { trulayer: 0, otel: 0 };

const ROOT = '"answer_question"';

function count(path, body) {
  let n = 0;
  for (let i = body.indexOf(ROOT); i !== -1; i = body.indexOf(ROOT, i + ROOT.length)) n++;
  received[path === '/v1/ingest/batch' ? 'trulayer' : 'otel'] += n;
}

const server = createServer((req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(received));
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    count(req.url, Buffer.concat(chunks).toString('utf8'));
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
server.listen(0, '127.0.0.1', () => console.log(`http://127.0.0.1:${server.address().port}`));
