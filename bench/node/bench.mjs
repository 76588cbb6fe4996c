// Node SDK benchmark: TruLayer against OpenTelemetry JS (BasicTracerProvider +
// BatchSpanProcessor + OTLP/HTTP exporter) on the same 3-span trace, in one run, each SDK
// in a fresh child process, both shipping to one loopback sink.
//   record  µs per trace on the main thread, tight loop (the cost an app pays per trace),
//           best of 5 passes
//   main    main-thread busy µs per trace for a whole run, shipping included
//           (event-loop utilization: OTel serializes and sends on the main thread)
//   cpu     process CPU µs per trace for a whole run, every thread included
// Each SDK runs ROUNDS times, alternating with the other, each time in a fresh process, and
// every column is its best round: on a shared machine interference only ever adds time,
// and alternating gives both SDKs the same chances of a quiet moment. The ratios are given
// twice: of the best rounds, and within each round (its two runs seconds apart, so a drift
// of the machine's speed affects both), as the median and range over the rounds.
// Usage: node bench.mjs [traces]   (default 20000)
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { setImmediate as tick } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { setupFloor, setupOtel, setupTruLayer } from './workloads.mjs';

const SETUPS = { trulayer: setupTruLayer, otel: setupOtel, floor: setupFloor };
const CHUNK = 100;
const ROUNDS = 7;

/** One run of `n` traces in chunks (the event loop turns between them), flushed at the end. */
async function shippingRun(sdk, n) {
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  for (let done = 0; done < n; done += CHUNK) {
    for (let i = 0; i < CHUNK; i++) sdk.oneTrace();
    await tick();
  }
  await sdk.flush();
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = process.cpuUsage(cpu0);
  return { mainUs: (elu.active * 1000) / n, cpuUs: (cpu.user + cpu.system) / n };
}

async function measure(name, endpoint, n) {
  const sdk = await SETUPS[name](endpoint);
  for (let i = 0; i < WARM_UP; i++) sdk.oneTrace();
  await sdk.flush();

  let recordUs = Infinity;
  for (let pass = 0; pass < 5; pass++) {
    const t0 = performance.now();
    for (let i = 0; i < n / 5; i++) sdk.oneTrace();
    recordUs = Math.min(recordUs, ((performance.now() - t0) * 1000 * 5) / n);
    await sdk.flush();
  }

  const { mainUs, cpuUs } = await shippingRun(sdk, n);
  await sdk.shutdown();
  return { recordUs, mainUs, cpuUs };
}

function runChild(name, endpoint, n) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', name, endpoint, String(n)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${name} run failed (${code})`))));
  });
}

const WARM_UP = 2000;

async function startSink() {
  const sink = spawn(process.execPath, [fileURLToPath(new URL('./sink.mjs', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve) => sink.stdout.once('data', (d) => resolve(String(d).trim())));
  return { url, stop: () => sink.kill() };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

async function main() {
  const n = Number(process.argv[2] ?? 20000);
  const sink = await startSink();
  try {
    /** Every round's result per SDK, in order. */
    const rounds = Object.fromEntries(Object.keys(SETUPS).map((name) => [name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of Object.keys(SETUPS)) rounds[name].push(await runChild(name, sink.url, n));
    }
    const best = (name) => {
      const rs = rounds[name];
      return { recordUs: Math.min(...rs.map((r) => r.recordUs)), mainUs: Math.min(...rs.map((r) => r.mainUs)), cpuUs: Math.min(...rs.map((r) => r.cpuUs)) };
    };
    const results = Object.fromEntries(Object.keys(SETUPS).map((name) => [name, best(name)]));
    const received = await (await fetch(`${sink.url}/count`)).json();
    const fmt = (v) => v.toFixed(2).padStart(8);
    console.log(`3-span trace, ${n} traces per SDK for each measure (after ${WARM_UP} warm-up), best of ${ROUNDS} alternating rounds, shipped to a loopback sink`);
    console.log(`${'sdk'.padEnd(10)} ${'record µs'.padStart(10)} ${'main µs'.padStart(8)} ${'cpu µs'.padStart(8)} ${'delivered'.padStart(10)}`);
    for (const [name, r] of Object.entries(results)) {
      console.log(`${name.padEnd(10)} ${fmt(r.recordUs).padStart(10)} ${fmt(r.mainUs)} ${fmt(r.cpuUs)} ${String(received[name] ?? '-').padStart(10)}`);
    }
    const t = results.trulayer;
    const o = results.otel;
    console.log(
      `ratio of bests (otel / trulayer): record ${(o.recordUs / t.recordUs).toFixed(1)}x, main thread ${(o.mainUs / t.mainUs).toFixed(1)}x, process CPU ${(o.cpuUs / t.cpuUs).toFixed(1)}x`,
    );
    // The same ratios within each round, whose two runs are seconds apart: the machine's
    // speed drifts (both SDKs' costs rise and fall together by up to 2x from one minute to
    // the next here), so a ratio taken within a round compares like with like.
    const paired = (key) => rounds.otel.map((r, i) => r[key] / rounds.trulayer[i][key]);
    const summary = (key) => {
      const rs = paired(key);
      return `${median(rs).toFixed(1)}x (${Math.min(...rs).toFixed(1)}-${Math.max(...rs).toFixed(1)})`;
    };
    console.log(`ratio within rounds, median (range): record ${summary('recordUs')}, main thread ${summary('mainUs')}, process CPU ${summary('cpuUs')}`);
    // For `make bench`'s cross-language table: language, implementation, main-thread µs, CPU
    // µs, and the share of recorded traces the sink received.
    const label = { trulayer: '@trulayer/sdk', otel: '@opentelemetry/sdk-trace-base', floor: 'floor (same calls, no SDK)' };
    const recorded = ROUNDS * (2 * n + WARM_UP);
    for (const [name, r] of Object.entries(results)) {
      const delivered = name in received ? ((100 * received[name]) / recorded).toFixed(0) : '';
      console.log(`BENCH|node|${label[name] ?? name}|${r.mainUs.toFixed(2)}|${r.cpuUs.toFixed(2)}|${delivered}`);
    }
  } finally {
    sink.stop();
  }
}

if (process.argv[2] === '--child') {
  const [, , , name, endpoint, n] = process.argv;
  console.log(JSON.stringify(await measure(name, endpoint, Number(n))));
} else {
  await main();
}
