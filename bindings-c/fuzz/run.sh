#!/usr/bin/env bash
# Fuzzes the metadata-JSON and string entry points of the C ABI for SECONDS (default 20).
# Not part of scripts/test-c.sh: the first build of the sanitized engine takes ~7 minutes on
# 2 cores. Needs cargo-fuzz (installed here if missing) and, on a stable toolchain,
# RUSTC_BOOTSTRAP=1 for the sanitizer flags.
set -euo pipefail
cd "$(dirname "$0")"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
mkdir -p corpus/entry_points
RUSTC_BOOTSTRAP=1 cargo fuzz run entry_points corpus/entry_points seeds/entry_points -- \
    -max_total_time="${1:-20}"
