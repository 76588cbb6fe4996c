// Node SDK benchmark: TruLayer against OpenTelemetry JS (BasicTracerProvider +
// BatchSpanProcessor + OTLP/HTTP exporter) on the same 3-span trace, in one run, each SDK
// in a child process of its own, all shipping to one loopback sink.
//   record  µs per trace on the main thread, tight loop (the cost an app pays per trace),
//           the best of a slice's five passes
//   main    main-thread busy µs per trace for a shipping run, flush included
//           (event-loop utilization: OTel serializes and sends on the main thread)
//   cpu     process CPU µs per trace for that run, every thread included
// The children live for the whole run and take turns: the parent asks each in turn for a
// slice (a record slice, then a shipping slice that ends with a flush), alternating their
// order, so every slice of one SDK has one of the other SDK's a fraction of a second away.
// This machine's speed drifts by up to 2x over a minute; slices taken in turn see the same
// drift, where runs taken one after the other would not. Each column is the median over the
// slices, and each ratio is the median over the slices of the two SDKs' paired ratio (with
// its interquartile range), next to the ratio of their totals.
// Usage: node bench.mjs [traces per slice] [slices]   (default 4000 x 30)
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { setImmediate as tick } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { setupFloor, setupOtel, setupTruLayer } from './workloads.mjs';

const SETUPS = { trulayer: setupTruLayer, otel: setupOtel, floor: setupFloor };
const CHUNK = 100;
const WARM_UP = 2000;
const PASSES = 5;

/** `n` traces in a tight loop, in `PASSES` passes each followed by a flush: main-thread µs per
 * trace of the fastest pass (a pass is a few milliseconds, which a hiccup of this shared
 * machine can double; the flushes are not timed). */
async function recordSlice(sdk, n) {
  let recordUs = Infinity;
  for (let pass = 0; pass < PASSES; pass++) {
    const t0 = performance.now();
    for (let i = 0; i < n / PASSES; i++) sdk.oneTrace();
    recordUs = Math.min(recordUs, ((performance.now() - t0) * 1000 * PASSES) / n);
    await sdk.flush();
  }
  return { recordUs };
}

/** `n` traces in chunks (the event loop turns between them), flushed at the end. */
async function shippingSlice(sdk, n) {
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

/** A child: sets its SDK up, then answers `record N`, `ship N` and `end`, a JSON line each. */
async function child(name, endpoint) {
  const sdk = await SETUPS[name](endpoint);
  for (let i = 0; i < WARM_UP; i++) sdk.oneTrace();
  await sdk.flush();
  console.log('{}');
  for await (const line of createInterface({ input: process.stdin })) {
    const [command, n] = line.split(' ');
    if (command === 'end') break;
    const slice = command === 'record' ? recordSlice : shippingSlice;
    console.log(JSON.stringify(await slice(sdk, Number(n))));
  }
  await sdk.shutdown();
}

/** Starts a child; resolves once it is warm, to `ask(command)`, which resolves to its answer. */
async function startChild(name, endpoint) {
  const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', name, endpoint], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`the ${name} child exited early (${proc.exitCode})`);
    return JSON.parse(value);
  };
  await next();
  return {
    ask: (command) => {
      proc.stdin.write(`${command}\n`);
      return next();
    },
    end: () => new Promise((resolve) => proc.on('exit', resolve).stdin.end('end\n')),
  };
}

async function startSink() {
  const sink = spawn(process.execPath, [fileURLToPath(new URL('./sink.mjs', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve) => sink.stdout.once('data', (d) => resolve(String(d).trim())));
  return { url, stop: () => sink.kill() };
}

/** The value below which a share `q` of `xs` lies (nearest rank). */
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.round(q * (s.length - 1)))];
};
const median = (xs) => quantile(xs, 0.5);
const sum = (xs) => xs.reduce((a, b) => a + b, 0);

async function main() {
  const perSlice = Number(process.argv[2] ?? 4000);
  const slices = Number(process.argv[3] ?? 30);
  // Whole chunks and passes only, so every per-trace figure divides by the traces it ran.
  if (!Number.isInteger(perSlice) || perSlice <= 0 || perSlice % CHUNK !== 0 || perSlice % PASSES !== 0) {
    throw new Error(`traces per slice must be a positive multiple of ${CHUNK}, got ${process.argv[2]}`);
  }
  if (!Number.isInteger(slices) || slices <= 0) throw new Error(`slices must be a positive integer, got ${process.argv[3]}`);
  const names = Object.keys(SETUPS);
  const sink = await startSink();
  try {
    const children = {};
    for (const name of names) children[name] = await startChild(name, sink.url);
    /** Every slice's result per SDK, in order; slice 0 warms up (JIT, memory) and is kept
     * apart, as what a fresh process pays. */
    const results = Object.fromEntries(names.map((name) => [name, []]));
    let first;
    for (let slice = 0; slice <= slices; slice++) {
      const order = slice % 2 ? [...names].reverse() : names;
      const row = {};
      for (const name of order) row[name] = await children[name].ask(`record ${perSlice}`);
      for (const name of order) Object.assign(row[name], await children[name].ask(`ship ${perSlice}`));
      if (slice === 0) first = row;
      else for (const name of names) results[name].push(row[name]);
    }
    await Promise.all(names.map((name) => children[name].end()));

    const received = await (await fetch(`${sink.url}/count`)).json();
    const recorded = WARM_UP + (slices + 1) * 2 * perSlice;
    const column = (name, key) => results[name].map((r) => r[key]);
    const fmt = (v) => v.toFixed(2).padStart(8);
    console.log(`3-span trace, ${slices} slices of ${perSlice} traces per SDK and measure, taken in turn (after ${WARM_UP} warm-up traces and a warm-up slice), shipped to a loopback sink; medians over the slices`);
    console.log(`${'sdk'.padEnd(10)} ${'record µs'.padStart(10)} ${'main µs'.padStart(8)} ${'cpu µs'.padStart(8)} ${'delivered'.padStart(10)}`);
    for (const name of names) {
      const [r, m, c] = ['recordUs', 'mainUs', 'cpuUs'].map((key) => median(column(name, key)));
      console.log(`${name.padEnd(10)} ${fmt(r).padStart(10)} ${fmt(m)} ${fmt(c)} ${String(received[name] ?? '-').padStart(10)}`);
    }
    const ratios = (key) => {
      const paired = results.otel.map((o, i) => o[key] / results.trulayer[i][key]);
      const total = sum(column('otel', key)) / sum(column('trulayer', key));
      return `${median(paired).toFixed(1)}x (${quantile(paired, 0.25).toFixed(1)}-${quantile(paired, 0.75).toFixed(1)}; of totals ${total.toFixed(1)}x)`;
    };
    console.log('otel / trulayer per slice, median (interquartile range; ratio of totals):');
    console.log(`  record ${ratios('recordUs')}, main thread ${ratios('mainUs')}, process CPU ${ratios('cpuUs')}`);
    // The warm-up slice: both processes fresh, so it includes first-time costs (JIT, and
    // memory touched for the first time, which the kernel must zero).
    const cold = (key) => `${(first.otel[key] / first.trulayer[key]).toFixed(1)}x`;
    console.log(`  the warm-up slice (fresh processes): record ${cold('recordUs')}, main thread ${cold('mainUs')}, process CPU ${cold('cpuUs')}`);
    // For `make bench`'s cross-language table: language, implementation, main-thread µs, CPU
    // µs, and the share of recorded traces the sink received.
    const label = { trulayer: '@trulayer/sdk', otel: '@opentelemetry/sdk-trace-base', floor: 'floor (same calls, no SDK)' };
    for (const name of names) {
      const delivered = name in received ? ((100 * received[name]) / recorded).toFixed(0) : '';
      console.log(`BENCH|node|${label[name]}|${median(column(name, 'mainUs')).toFixed(2)}|${median(column(name, 'cpuUs')).toFixed(2)}|${delivered}`);
    }
  } finally {
    sink.stop();
  }
}

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4]);
} else {
  await main();
}
