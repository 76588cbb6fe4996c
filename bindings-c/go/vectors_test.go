package trulayer_test

// Replays the shared conformance vectors (tests/vectors/, rules in its README) through the
// public Go API in local mode: the wire JSON must equal, byte for byte after normalizing ids
// and clocks, what every other binding produces.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	trulayer "github.com/trulayer/trulayer-sdk/bindings-c/go"
)

var vectorDir = filepath.Join("..", "..", "tests", "vectors")

type vectorError struct {
	Type    *string `json:"type"`
	Message string  `json:"message"`
}

// vectorFields are what a trace and a span can both set. Values stay raw JSON so numbers
// like 1.0 reach the engine exactly as written in the case.
type vectorFields struct {
	Input    json.RawMessage            `json:"input"`
	Output   json.RawMessage            `json:"output"`
	Model    *string                    `json:"model"`
	Cost     *float64                   `json:"cost"`
	Error    *vectorError               `json:"error"`
	Metadata map[string]json.RawMessage `json:"metadata"`
}

type vectorSpan struct {
	vectorFields
	Name             string `json:"name"`
	Type             string `json:"type"`
	Parent           *int   `json:"parent"`
	PromptTokens     *int64 `json:"prompt_tokens"`
	CompletionTokens *int64 `json:"completion_tokens"`
}

type vectorEvent struct {
	Level    string                     `json:"level"`
	Message  string                     `json:"message"`
	Span     *int                       `json:"span"`
	Metadata map[string]json.RawMessage `json:"metadata"`
}

type vectorTrace struct {
	vectorFields
	Name       string            `json:"name"`
	SessionID  *string           `json:"session_id"`
	UserID     *string           `json:"user_id"`
	ExternalID *string           `json:"external_id"`
	Tags       []string          `json:"tags"`
	TagMap     map[string]string `json:"tag_map"`
	Spans      []vectorSpan      `json:"spans"`
	Events     []vectorEvent     `json:"events"`
}

type vectorCase struct {
	Options  map[string]string `json:"options"`
	Trace    vectorTrace       `json:"trace"`
	Expected *string           `json:"expected"`
}

func vectorFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(vectorDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestVectorsAreThere(t *testing.T) {
	if files := vectorFiles(t); len(files) < 10 {
		t.Fatalf("want at least 10 conformance vectors in %s, found %d: %v", vectorDir, len(files), files)
	}
}

func TestVectorsProduceTheSharedWireJSON(t *testing.T) {
	for _, path := range vectorFiles(t) {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".json"), func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var c vectorCase
			if err := json.Unmarshal(raw, &c); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			wire, ids := replayVector(t, c)
			var got *string
			if wire != nil {
				n := normalizeWire(*wire, ids)
				got = &n
			}
			if (got == nil) != (c.Expected == nil) || (got != nil && *got != *c.Expected) {
				t.Fatalf("wire JSON differs\n want %s\n got  %s", show(c.Expected), show(got))
			}
		})
	}
}

func show(s *string) string {
	if s == nil {
		return "no trace kept"
	}
	return *s
}

// setter is what a *Trace and a *Span have in common for the fields both carry.
type setter interface {
	SetInputJSON(json.RawMessage) error
	SetOutputJSON(json.RawMessage) error
	SetModel(string) error
	SetCost(float64) error
	SetError(kind, message string) error
	SetMetadata(map[string]any) error
}

func applyFields(t *testing.T, s setter, f vectorFields) {
	t.Helper()
	if f.Input != nil {
		must(t, s.SetInputJSON(f.Input))
	}
	if f.Output != nil {
		must(t, s.SetOutputJSON(f.Output))
	}
	if f.Model != nil {
		must(t, s.SetModel(*f.Model))
	}
	if f.Cost != nil {
		must(t, s.SetCost(*f.Cost))
	}
	if f.Error != nil {
		kind := ""
		if f.Error.Type != nil {
			kind = *f.Error.Type
		}
		must(t, s.SetError(kind, f.Error.Message))
	}
	if len(f.Metadata) > 0 {
		must(t, s.SetMetadata(rawMap(f.Metadata)))
	}
}

// rawMap passes raw JSON values through encoding/json unchanged.
func rawMap(m map[string]json.RawMessage) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

type openSpan struct {
	index int
	ctx   context.Context
	span  *trulayer.Span
}

// replayVector runs one case; it returns the kept wire JSON (nil when none was kept) and the
// real ids with their placeholders.
func replayVector(t *testing.T, c vectorCase) (*string, [][2]string) {
	t.Helper()
	client, err := trulayer.NewClient(trulayer.Options{Mode: "local", Project: "vectors", Environment: "test", Extra: c.Options})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	defer func() { _ = client.Shutdown(context.Background()) }()
	spec := c.Trace
	ctx, trace := client.StartTrace(context.Background(), spec.Name)
	ids := [][2]string{{trace.ID(), "00000000-0000-7000-8000-000000000000"}}
	for _, s := range []struct {
		value *string
		set   func(string) error
	}{{spec.SessionID, trace.SetSessionID}, {spec.UserID, trace.SetUserID}, {spec.ExternalID, trace.SetExternalID}} {
		if s.value != nil {
			must(t, s.set(*s.value))
		}
	}
	applyFields(t, trace, spec.vectorFields)
	for _, tag := range spec.Tags {
		must(t, trace.AddTag(tag))
	}
	for k, v := range spec.TagMap {
		must(t, trace.SetTag(k, v))
	}
	// Scopes nest like a stack: close every open span that is not the new span's parent.
	var open []openSpan
	for i, s := range spec.Spans {
		for len(open) > 0 && (s.Parent == nil || open[len(open)-1].index != *s.Parent) {
			must(t, open[len(open)-1].span.End())
			open = open[:len(open)-1]
		}
		parentCtx := ctx
		if len(open) > 0 {
			parentCtx = open[len(open)-1].ctx
		}
		spanCtx, span := trulayer.StartSpan(parentCtx, s.Name, trulayer.SpanType(s.Type))
		if span == nil {
			t.Fatalf("span %d (%s) did not start", i, s.Name)
		}
		ids = append(ids, [2]string{span.ID(), fmt.Sprintf("00000000-0000-7000-8000-%012d", i+1)})
		applyFields(t, span, s.vectorFields)
		if s.PromptTokens != nil && s.CompletionTokens != nil {
			must(t, span.SetTokens(*s.PromptTokens, *s.CompletionTokens))
		}
		for _, e := range spec.Events {
			if e.Span != nil && *e.Span == i {
				must(t, span.Event(trulayer.Level(e.Level), e.Message, rawMap(e.Metadata)))
			}
		}
		open = append(open, openSpan{index: i, ctx: spanCtx, span: span})
	}
	for len(open) > 0 {
		must(t, open[len(open)-1].span.End())
		open = open[:len(open)-1]
	}
	for _, e := range spec.Events {
		if e.Span == nil {
			must(t, trace.Event(trulayer.Level(e.Level), e.Message, rawMap(e.Metadata)))
		}
	}
	must(t, trace.End())
	kept, err := client.LocalTraces()
	if err != nil {
		t.Fatalf("LocalTraces: %v", err)
	}
	if len(kept) == 0 {
		return nil, ids
	}
	return &kept[0], append(ids, eventIDs(t, kept[0])...)
}

// eventIDs maps event ids, known only from the output, to placeholders in order of appearance.
func eventIDs(t *testing.T, wire string) [][2]string {
	t.Helper()
	var doc struct {
		Events []struct {
			ID string `json:"id"`
		} `json:"events"`
	}
	if err := json.Unmarshal([]byte(wire), &doc); err != nil {
		t.Fatalf("kept trace is not JSON: %v", err)
	}
	var ids [][2]string
	for i, e := range doc.Events {
		ids = append(ids, [2]string{e.ID, fmt.Sprintf("00000000-0000-7000-8001-%012d", i+1)})
	}
	return ids
}

var (
	wireTimestamp = regexp.MustCompile(`"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"`)
	wireLatency   = regexp.MustCompile(`"latency_ms":\d+`)
)

func normalizeWire(wire string, ids [][2]string) string {
	for _, id := range ids {
		wire = strings.ReplaceAll(wire, id[0], id[1])
	}
	wire = wireTimestamp.ReplaceAllLiteralString(wire, `"1970-01-01T00:00:00.000000Z"`)
	return wireLatency.ReplaceAllLiteralString(wire, `"latency_ms":0`)
}
