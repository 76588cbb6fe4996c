#!/usr/bin/env bash
# `make bench`: runs every benchmark, then prints one table of the lines they emit in the form
#   BENCH|language|implementation|µs per trace on the calling thread|process CPU µs per trace
# with each row's ratio to the TruLayer row of its language (how many times more it costs).
# Each benchmark's own full output is kept in target/bench-logs/.
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
run node bash -c "cd bench/node && npm ci --no-audit --no-fund --loglevel=error && node bench.mjs 20000" || status=1
run collector cargo run -q --release -p trulayer-collector --example bench_ingest || status=1

cat "$LOGS"/*.log | grep '^BENCH|' | python3 -c '
import sys
rows = [line.rstrip("\n").split("|")[1:] for line in sys.stdin]
print()
print(f"{\"language\":<8} {\"implementation\":<46} {\"µs/trace\":>9} {\"x ours\":>7} {\"CPU µs/trace\":>13} {\"x ours\":>7}")
for lang in dict.fromkeys(r[0] for r in rows):
    mine = [r for r in rows if r[0] == lang]
    ref = next((r for r in mine if r[1].startswith(("trulayer", "libtrulayer", "@trulayer"))), mine[0])
    def ratio(i, r):
        try:
            return f"{float(r[i]) / float(ref[i]):.1f}"
        except (ValueError, ZeroDivisionError):
            return ""
    for r in mine:
        print(f"{lang:<8} {r[1]:<46} {r[2]:>9} {ratio(2, r):>7} {r[3]:>13} {ratio(3, r):>7}")
'
echo
grep -h -A3 -i "traces/s" "$LOGS/collector.log" | head -8
exit $status
