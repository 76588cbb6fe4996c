package trulayer

// Linking: see link_repo.go (the default: the repository's target/debug/libtrulayer.a,
// static) and link_pkgconfig.go (`-tags trulayer_pkgconfig`: an installed copy).
//
// Handles cross as uintptr_t, never as Go pointers: libtrulayer's handles are registry
// tokens, not addresses, and Go must not treat them as pointers. The C wrappers in shim.c copy
// tl_last_error() inside the same C call, because a goroutine may change OS threads between
// two cgo calls and the message is thread-local.

/*
#cgo CFLAGS: -I${SRCDIR}/../include
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"strings"
	"unicode/utf8"
	"unsafe"
)

type handle = C.tl_h

// Which string field a setter writes (the enum in shim.h).
type field = C.int

const (
	fieldInput    field = C.TL_GO_INPUT
	fieldOutput   field = C.TL_GO_OUTPUT
	fieldSession  field = C.TL_GO_SESSION
	fieldUser     field = C.TL_GO_USER
	fieldTag      field = C.TL_GO_TAG
	fieldMetadata field = C.TL_GO_METADATA
	fieldModel    field = C.TL_GO_MODEL
	// The payload is JSON text, encoded by the engine like every SDK's native values.
	fieldInputJSON  field = C.TL_GO_INPUT_JSON
	fieldOutputJSON field = C.TL_GO_OUTPUT_JSON
	fieldExternalID field = C.TL_GO_EXTERNAL_ID
)

// check turns a status and the message copied by the wrapper into an error.
func check(status C.tl_status, msg *C.char) error {
	if status == C.TL_OK {
		return nil
	}
	e := &Error{Status: Status(status)}
	if msg != nil {
		e.Message = C.GoString(msg)
		C.free(unsafe.Pointer(msg))
	}
	return e
}

// utf8Arg passes a Go string as (pointer, length) without copying. Go strings may hold
// invalid UTF-8, which libtrulayer rejects: such bytes are replaced by U+FFFD first (a
// documented coercion, so a setter never fails on encoding).
func utf8Arg(s string) (*C.char, C.size_t) {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return (*C.char)(unsafe.Pointer(unsafe.StringData(s))), C.size_t(len(s))
}

// cString copies a NUL-terminated argument; the caller frees it. Invalid UTF-8 and NUL bytes
// are replaced by U+FFFD (C strings cannot carry NUL).
func cString(s string) *C.char {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return C.CString(strings.ReplaceAll(s, "\x00", "\uFFFD"))
}
