package trulayer

// #include <stdlib.h>
// #include "shim.h"
import "C"

import (
	"encoding/json"
	"unsafe"
)

// Level is an event's severity.
type Level string

const (
	LevelDebug Level = "debug"
	LevelInfo  Level = "info"
	LevelWarn  Level = "warn"
	LevelError Level = "error"
)

// eventArgs are an event's C arguments, valid for the duration of one call.
type eventArgs struct {
	level       *C.char
	message     *C.char
	messageLen  C.size_t
	metadata    *C.char // NULL: no metadata
	metadataLen C.size_t
	err         **C.char
}

// withEventArgs converts an event for tl_trace_event / tl_span_event and runs call with it.
func withEventArgs(level Level, message string, metadata map[string]any, call func(eventArgs) C.tl_status) error {
	a := eventArgs{level: cString(string(level))}
	defer C.free(unsafe.Pointer(a.level))
	a.message, a.messageLen = utf8Arg(message)
	if metadata != nil {
		b, err := json.Marshal(metadata)
		if err != nil {
			return err
		}
		a.metadata, a.metadataLen = utf8Arg(string(b))
	}
	var msg *C.char
	a.err = &msg
	return check(call(a), msg)
}
