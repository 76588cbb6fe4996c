package trulayer_test

// The setters the conformance vectors exercise least, and their failures, checked on the wire
// JSON a local-mode client keeps.

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	trulayer "github.com/trulayer/trulayer-sdk/bindings-c/go"
)

func newLocalClient(t *testing.T) *trulayer.Client {
	t.Helper()
	c, err := trulayer.NewClient(trulayer.Options{Mode: "local", Project: "go-local"})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Shutdown(context.Background()) })
	return c
}

// onlyTrace returns the one trace c kept, decoded.
func onlyTrace(t *testing.T, c *trulayer.Client) map[string]any {
	t.Helper()
	kept, err := c.LocalTraces()
	if err != nil || len(kept) != 1 {
		t.Fatalf("LocalTraces: %v, %d traces", err, len(kept))
	}
	var doc map[string]any
	must(t, json.Unmarshal([]byte(kept[0]), &doc))
	return doc
}

func wantStatus(t *testing.T, err error, status trulayer.Status, needle string) {
	t.Helper()
	var e *trulayer.Error
	if !errors.As(err, &e) || e.Status != status || !strings.Contains(e.Message, needle) {
		t.Fatalf("got %v, want status %d with %q", err, status, needle)
	}
}

func TestTraceFieldsReachTheWire(t *testing.T) {
	c := newLocalClient(t)
	ctx, trace := c.StartTrace(context.Background(), "go-fields")
	must(t, trace.SetExternalID("req-9"))
	must(t, trace.SetModel("gpt-4o-mini"))
	must(t, trace.SetCost(0.25))
	must(t, trace.SetTag("tier", "pro"))
	must(t, trace.AddTag("beta"))
	must(t, trace.SetInputJSON(json.RawMessage(`{"b":1,"a":"<x>"}`)))
	must(t, trace.SetOutputJSON(json.RawMessage(`"plain text"`)))
	must(t, trace.Event(trulayer.LevelWarn, "slow", map[string]any{"ms": 1200}))
	_, span := trulayer.StartSpan(ctx, "step", trulayer.SpanTool)
	must(t, span.SetInputJSON(json.RawMessage(`[1, 2.5, null]`)))
	must(t, span.Event(trulayer.LevelDebug, "inside", nil))
	must(t, span.End())
	must(t, trace.SetError("", "handled without a type"))
	must(t, trace.End())

	doc := onlyTrace(t, c)
	if doc["external_id"] != "req-9" || doc["model"] != "gpt-4o-mini" || doc["cost"] != 0.25 {
		t.Fatalf("trace fields: %v", doc)
	}
	if tags, _ := doc["tags"].(map[string]any); tags["tier"] != "pro" || tags["beta"] != "" {
		t.Fatalf("tags: %v", doc["tags"])
	}
	if doc["input"] != `{"a":"<x>","b":1}` || doc["output"] != "plain text" || doc["error"] != "handled without a type" {
		t.Fatalf("payloads: input %v output %v error %v", doc["input"], doc["output"], doc["error"])
	}
	spans := doc["spans"].([]any)
	if got := spans[0].(map[string]any)["input"]; got != "[1,2.5,null]" {
		t.Fatalf("span input %v", got)
	}
	events := doc["events"].([]any)
	if len(events) != 2 {
		t.Fatalf("events: %v", events)
	}
	slow, inside := events[0].(map[string]any), events[1].(map[string]any)
	if slow["level"] != "warn" || slow["message"] != "slow" || slow["span_id"] != nil ||
		slow["metadata"].(map[string]any)["ms"] != 1200.0 {
		t.Fatalf("trace event: %v", slow)
	}
	if inside["level"] != "debug" || inside["span_id"] != span.ID() {
		t.Fatalf("span event: %v", inside)
	}
}

func TestBadPayloadsAndEventsAreErrors(t *testing.T) {
	c := newLocalClient(t)
	ctx, trace := c.StartTrace(context.Background(), "go-bad")
	_, span := trulayer.StartSpan(ctx, "step", trulayer.SpanLLM)
	wantStatus(t, trace.SetInputJSON(json.RawMessage(`{"a":`)), trulayer.StatusInvalidJSON, "input is not valid JSON")
	wantStatus(t, span.SetOutputJSON(nil), trulayer.StatusInvalidJSON, "output is not valid JSON")
	wantStatus(t, trace.Event("loud", "m", nil), trulayer.StatusInvalidArgument, "event level must be")
	wantStatus(t, trace.SetCost(-1), trulayer.StatusInvalidArgument, "finite number >= 0")
	must(t, span.End())
	must(t, trace.End())
	if err := span.Event(trulayer.LevelInfo, "late", nil); !errors.Is(err, trulayer.ErrClosed) {
		t.Fatalf("event on an ended span: %v", err)
	}
	if err := trace.SetTag("k", "v"); !errors.Is(err, trulayer.ErrClosed) {
		t.Fatalf("tag on an ended trace: %v", err)
	}
	if doc := onlyTrace(t, c); doc["input"] != nil || doc["cost"] != nil || doc["events"] != nil {
		t.Fatalf("a rejected value was stored: %v", doc)
	}
}
