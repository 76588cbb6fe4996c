#!/usr/bin/env bash
# The C and Go part of `make quickstart`: installs libtrulayer into a prefix the way a C user
# does (headers, libraries, pkg-config), builds the C quickstart against it, then runs the Go
# quickstart (cgo, linking libtrulayer.a from the build tree).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PREFIX="$ROOT/target/trulayer-c-prefix"
make -s -C "$ROOT/bindings-c" install PREFIX="$PREFIX" PROFILE=debug >/dev/null
export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
gcc -std=c11 -O2 "$ROOT/examples/c/quickstart.c" $(pkg-config --cflags --libs trulayer) \
    -Wl,-rpath,"$PREFIX/lib" -o "$PREFIX/quickstart"
"$PREFIX/quickstart"
(cd "$ROOT/examples/go" && go run ./quickstart)
