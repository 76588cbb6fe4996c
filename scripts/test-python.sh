#!/usr/bin/env bash
# The Python SDK's tests: builds the extension and the collector, then runs pytest over
# bindings-python/tests (unit, seed samples, provider integrations, end-to-end with the
# real collector). Sets up its own virtualenv at $ROOT/.venv-py. Run from anywhere.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-py"
PY="${PYTHON:-python3}"

cd "$ROOT"
if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet pytest "maturin>=1.5,<2" openai anthropic langchain-core "pydantic>=2"

# A debug build in place (maturin develop) shares target/ with cargo and keeps reruns fast;
# `pip install ./bindings-python` builds the same package as a release wheel.
(cd bindings-python && VIRTUAL_ENV="$VENV" PATH="$VENV/bin:$PATH" maturin develop --quiet)
cargo build --quiet -p trulayer-collector -p trulayer-faults

"$VENV/bin/python" -m pytest bindings-python/tests -q -p no:cacheprovider "$@"
