package trulayer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	trulayer "github.com/trulayer/trulayer-sdk/bindings-c/go"
)

// The same scripted faults as the Rust, Python and Node runs (tests/faults/README.md).
const faultPlan = "pass*3, 503, 429:1, reset, lost, 500, delay:300, 502, down:500, pass*2, lost, hang, 503*2, 408, " +
	"poison:poison-trace, max:40"

func getJSON(t *testing.T, url, key string, into any) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: status %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		t.Fatalf("decode %s: %v", url, err)
	}
}

// Through the fault proxy into the real collector: every trace the SDK counted as sent is
// stored exactly once, every other one is counted as dropped with its reason, and
// sent + dropped == created.
func TestFaultsBetweenSDKAndCollectorLoseNothingSilently(t *testing.T) {
	const key = "tl_go_faults"
	store, err := startServer("trulayer-collector", "--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "f.db"), "--key", key+"=go-faults")
	if err != nil {
		t.Fatal(err)
	}
	defer store.stop()
	proxy, err := startServer("trulayer-fault-proxy", "--upstream", store.url, "--plan", faultPlan)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.stop()

	c, err := trulayer.NewClient(trulayer.Options{
		APIKey: key, Endpoint: proxy.url, Project: "go-faults", BatchSize: 50,
		FlushInterval: 200 * time.Millisecond, Timeout: time.Second, Extra: map[string]string{"retry_budget": "60"},
	})
	if err != nil {
		t.Fatal(err)
	}
	created, poison := map[string]bool{}, map[string]bool{}
	for i := 0; i < 2000; i++ {
		name := "ok"
		if i%500 == 250 {
			name = "poison-trace"
		}
		ctx, trace := c.StartTrace(context.Background(), name)
		must(t, trace.SetInput(fmt.Sprintf("request %d", i)))
		_, span := trulayer.StartSpan(ctx, "generate", trulayer.SpanLLM)
		must(t, span.SetModel("gpt-4o-mini"))
		must(t, span.SetTokens(10, 5))
		must(t, span.End())
		must(t, trace.End())
		created[trace.ID()] = true
		if name == "poison-trace" {
			poison[trace.ID()] = true
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	must(t, c.Flush(ctx))
	stats, err := c.Stats()
	must(t, err)
	if stats.Finished != 2000 || stats.Sent+stats.DroppedTotal != 2000 {
		t.Fatalf("sent + dropped != created: %+v", stats)
	}
	if stats.Dropped["invalid"] != uint64(len(poison)) || stats.DroppedTotal != uint64(len(poison)) {
		t.Fatalf("only the %d poison traces may be dropped: %+v", len(poison), stats)
	}

	stored := map[string]bool{}
	for cursor := ""; ; {
		var page struct {
			Traces     []struct{ ID string } `json:"traces"`
			HasMore    bool                  `json:"has_more"`
			NextCursor string                `json:"next_cursor"`
		}
		getJSON(t, store.url+"/v1/traces?limit=200&cursor="+cursor, key, &page)
		for _, tr := range page.Traces {
			if stored[tr.ID] {
				t.Fatalf("trace %s stored twice", tr.ID)
			}
			if !created[tr.ID] || poison[tr.ID] {
				t.Fatalf("unexpected trace %s stored", tr.ID)
			}
			stored[tr.ID] = true
		}
		if !page.HasMore {
			break
		}
		cursor = page.NextCursor
	}
	if uint64(len(stored)) != stats.Sent {
		t.Fatalf("stored %d traces, the SDK reported %d sent", len(stored), stats.Sent)
	}

	var applied map[string]uint64
	getJSON(t, proxy.url+"/__fault/stats", "", &applied)
	for step, atLeast := range map[string]uint64{"reset": 1, "lost": 2, "hang": 1, "down": 1, "status": 7, "too_large": 1} {
		if applied[step] < atLeast {
			t.Errorf("fault %s applied %d times, want at least %d: %v", step, applied[step], atLeast, applied)
		}
	}
	must(t, c.Shutdown(context.Background()))
}
