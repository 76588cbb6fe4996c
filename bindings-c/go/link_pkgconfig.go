//go:build trulayer_pkgconfig

package trulayer

// Links an installed libtrulayer found by pkg-config (make -C bindings-c install PREFIX=...;
// set PKG_CONFIG_PATH=PREFIX/lib/pkgconfig). The shared library is picked, so the program
// needs PREFIX/lib on its runtime search path (rpath or LD_LIBRARY_PATH). Go caches the
// flags pkg-config printed without PKG_CONFIG_PATH in the key: after moving the install,
// change CGO_LDFLAGS (e.g. -LPREFIX/lib) or run go clean -cache.

// #cgo pkg-config: trulayer
import "C"
