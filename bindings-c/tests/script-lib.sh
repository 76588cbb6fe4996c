# Sourced by scripts/test-c.sh and scripts/test-go.sh (from the repo root).

# Sets WORK to a fresh temporary directory; on exit it is removed and the collector (if one
# was started) is stopped.
make_workdir() {
    WORK=$(mktemp -d)
    COLLECTOR_PID=
    trap 'cleanup_workdir' EXIT
}

cleanup_workdir() {
    if [ -n "$COLLECTOR_PID" ]; then kill "$COLLECTOR_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}

# Starts the real collector on a free loopback port: start_collector WORKDIR KEY=PROJECT.
# Sets COLLECTOR_URL and COLLECTOR_PID. Needs target/debug/trulayer-collector.
start_collector() {
    local work=$1 key=$2
    target/debug/trulayer-collector --addr 127.0.0.1:0 --db "$work/collector.db" --key "$key" \
        >"$work/collector.out" 2>"$work/collector.err" &
    COLLECTOR_PID=$!
    local line=
    for _ in $(seq 100); do
        line=$(head -n1 "$work/collector.out" 2>/dev/null || true)
        [ -n "$line" ] && break
        kill -0 "$COLLECTOR_PID" 2>/dev/null || break
        sleep 0.1
    done
    case "$line" in
    "trulayer-collector listening on http://127.0.0.1:"*) COLLECTOR_URL=${line#trulayer-collector listening on } ;;
    *)
        echo "FAIL: the collector did not start: ${line:-no output}" >&2
        cat "$work/collector.err" >&2
        return 1
        ;;
    esac
    echo "collector at $COLLECTOR_URL"
}
