#!/usr/bin/env bash
# End-to-end check of the collector's web page: ingest a trace with nested spans, load
# `GET /?key=…&trace=…` in headless Chromium and check the span waterfall is drawn.
# Installs Debian's chromium when missing; skips (exit 0) only if it cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/.."

find_chromium() { command -v chromium || command -v chromium-browser || true; }
CHROMIUM=$(find_chromium)
if [ -z "$CHROMIUM" ]; then
  echo "test-collector-browser: installing chromium"
  SUDO=""; [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && SUDO="sudo"
  ($SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null) || true
  CHROMIUM=$(find_chromium)
fi
if [ -z "$CHROMIUM" ]; then
  echo "test-collector-browser: SKIPPED - chromium is not installed and could not be installed with apt-get"
  exit 0
fi

cargo build -q -p trulayer-collector
TMP=$(mktemp -d)
COLLECTOR_PID=""
cleanup() {
  [ -n "$COLLECTOR_PID" ] && kill "$COLLECTOR_PID" 2>/dev/null && wait "$COLLECTOR_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

KEY=tl_browser_test
target/debug/trulayer-collector --addr 127.0.0.1:0 --db "$TMP/t.db" --key "$KEY=browser" >"$TMP/out" 2>"$TMP/err" &
COLLECTOR_PID=$!
for _ in $(seq 100); do grep -q "listening on" "$TMP/out" 2>/dev/null && break; sleep 0.1; done
URL=$(head -1 "$TMP/out" | sed -n 's/^trulayer-collector listening on //p')
[ -n "$URL" ] || { echo "collector did not start:"; cat "$TMP/err"; exit 1; }

TRACE=01900000-0000-7000-8000-00000000b001
ROOT=01900000-0000-7000-8000-00000000b002
LLM=01900000-0000-7000-8000-00000000b003
TOOL=01900000-0000-7000-8000-00000000b004
curl -sf -o /dev/null -X POST "$URL/v1/ingest/batch" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d @- <<JSON
{"traces":[{"id":"$TRACE","name":"browser-check","started_at":"2024-01-01T00:00:00Z","ended_at":"2024-01-01T00:00:02Z",
 "spans":[
  {"id":"$ROOT","name":"agent-root","type":"agent","start_time":"2024-01-01T00:00:00Z","end_time":"2024-01-01T00:00:02Z"},
  {"id":"$LLM","parent_span_id":"$ROOT","name":"llm-child","type":"llm","model":"gpt-4o","prompt_tokens":120,"completion_tokens":30,
   "start_time":"2024-01-01T00:00:00.2Z","end_time":"2024-01-01T00:00:01.2Z"},
  {"id":"$TOOL","parent_span_id":"$LLM","name":"tool-grandchild","type":"tool","error":"ToolError: lookup failed",
   "start_time":"2024-01-01T00:00:01.3Z","end_time":"2024-01-01T00:00:01.9Z"}]}]}
JSON

dump() {
  "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
    --disable-sync --no-first-run --user-data-dir="$TMP/profile" --virtual-time-budget=5000 --dump-dom "$1" 2>/dev/null
}
fail() { echo "test-collector-browser: FAILED - $1"; exit 1; }

dump "$URL/?key=$KEY&trace=$TRACE" >"$TMP/trace.html"
for id in "$ROOT" "$LLM" "$TOOL"; do
  grep -q "data-span-id=\"$id\"" "$TMP/trace.html" || fail "span $id not drawn"
done
grep -q 'data-span-id="'"$TOOL"'" data-depth="2"' "$TMP/trace.html" || fail "grandchild span not nested at depth 2"
grep -q 'class="bar llm"' "$TMP/trace.html" || fail "no bar for the llm span"
grep -q 'class="bar tool error"' "$TMP/trace.html" || fail "failed span not marked as an error"
grep -q "gpt-4o · 120+30 tok" "$TMP/trace.html" || fail "model and tokens of the llm span not shown"
grep -q "ToolError: lookup failed" "$TMP/trace.html" || fail "span error text not shown"
# A missing optional section must leave nothing behind (not the text "null").
grep -Eq '>null<|</div>null|null<h3' "$TMP/trace.html" && fail "stray 'null' text drawn on the trace page"

dump "$URL/?key=$KEY" >"$TMP/list.html"
grep -q "data-trace-id=\"$TRACE\"" "$TMP/list.html" || fail "trace missing from the list page"
echo "test-collector-browser: ok (the page draws the list and the nested span waterfall)"
