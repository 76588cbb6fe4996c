#!/usr/bin/env bash
# Builds libtrulayer with the bench profile (release settings) and runs bench.c. Usage:
# bench/c/run.sh [traces_per_thread]
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build -q -p trulayer-c --profile bench
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
gcc -O2 -std=c11 -Wall -Werror -Ibindings-c/include bench/c/bench.c target/release/libtrulayer.a \
    -lpthread -ldl -lm -o "$out/bench"
"$out/bench" "$@"
