//go:build !trulayer_pkgconfig

package trulayer

// Links libtrulayer.a from this repository's target/debug statically (plus what the Rust
// runtime needs), so `go test` and binaries need no LD_LIBRARY_PATH. Build it first:
// cargo build -p trulayer-c.

// #cgo LDFLAGS: ${SRCDIR}/../../target/debug/libtrulayer.a -lm -ldl -lpthread
import "C"

// Go's build cache does not hash libtrulayer.a: after rebuilding it, make sure the package is
// relinked (scripts/test-go.sh sets CGO_CFLAGS to include the library's hash; `go clean
// -cache` or `go build -a` also work).
