#!/usr/bin/env bash
# The Node/TypeScript SDK's test suites, from a fresh clone (called by `make test-node`):
# builds the collector the end-to-end suites start, runs the binding crate's unit tests, installs the package's npm dependencies
# (its install script compiles the TypeScript facade and the napi addon, debug profile),
# then runs every node:test suite in bindings-node/test.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v node >/dev/null || { echo "test-node: Node.js 18+ is required" >&2; exit 1; }
cargo build -p trulayer-collector -p trulayer-faults
cargo test -p trulayer-node

cd bindings-node
TRULAYER_NODE_PROFILE=debug TRULAYER_NODE_REBUILD=1 npm ci --no-audit --no-fund
# Regenerates native/binding.d.ts with the napi CLI (fetched by npx) for the snapshot test.
npm run types
npm test
