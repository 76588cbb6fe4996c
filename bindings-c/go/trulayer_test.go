package trulayer_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	trulayer "github.com/trulayer/trulayer-sdk/bindings-c/go"
)

func newClient(t *testing.T) *trulayer.Client {
	t.Helper()
	c, err := trulayer.NewClient(trulayer.Options{
		APIKey: testKey, Endpoint: collectorURL, Project: "go-tests", FlushInterval: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Shutdown(context.Background()) })
	return c
}

func flush(t *testing.T, c *trulayer.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := c.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func TestNestedTraceRoundTripsThroughTheCollector(t *testing.T) {
	c := newClient(t)
	ctx, trace := c.StartTrace(context.Background(), "go-roundtrip")
	must(t, trace.SetInput("why is the sky blue? é✓"))
	must(t, trace.SetSessionID("sess-go-1"))
	must(t, trace.SetMetadata(map[string]any{"tenant": "acme", "n": 3}))

	agentCtx, agent := trulayer.StartSpan(ctx, "plan", trulayer.SpanAgent)
	_, llm := trulayer.StartSpan(agentCtx, "generate", trulayer.SpanLLM) // parent: "plan", from ctx
	must(t, llm.SetModel("gpt-4o-mini"))
	must(t, llm.SetTokens(12, 30))
	must(t, llm.SetOutput("Rayleigh scattering"))
	must(t, llm.End())
	must(t, agent.End())
	_, tool := trulayer.StartSpan(ctx, "lookup", trulayer.SpanTool) // top level again
	must(t, tool.SetError("TimeoutError", "tool timed out"))
	must(t, tool.End())
	must(t, trace.SetOutput("done"))
	must(t, trace.End())
	flush(t, c)

	got := fetchTrace(t, trace.ID())
	if got.Name != "go-roundtrip" || str(got.Input) != "why is the sky blue? é✓" || str(got.SessionID) != "sess-go-1" {
		t.Fatalf("trace fields: %+v", got)
	}
	if got.Metadata["tenant"] != "acme" || got.Metadata["n"] != 3.0 {
		t.Fatalf("metadata: %v", got.Metadata)
	}
	spans := map[string]storedSpan{}
	for _, s := range got.Spans {
		spans[s.Name] = s
	}
	if len(got.Spans) != 3 {
		t.Fatalf("want 3 spans, got %d: %+v", len(got.Spans), got.Spans)
	}
	gen := spans["generate"]
	if str(gen.ParentSpanID) != agent.ID() || str(gen.Model) != "gpt-4o-mini" || *gen.PromptTokens != 12 || gen.Type != "llm" {
		t.Fatalf("generate span: %+v (parent want %s)", gen, agent.ID())
	}
	if spans["plan"].ParentSpanID != nil || spans["lookup"].ParentSpanID != nil {
		t.Fatalf("top-level spans have parents: %+v", got.Spans)
	}
	if str(spans["lookup"].Error) != "TimeoutError: tool timed out" {
		t.Fatalf("lookup error: %s", str(spans["lookup"].Error))
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestBadOptionsAreErrorsWithTheEngineMessage(t *testing.T) {
	cases := []struct {
		opts trulayer.Options
		want string
	}{
		{trulayer.Options{Extra: map[string]string{"batchsize": "1"}}, "invalid batchsize: unknown option"},
		{trulayer.Options{APIKey: "k", BatchSize: 500}, "at most 100 traces per request"},
		{trulayer.Options{APIKey: "k", Endpoint: "localhost:8080"}, "must be an http(s) URL"},
		{trulayer.Options{Mode: "offline"}, "must be \"local\" or \"remote\""},
	}
	for _, tc := range cases {
		_, err := trulayer.NewClient(tc.opts)
		if !errors.Is(err, trulayer.ErrInvalidOption) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want InvalidOption containing %q", tc.opts, err, tc.want)
		}
	}
}

func TestEndedHandlesGiveErrClosed(t *testing.T) {
	c := newClient(t)
	ctx, trace := c.StartTrace(context.Background(), "go-ended")
	_, span := trulayer.StartSpan(ctx, "s", trulayer.SpanTool)
	must(t, span.End())
	if err := span.End(); !errors.Is(err, trulayer.ErrClosed) {
		t.Fatalf("second span End: %v", err)
	}
	if err := span.SetModel("m"); !errors.Is(err, trulayer.ErrClosed) {
		t.Fatalf("SetModel after End: %v", err)
	}
	must(t, trace.End())
	if err := trace.End(); !errors.Is(err, trulayer.ErrClosed) {
		t.Fatalf("second trace End: %v", err)
	}
	if err := trace.SetInput("x"); !errors.Is(err, trulayer.ErrClosed) || !strings.Contains(err.Error(), "already been ended") {
		t.Fatalf("SetInput after End: %v", err)
	}
	if _, s := trulayer.StartSpan(ctx, "late", trulayer.SpanLLM); s != nil {
		t.Fatal("a span of an ended trace started")
	}
}

func TestNoTraceInContextIsANilSafeSpan(t *testing.T) {
	ctx, span := trulayer.StartSpan(context.Background(), "orphan", trulayer.SpanLLM)
	if span != nil || trulayer.SpanFromContext(ctx) != nil {
		t.Fatal("a span started without a trace")
	}
	if err := span.SetModel("m"); err != trulayer.ErrNoTrace {
		t.Fatalf("nil span SetModel: %v", err)
	}
	if err := span.End(); err != trulayer.ErrNoTrace {
		t.Fatalf("nil span End: %v", err)
	}
}

func TestInvalidUTF8IsReplacedNotRejected(t *testing.T) {
	c := newClient(t)
	_, trace := c.StartTrace(context.Background(), "go-utf8")
	must(t, trace.SetInput("a\xffb"))
	must(t, trace.End())
	flush(t, c)
	if got := str(fetchTrace(t, trace.ID()).Input); got != "a\uFFFDb" {
		t.Fatalf("input stored as %q", got)
	}
}

func TestShutdownStopsNewTraces(t *testing.T) {
	c, err := trulayer.NewClient(trulayer.Options{APIKey: testKey, Endpoint: collectorURL})
	must(t, err)
	_, trace := c.StartTrace(context.Background(), "go-before-shutdown")
	must(t, trace.End())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	must(t, c.Shutdown(ctx))
	fetchTrace(t, trace.ID()) // delivered by the shutdown flush
	if _, tr := c.StartTrace(context.Background(), "after"); tr != nil {
		t.Fatal("a trace started after Shutdown")
	}
}

func TestConcurrentGoroutinesDeliverEveryTrace(t *testing.T) {
	const goroutines, traces, spans = 8, 10, 20
	c := newClient(t)
	ids := make(chan string, goroutines*traces)
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < traces; i++ {
				ctx, trace := c.StartTrace(context.Background(), "go-concurrent")
				for j := 0; j < spans; j++ {
					_, s := trulayer.StartSpan(ctx, "step", trulayer.SpanLLM)
					if s.SetTokens(int64(j), 1) != nil || s.End() != nil {
						t.Error("span call failed")
					}
				}
				if err := trace.End(); err != nil {
					t.Error(err)
				}
				ids <- trace.ID()
			}
		}()
	}
	wg.Wait()
	close(ids)
	flush(t, c)
	stats, err := c.Stats()
	must(t, err)
	if stats.Sent != goroutines*traces || stats.DroppedTotal != 0 {
		t.Fatalf("stats: %+v", stats)
	}
	for id := range ids {
		if n := len(fetchTrace(t, id).Spans); n != spans {
			t.Fatalf("trace %s stored %d of %d spans", id, n, spans)
		}
	}
}

func TestScrubFunctionRunsBeforeShipping(t *testing.T) {
	c, err := trulayer.NewClient(trulayer.Options{
		APIKey: testKey, Endpoint: collectorURL, FlushInterval: 200 * time.Millisecond,
		Scrub: func(s string) (string, error) {
			if strings.Contains(s, "fail-me") {
				return "", errors.New("cannot scrub")
			}
			return strings.ReplaceAll(s, "secret", "[gone]"), nil
		},
	})
	must(t, err)
	t.Cleanup(func() { _ = c.Shutdown(context.Background()) })
	_, trace := c.StartTrace(context.Background(), "go-scrub")
	must(t, trace.SetInput("my secret plan"))
	must(t, trace.SetOutput("please fail-me"))
	must(t, trace.End())
	flush(t, c)
	got := fetchTrace(t, trace.ID())
	if str(got.Input) != "my [gone] plan" || str(got.Output) != "<REDACTED:scrub_failed>" {
		t.Fatalf("scrubbed input %q output %q", str(got.Input), str(got.Output))
	}
	stats, err := c.Stats()
	must(t, err)
	if stats.ScrubFailures != 1 {
		t.Fatalf("scrub failures: %d", stats.ScrubFailures)
	}
}
