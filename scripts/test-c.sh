#!/usr/bin/env bash
# The C ABI's tests: header freshness, the C test program (against the real collector) linked
# against libtrulayer.so, with the fault runs (through the fault proxy, and the collector killed
# and restarted; TL_TEST_SERVERS), then under valgrind memcheck (without the fault runs: they
# would add ~40 s) and with AddressSanitizer (with them: ~20 s, mostly the plan's waits), the
# install layout with pkg-config, and the C quickstart. Run from the repo root.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# shellcheck source=bindings-c/tests/script-lib.sh
source bindings-c/tests/script-lib.sh
make_workdir

HEADER=bindings-c/include/trulayer.h
cp "$HEADER" "$WORK/trulayer.h.before" 2>/dev/null || : > "$WORK/trulayer.h.before"

echo "== cargo build -p trulayer-c; cargo build -p trulayer-collector -p trulayer-faults"
cargo build -q -p trulayer-c
cargo build -q -p trulayer-collector -p trulayer-faults

echo "== header is current"
if git ls-files --error-unmatch "$HEADER" >/dev/null 2>&1; then
    git diff --exit-code -- "$HEADER" || { echo "FAIL: $HEADER is stale; commit the regenerated file"; exit 1; }
else
    cmp "$WORK/trulayer.h.before" "$HEADER" || { echo "FAIL: $HEADER was regenerated (not committed yet)"; exit 1; }
fi

start_collector "$WORK" tl_test=c-tests
export TL_TEST_ENDPOINT=$COLLECTOR_URL TL_TEST_KEY=tl_test

LIB=$ROOT/target/debug
CFLAGS=(-std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -I"$ROOT/bindings-c/include")
SOURCES=(bindings-c/tests/*.c)
STATIC=("$LIB/libtrulayer.a" -lpthread -ldl -lm)

echo "== C tests and fault runs (shared library)"
gcc "${CFLAGS[@]}" "${SOURCES[@]}" -L"$LIB" -ltrulayer -Wl,-rpath,"$LIB" -lpthread -o "$WORK/test_shared"
TL_TEST_SCALE=4 TL_TEST_SERVERS=$LIB "$WORK/test_shared" 2>"$WORK/shared.err" || { cat "$WORK/shared.err"; exit 1; }

echo "== C tests under valgrind memcheck"
gcc "${CFLAGS[@]}" "${SOURCES[@]}" "${STATIC[@]}" -o "$WORK/test_static"
TL_TEST_SCALE=1 RUST_BACKTRACE=0 valgrind -q --error-exitcode=1 --leak-check=full \
    --errors-for-leak-kinds=definite --show-leak-kinds=definite "$WORK/test_static" 2>"$WORK/valgrind.err" \
    || { cat "$WORK/valgrind.err"; exit 1; }
grep -q "definitely lost\|Invalid " "$WORK/valgrind.err" && { cat "$WORK/valgrind.err"; exit 1; }

echo "== C tests and fault runs with AddressSanitizer"
gcc "${CFLAGS[@]}" -fsanitize=address -fno-omit-frame-pointer "${SOURCES[@]}" "${STATIC[@]}" -o "$WORK/test_asan"
TL_TEST_SCALE=2 TL_TEST_SERVERS=$LIB RUST_BACKTRACE=0 ASAN_OPTIONS=detect_leaks=1 "$WORK/test_asan" 2>"$WORK/asan.err" \
    || { cat "$WORK/asan.err"; exit 1; }

echo "== make install layout + pkg-config + C quickstart"
make -s -C bindings-c install PREFIX="$WORK/prefix" PROFILE=debug >/dev/null
test -f "$WORK/prefix/include/trulayer.h" -a -f "$WORK/prefix/lib/libtrulayer.so" -a -f "$WORK/prefix/lib/libtrulayer.a"
export PKG_CONFIG_PATH=$WORK/prefix/lib/pkgconfig
# shellcheck disable=SC2046
gcc -std=c11 -Wall -Werror examples/c/quickstart.c $(pkg-config --cflags --libs trulayer) \
    -Wl,-rpath,"$WORK/prefix/lib" -o "$WORK/quickstart"
# shellcheck disable=SC2046
gcc -std=c11 -Wall -Werror examples/c/quickstart.c $(pkg-config --cflags trulayer) \
    "$WORK/prefix/lib/libtrulayer.a" $(pkg-config --static --libs-only-l trulayer | sed 's/-ltrulayer//') \
    -o "$WORK/quickstart_static"
for bin in quickstart quickstart_static; do
    out=$(TRULAYER_ENDPOINT=$COLLECTOR_URL TRULAYER_API_KEY=tl_test "$WORK/$bin")
    id=${out#sent trace }
    detail=$(curl -sf -H "Authorization: Bearer tl_test" "$COLLECTOR_URL/v1/traces/$id")
    grep -q '"name":"generate"' <<<"$detail" || { echo "FAIL: $bin trace $id not stored: $detail"; exit 1; }
    echo "$bin: $out (stored)"
done
echo "test-c: all C checks passed"
