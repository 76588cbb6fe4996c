#!/usr/bin/env bash
# The README's main command: build, start the local collector, run every language's
# quickstart against it, and show the traces it received.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

KEY="tl_quickstart_$(date +%s)"
WORK="$(mktemp -d)"
COLLECTOR_PID=""
cleanup() {
    [[ -n "$COLLECTOR_PID" ]] && kill "$COLLECTOR_PID" 2>/dev/null && wait "$COLLECTOR_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "==> building the collector and the Rust quickstart (release)"
cargo build --release -p trulayer-collector
cargo build --release -p trulayer-core --example quickstart

echo "==> starting the local collector"
target/release/trulayer-collector --addr 127.0.0.1:0 --db "$WORK/trulayer.db" --key "$KEY=quickstart" >"$WORK/collector.log" 2>&1 &
COLLECTOR_PID=$!
for _ in $(seq 1 100); do
    grep -q "listening on" "$WORK/collector.log" 2>/dev/null && break
    sleep 0.1
done
ENDPOINT="$(sed -n 's/^trulayer-collector listening on //p' "$WORK/collector.log" | head -1)"
[[ -n "$ENDPOINT" ]] || { echo "the collector did not start:"; cat "$WORK/collector.log"; exit 1; }
echo "    $ENDPOINT (project 'quickstart')"

export TRULAYER_ENDPOINT="$ENDPOINT" TRULAYER_API_KEY="$KEY" TRULAYER_PROJECT="quickstart"

echo "==> Rust quickstart"
target/release/examples/quickstart

if [[ -x scripts/quickstart-python.sh ]]; then
    echo "==> Python quickstart"
    scripts/quickstart-python.sh
fi
if [[ -x scripts/quickstart-node.sh ]]; then
    echo "==> Node quickstart"
    scripts/quickstart-node.sh
fi
if [[ -x scripts/quickstart-c.sh ]]; then
    echo "==> C and Go quickstarts"
    scripts/quickstart-c.sh
fi

echo "==> what the collector received"
python3 scripts/show_traces.py "$ENDPOINT" "$KEY"
