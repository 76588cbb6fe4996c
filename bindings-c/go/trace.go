package trulayer

// #include <stdlib.h>
// #include "shim.h"
import "C"

import (
	"context"
	"encoding/json"
	"unsafe"
)

type ctxKey struct{}

// current is what a context carries: the trace and the innermost open span (if any).
type current struct {
	trace *Trace
	span  *Span
}

func fromContext(ctx context.Context) current {
	c, _ := ctx.Value(ctxKey{}).(current)
	return c
}

// TraceFromContext returns the trace ctx carries, or nil.
func TraceFromContext(ctx context.Context) *Trace { return fromContext(ctx).trace }

// SpanFromContext returns the innermost span ctx carries, or nil.
func SpanFromContext(ctx context.Context) *Span { return fromContext(ctx).span }

// Trace is one request through the application. End it (usually with defer) to ship it.
// Methods are safe for concurrent use; on a nil *Trace they do nothing and return ErrNoTrace.
type Trace struct {
	h  handle
	id string
}

// StartTrace starts a trace and returns a context carrying it, for StartSpan. On failure
// (client shut down) the trace is nil, and the error is reported by its methods.
func (c *Client) StartTrace(ctx context.Context, name string) (context.Context, *Trace) {
	cname := cString(name)
	defer C.free(unsafe.Pointer(cname))
	var h handle
	var id [C.TL_ID_BUFFER_LEN]C.char
	var msg *C.char
	if check(C.tl_go_trace_start(c.h, cname, &h, &id[0], &msg), msg) != nil {
		return ctx, nil
	}
	t := &Trace{h: h, id: C.GoString(&id[0])}
	return context.WithValue(ctx, ctxKey{}, current{trace: t}), t
}

// ID is the trace id (a UUID), "" for a nil trace.
func (t *Trace) ID() string {
	if t == nil {
		return ""
	}
	return t.id
}

func (t *Trace) set(f field, s string) error {
	if t == nil {
		return ErrNoTrace
	}
	p, n := utf8Arg(s)
	var msg *C.char
	return check(C.tl_go_trace_set(t.h, f, p, n, &msg), msg)
}

func (t *Trace) SetInput(s string) error      { return t.set(fieldInput, s) }
func (t *Trace) SetOutput(s string) error     { return t.set(fieldOutput, s) }
func (t *Trace) SetSessionID(s string) error  { return t.set(fieldSession, s) }
func (t *Trace) SetUserID(s string) error     { return t.set(fieldUser, s) }
func (t *Trace) AddTag(s string) error        { return t.set(fieldTag, s) }
func (t *Trace) SetExternalID(s string) error { return t.set(fieldExternalID, s) }
func (t *Trace) SetModel(s string) error      { return t.set(fieldModel, s) }

// SetInputJSON sets the input from JSON text holding any value: a JSON string is sent as that
// string, anything else as compact JSON with sorted keys (what every SDK sends for it).
func (t *Trace) SetInputJSON(v json.RawMessage) error { return t.set(fieldInputJSON, string(v)) }

// SetOutputJSON sets the output from JSON text, like SetInputJSON.
func (t *Trace) SetOutputJSON(v json.RawMessage) error { return t.set(fieldOutputJSON, string(v)) }

// SetTag sets the key/value tag key; plain tags from AddTag join the map with value "".
func (t *Trace) SetTag(key, value string) error {
	if t == nil {
		return ErrNoTrace
	}
	k, kn := utf8Arg(key)
	v, vn := utf8Arg(value)
	var msg *C.char
	return check(C.tl_go_trace_tag(t.h, k, kn, v, vn, &msg), msg)
}

// SetCost records the trace's total cost in USD (negative or non-finite is an error).
func (t *Trace) SetCost(usd float64) error {
	if t == nil {
		return ErrNoTrace
	}
	var msg *C.char
	return check(C.tl_go_trace_cost(t.h, C.double(usd), &msg), msg)
}

// Event records a timestamped event on the trace; metadata may be nil.
func (t *Trace) Event(level Level, message string, metadata map[string]any) error {
	if t == nil {
		return ErrNoTrace
	}
	return withEventArgs(level, message, metadata, func(a eventArgs) C.tl_status {
		return C.tl_go_trace_event(t.h, a.level, a.message, a.messageLen, a.metadata, a.metadataLen, a.err)
	})
}

// SetMetadata merges m (encoded with encoding/json) into the trace metadata.
func (t *Trace) SetMetadata(m map[string]any) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return t.set(fieldMetadata, string(b))
}

// SetError records a handled failure: its type (may be "") and message.
func (t *Trace) SetError(kind, message string) error {
	if t == nil {
		return ErrNoTrace
	}
	return withErrorArgs(kind, message, func(k, m *C.char, msg **C.char) C.tl_status {
		return C.tl_go_trace_error(t.h, k, m, msg)
	})
}

// End ships the trace with every span that ended before it. A second End returns ErrClosed.
func (t *Trace) End() error {
	if t == nil {
		return ErrNoTrace
	}
	var msg *C.char
	return check(C.tl_go_trace_end(t.h, &msg), msg)
}

func withErrorArgs(kind, message string, call func(k, m *C.char, msg **C.char) C.tl_status) error {
	var k *C.char
	if kind != "" {
		k = cString(kind)
		defer C.free(unsafe.Pointer(k))
	}
	m := cString(message)
	defer C.free(unsafe.Pointer(m))
	var msg *C.char
	return check(call(k, m, &msg), msg)
}
