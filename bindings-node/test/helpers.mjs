// Shared test fixtures: the real collector on a free loopback port, and child processes.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPO = path.resolve(PACKAGE_DIR, '..');
const COLLECTOR = process.env.TRULAYER_COLLECTOR_BIN ?? path.join(REPO, 'target', 'debug', 'trulayer-collector');
const FAULT_PROXY = path.join(REPO, 'target', 'debug', 'trulayer-fault-proxy');

export const KEY = 'tl_test_node_key';
export const PROJECT = 'node-sdk';

/** Spawns a server binary of this repository and resolves with its URL once it prints its
 * first line, `<name> listening on http://127.0.0.1:PORT`. */
async function startListening(bin, args) {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${path.basename(bin)} did not start within 20 s`)), 20_000);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${path.basename(bin)} exited with ${code}`)));
    lines.once('line', (line) => {
      clearTimeout(timer);
      const m = /listening on (http:\/\/\S+)/.exec(line);
      m ? resolve(m[1]) : reject(new Error(`unexpected first line: ${line}`));
    });
  });
  child.removeAllListeners('exit');
  const stop = async (signal = 'SIGTERM') => {
    child.kill(signal);
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', r)));
  };
  return { url, stop };
}

/** The addon's file name in native/ on this platform. */
export const ADDON_FILE = createRequire(import.meta.url)(path.join(PACKAGE_DIR, 'dist', 'platform.js')).addonFile();

/** Copies the built package (package.json, dist/, scripts/) to `dest`, with `addon` (bytes)
 * as its native addon, or none when it is undefined. */
export function copyBuiltPackage(dest, addon) {
  mkdirSync(path.join(dest, 'native'), { recursive: true });
  for (const entry of ['package.json', 'dist', 'scripts']) cpSync(path.join(PACKAGE_DIR, entry), path.join(dest, entry), { recursive: true });
  if (addon !== undefined) writeFileSync(path.join(dest, 'native', ADDON_FILE), addon);
}

/** A new temporary directory, removed by `removeTempDirs`. */
const tempDirs = [];
export function tempDir(prefix) {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs() {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Starts `trulayer-collector` on 127.0.0.1:0 with a fresh database. `kill()` SIGKILLs it (no
 * graceful shutdown); `restart()` starts it again on the same port and database. */
export async function startCollector() {
  const dir = mkdtempSync(path.join(tmpdir(), 'tl-node-'));
  const run = (addr) => startListening(COLLECTOR, ['--addr', addr, '--db', path.join(dir, 'traces.db'), '--key', `${KEY}=${PROJECT}`]);
  let server = await run('127.0.0.1:0');
  const { url } = server;
  return {
    url,
    kill: () => server.stop('SIGKILL'),
    async restart() {
      server = await run(new URL(url).host);
      if (server.url !== url) throw new Error(`restarted on ${server.url}, not ${url}`);
    },
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts `trulayer-fault-proxy` (tests/faults) in front of `upstream`, misbehaving as `plan` says. */
export function startFaultProxy(upstream, plan) {
  return startListening(FAULT_PROXY, ['--upstream', upstream, '--plan', plan]);
}

/** GET `path` on the collector with the test key; resolves to the parsed body. */
export async function collectorGet(url, p) {
  const res = await fetch(url + p, { headers: { authorization: `Bearer ${KEY}` } });
  if (!res.ok) throw new Error(`GET ${p}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

/** Polls until `fn` resolves to a truthy value (bounded: 10 s). */
export async function eventually(fn, what) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs `code` as an ES module (or CommonJS) in a fresh Node process, in `cwd` (where it
 * resolves `@trulayer/sdk`); resolves to {code, stdout, stderr, ms}. */
export function runNode(code, { env = {}, timeoutMs = 20_000, type = 'module', cwd = PACKAGE_DIR } = {}) {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const args = type === 'module' ? ['--input-type=module', '-e', code] : ['-e', code];
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the child process did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** `promise`, or a rejection after `ms`. The pending timer also keeps the event loop alive,
 * which a test needs while it waits for onError: the SDK's callbacks never do. */
export function within(ms, promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
