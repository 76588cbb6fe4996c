#!/usr/bin/env node
// Runs at `npm install` (and `npm rebuild`): compiles the TypeScript facade into dist/ when
// it is missing, and makes sure a native addon that loads on this platform is in native/,
// building the crate with cargo when no prebuilt binary matches or the one there does not
// load. `npm install <checkout>/bindings-node` links the folder without installing its npm
// dependencies, so when the TypeScript compiler is not there this script installs it (the
// versions of devDependencies) into .build-tools/.
//   --rebuild or TRULAYER_NODE_REBUILD=1   rebuild both even when present
//   TRULAYER_NODE_PROFILE=debug            build the dev profile (what the tests use)
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const rebuild = process.argv.includes('--rebuild') || process.env.TRULAYER_NODE_REBUILD === '1';

/** The TypeScript compiler and its extra arguments: the package's own, or a private copy. */
function typescript() {
  try {
    return { tsc: require.resolve('typescript/bin/tsc', { paths: [root] }), args: [] };
  } catch {
    const tools = path.join(root, '.build-tools');
    const dev = require(path.join(root, 'package.json')).devDependencies;
    const wanted = ['typescript', '@types/node'].map((name) => `${name}@${dev[name]}`);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const flags = ['--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund'];
    execFileSync(npm, ['install', '--prefix', tools, ...flags, ...wanted], { cwd: root, stdio: 'inherit' });
    const modules = path.join(tools, 'node_modules');
    return { tsc: path.join(modules, 'typescript', 'bin', 'tsc'), args: ['--typeRoots', path.join(modules, '@types')] };
  }
}

function buildFacade() {
  const { tsc, args } = typescript();
  execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json'), ...args], { cwd: root, stdio: 'inherit' });
  execFileSync(process.execPath, [path.join(__dirname, 'finish-dist.js')], { cwd: root, stdio: 'inherit' });
}

/** Builds the cdylib and returns the path cargo reports for it. */
function cargoBuild() {
  const args = ['build', '--manifest-path', path.join(root, 'Cargo.toml'), '--lib', '--message-format=json-render-diagnostics'];
  if (process.env.TRULAYER_NODE_PROFILE !== 'debug') args.push('--release');
  let out;
  try {
    out = execFileSync('cargo', args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 << 20 });
  } catch (err) {
    const missing = err.code === 'ENOENT';
    console.error(
      missing
        ? '@trulayer/sdk: no prebuilt addon fits this platform and cargo was not found; install Rust (https://rustup.rs) and reinstall.'
        : '@trulayer/sdk: building the native addon failed (see the cargo output above).',
    );
    process.exit(1);
  }
  for (const line of out.split('\n')) {
    if (!line.startsWith('{')) continue;
    const msg = JSON.parse(line);
    if (msg.reason === 'compiler-artifact' && msg.target.name === 'trulayer_node' && msg.target.kind.includes('cdylib')) {
      const lib = msg.filenames.find((f) => /\.(so|dylib|dll)$/.test(f));
      if (lib) return lib;
    }
  }
  throw new Error('@trulayer/sdk: cargo did not report the trulayer_node library');
}

/** True when the addon at `file` loads in this Node: one copied from another platform or
 * built for another Node ABI, or a damaged file, does not (so `npm rebuild` replaces it).
 * Checked in a child process, which keeps the file unmapped here while it is replaced. */
function loads(file) {
  if (!fs.existsSync(file)) return false;
  try {
    execFileSync(process.execPath, ['-e', `require(${JSON.stringify(file)})`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

if (rebuild || !fs.existsSync(path.join(root, 'dist', 'index.js'))) buildFacade();
const { addonFile } = require(path.join(root, 'dist', 'platform.js'));
const target = path.join(root, 'native', addonFile());
if (rebuild || !loads(target)) {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  // Copied beside it, then renamed over it: a process that still has the old file mapped
  // keeps its copy intact.
  const fresh = `${target}.${process.pid}.tmp`;
  fs.copyFileSync(cargoBuild(), fresh);
  fs.renameSync(fresh, target);
}
