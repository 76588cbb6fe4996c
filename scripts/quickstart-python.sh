#!/usr/bin/env bash
# The Python part of `make quickstart`: installs the SDK the way a user does
# (`pip install ./bindings-python` into a fresh virtualenv) and runs its quickstart.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="$ROOT/.venv-quickstart"
[[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "$ROOT/bindings-python"
"$VENV/bin/python" "$ROOT/examples/python/quickstart.py"
