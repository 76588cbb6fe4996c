#!/usr/bin/env bash
# The Go module over the C ABI: go vet, go test against the real collector (started by the
# tests themselves), a link check against an installed libtrulayer via pkg-config, and the Go
# quickstart shipping to the collector. Needs no Go module beyond the standard library.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# shellcheck source=bindings-c/tests/script-lib.sh
source bindings-c/tests/script-lib.sh
make_workdir
export GOTOOLCHAIN=local

echo "== cargo build -p trulayer-c; cargo build -p trulayer-collector -p trulayer-faults"
cargo build -q -p trulayer-c
cargo build -q -p trulayer-collector -p trulayer-faults

# go does not hash libtrulayer.a into its build cache keys; a define that names the library's
# hash makes a rebuilt library relink the package instead of reusing a cached binary.
CGO_CFLAGS="-g -O2 -DTRULAYER_LIB_SHA=$(sha256sum target/debug/libtrulayer.a | cut -c1-16)"
export CGO_CFLAGS

echo "== go vet + gofmt"
(cd bindings-c/go && go vet ./... && test -z "$(gofmt -l .)")
(cd examples/go && go vet ./... && test -z "$(gofmt -l .)")

echo "== go test -race (bindings-c/go)"
(cd bindings-c/go && TRULAYER_COLLECTOR_BIN=$ROOT/target/debug/trulayer-collector go test -race -count=1 -v ./...)

echo "== link against an installed libtrulayer (pkg-config)"
# go's build cache key covers CGO_LDFLAGS but not PKG_CONFIG_PATH nor what pkg-config prints:
# naming the prefix in CGO_LDFLAGS too keeps a cached link line from pointing at another
# prefix.
PREFIX=$ROOT/target/trulayer-c-prefix
make -s -C bindings-c install PREFIX="$PREFIX" PROFILE=debug >/dev/null
(cd bindings-c/go && PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig CGO_LDFLAGS="-L$PREFIX/lib" \
    go test -c -tags trulayer_pkgconfig -o "$WORK/pc.test")
LD_LIBRARY_PATH=$PREFIX/lib TRULAYER_COLLECTOR_BIN=$ROOT/target/debug/trulayer-collector \
    "$WORK/pc.test" -test.run 'TestNestedTrace' -test.count=1 >/dev/null

echo "== Go quickstart"
start_collector "$WORK" tl_quickstart=go-quickstart
out=$(cd examples/go && TRULAYER_ENDPOINT=$COLLECTOR_URL TRULAYER_API_KEY=tl_quickstart go run ./quickstart)
id=${out#sent trace }
detail=$(curl -sf -H "Authorization: Bearer tl_quickstart" "$COLLECTOR_URL/v1/traces/$id")
grep -q '"parent_span_id"' <<<"$detail" && grep -q '"name":"generate"' <<<"$detail" \
    || { echo "FAIL: quickstart trace $id not stored: $detail"; exit 1; }
echo "quickstart: $out (stored)"
echo "test-go: all Go checks passed"
