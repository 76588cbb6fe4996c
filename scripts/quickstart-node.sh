#!/usr/bin/env bash
# The Node part of `make quickstart`: installs @trulayer/sdk into an empty app folder the way a
# user does (`npm install <checkout>/bindings-node`, which builds the addon) and runs the
# quickstart there.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
APP="$(mktemp -d)"
trap 'rm -rf "$APP"' EXIT
cd "$APP"
npm init -y >/dev/null
npm install --no-audit --no-fund --loglevel=error "$ROOT/bindings-node" >/dev/null
cp "$ROOT/examples/node/quickstart.mjs" .
node quickstart.mjs
