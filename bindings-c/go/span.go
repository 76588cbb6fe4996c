package trulayer

// #include <stdlib.h>
// #include "shim.h"
import "C"

import (
	"context"
	"encoding/json"
	"unsafe"
)

// SpanType labels a span; any other string is stored as given.
type SpanType string

const (
	SpanLLM       SpanType = "llm"
	SpanRetrieval SpanType = "retrieval"
	SpanTool      SpanType = "tool"
	SpanAgent     SpanType = "agent"
	SpanCustom    SpanType = "custom"
)

// Span is a timed step of a trace. Methods are safe for concurrent use; on a nil *Span they
// do nothing and return ErrNoTrace.
type Span struct {
	h  handle
	id string
}

// StartSpan starts a span of the trace in ctx, nested under the span in ctx if there is one,
// and returns a context carrying the new span. Without a trace in ctx (or once the trace or
// parent has ended) the span is nil, so `defer span.End()` stays safe.
func StartSpan(ctx context.Context, name string, spanType SpanType) (context.Context, *Span) {
	cur := fromContext(ctx)
	if cur.trace == nil {
		return ctx, nil
	}
	var parent handle
	if cur.span != nil {
		parent = cur.span.h
	}
	cname, ctype := cString(name), cString(string(spanType))
	defer C.free(unsafe.Pointer(cname))
	defer C.free(unsafe.Pointer(ctype))
	var h handle
	var id [C.TL_ID_BUFFER_LEN]C.char
	var msg *C.char
	if check(C.tl_go_span_start(cur.trace.h, parent, cname, ctype, &h, &id[0], &msg), msg) != nil {
		return ctx, nil
	}
	s := &Span{h: h, id: C.GoString(&id[0])}
	return context.WithValue(ctx, ctxKey{}, current{trace: cur.trace, span: s}), s
}

// ID is the span id (a UUID), "" for a nil span.
func (s *Span) ID() string {
	if s == nil {
		return ""
	}
	return s.id
}

func (s *Span) set(f field, v string) error {
	if s == nil {
		return ErrNoTrace
	}
	p, n := utf8Arg(v)
	var msg *C.char
	return check(C.tl_go_span_set(s.h, f, p, n, &msg), msg)
}

func (s *Span) SetInput(v string) error  { return s.set(fieldInput, v) }
func (s *Span) SetOutput(v string) error { return s.set(fieldOutput, v) }
func (s *Span) SetModel(v string) error  { return s.set(fieldModel, v) }

// SetInputJSON sets the input from JSON text holding any value (see Trace.SetInputJSON).
func (s *Span) SetInputJSON(v json.RawMessage) error { return s.set(fieldInputJSON, string(v)) }

// SetOutputJSON sets the output from JSON text, like SetInputJSON.
func (s *Span) SetOutputJSON(v json.RawMessage) error { return s.set(fieldOutputJSON, string(v)) }

// Event records a timestamped event on this span (sent with its trace); metadata may be nil.
// ErrClosed once the span or its trace has ended.
func (s *Span) Event(level Level, message string, metadata map[string]any) error {
	if s == nil {
		return ErrNoTrace
	}
	return withEventArgs(level, message, metadata, func(a eventArgs) C.tl_status {
		return C.tl_go_span_event(s.h, a.level, a.message, a.messageLen, a.metadata, a.metadataLen, a.err)
	})
}

// SetMetadata merges m (encoded with encoding/json) into the span metadata.
func (s *Span) SetMetadata(m map[string]any) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return s.set(fieldMetadata, string(b))
}

// SetTokens records prompt and completion token counts (negative counts are an error).
func (s *Span) SetTokens(prompt, completion int64) error {
	if s == nil {
		return ErrNoTrace
	}
	var msg *C.char
	return check(C.tl_go_span_tokens(s.h, C.int64_t(prompt), C.int64_t(completion), &msg), msg)
}

// SetCost records the cost in USD.
func (s *Span) SetCost(usd float64) error {
	if s == nil {
		return ErrNoTrace
	}
	var msg *C.char
	return check(C.tl_go_span_cost(s.h, C.double(usd), &msg), msg)
}

// SetError records a handled failure of this span: its type (may be "") and message.
func (s *Span) SetError(kind, message string) error {
	if s == nil {
		return ErrNoTrace
	}
	return withErrorArgs(kind, message, func(k, m *C.char, msg **C.char) C.tl_status {
		return C.tl_go_span_error(s.h, k, m, msg)
	})
}

// End closes the span and adds it to its trace. A second End returns ErrClosed; ending a
// span after its trace returns ErrClosed and counts it in Stats.LateSpans.
func (s *Span) End() error {
	if s == nil {
		return ErrNoTrace
	}
	var msg *C.char
	return check(C.tl_go_span_end(s.h, &msg), msg)
}
