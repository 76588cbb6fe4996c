#!/usr/bin/env bash
# `make bench`: runs every benchmark, then prints one table (scripts/bench_table.py) of the
# BENCH lines they emit, with each row's ratio to the TruLayer row of its language. Each
# benchmark's own full output is kept in target/bench-logs/.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
LOGS="$ROOT/target/bench-logs"
mkdir -p "$LOGS"

run() {
    local name="$1"; shift
    echo "==> $name: $*"
    if ! "$@" >"$LOGS/$name.log" 2>&1; then
        echo "    FAILED (see $LOGS/$name.log)"
        return 1
    fi
}

status=0
run core cargo bench -q -p trulayer-core --bench core || status=1
run c bench/c/run.sh || status=1
[[ -x .venv-py/bin/python ]] || scripts/test-python.sh -q -k nothing >/dev/null 2>&1 || true
run python .venv-py/bin/python bench/python/run.py || status=1
# The tests leave a debug addon behind: measure a release one.
run node bash -c "(cd bindings-node && node scripts/install.js --rebuild) && cd bench/node \
    && npm ci --no-audit --no-fund --loglevel=error && node bench.mjs" || status=1
run collector cargo run -q --release -p trulayer-collector --example bench_ingest || status=1

echo
cat "$LOGS"/*.log | python3 scripts/bench_table.py || status=1
echo
grep -h -A3 -i "traces/s" "$LOGS/collector.log" | head -8
exit $status
