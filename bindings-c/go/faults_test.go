package trulayer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	trulayer "github.com/trulayer/trulayer-sdk/bindings-c/go"
)

// The Go SDK against the real collector under faults: a scripted run through the fault proxy
// (tests/faults), and the collector killed (SIGKILL) and restarted mid-run. Afterwards every
// trace the SDK counted as sent is stored exactly once, every other one is counted as dropped
// with its reason, and sent + dropped == created.

// The same scripted faults as the Rust, Python, Node and C runs (tests/faults/README.md).
const faultPlan = "pass*3, 503, 429:1, reset, lost, 500, delay:300, 502, down:500, pass*2, lost, hang, 503*2, 408, " +
	"poison:poison-trace, max:40"

const faultsKey = "tl_go_faults"

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

// startFaultsCollector runs the collector on addr over the database db; it is killed when the
// test ends, if the test has not killed it before.
func startFaultsCollector(t *testing.T, db, addr string) *server {
	t.Helper()
	s, err := startServer("trulayer-collector", "--addr", addr, "--db", db, "--key", faultsKey+"=go-faults")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stop)
	return s
}

func faultsClient(t *testing.T, endpoint string, batchSize int, flushInterval time.Duration) *trulayer.Client {
	t.Helper()
	c, err := trulayer.NewClient(trulayer.Options{
		APIKey: faultsKey, Endpoint: endpoint, Project: "go-faults", BatchSize: batchSize,
		FlushInterval: flushInterval, Timeout: time.Second, Extra: map[string]string{"retry_budget": "60"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// recordTrace records one trace with an LLM span and returns its id.
func recordTrace(t *testing.T, c *trulayer.Client, name string, i int) string {
	t.Helper()
	ctx, trace := c.StartTrace(context.Background(), name)
	must(t, trace.SetInput(fmt.Sprintf("request %d", i)))
	_, span := trulayer.StartSpan(ctx, "generate", trulayer.SpanLLM)
	must(t, span.SetModel("gpt-4o-mini"))
	must(t, span.SetTokens(10, 5))
	must(t, span.End())
	id := trace.ID()
	must(t, trace.End())
	return id
}

func flushWithin(t *testing.T, c *trulayer.Client, timeout time.Duration) trulayer.Stats {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := c.Flush(ctx)
	stats, serr := c.Stats()
	must(t, serr)
	if err != nil {
		t.Fatalf("flush: %v: %+v", err, stats)
	}
	return stats
}

// storedIDs walks every page of the collector's trace list and returns the ids, failing the
// test on an id stored twice or one the SDK did not create.
func storedIDs(t *testing.T, collectorURL string, created map[string]bool) map[string]bool {
	t.Helper()
	stored := map[string]bool{}
	for cursor := ""; ; {
		var page struct {
			Traces     []struct{ ID string } `json:"traces"`
			HasMore    bool                  `json:"has_more"`
			NextCursor string                `json:"next_cursor"`
		}
		getJSON(t, collectorURL+"/v1/traces?limit=200&cursor="+cursor, faultsKey, &page)
		for _, tr := range page.Traces {
			if stored[tr.ID] {
				t.Fatalf("trace %s stored twice", tr.ID)
			}
			if !created[tr.ID] {
				t.Fatalf("trace %s stored, but the SDK did not create it", tr.ID)
			}
			stored[tr.ID] = true
		}
		if !page.HasMore {
			return stored
		}
		cursor = page.NextCursor
	}
}

func TestFaultsBetweenSDKAndCollectorLoseNothingSilently(t *testing.T) {
	store := startFaultsCollector(t, filepath.Join(t.TempDir(), "f.db"), "127.0.0.1:0")
	proxy, err := startServer("trulayer-fault-proxy", "--upstream", store.url, "--plan", faultPlan)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.stop()

	c := faultsClient(t, proxy.url, 50, 200*time.Millisecond)
	created, poison := map[string]bool{}, map[string]bool{}
	for i := 0; i < 2000; i++ {
		name := "ok"
		if i%500 == 250 {
			name = "poison-trace"
		}
		id := recordTrace(t, c, name, i)
		created[id] = true
		if name == "poison-trace" {
			poison[id] = true
		}
	}
	stats := flushWithin(t, c, 120*time.Second)
	if stats.Finished != 2000 || stats.Sent+stats.DroppedTotal != 2000 {
		t.Fatalf("sent + dropped != created: %+v", stats)
	}
	if stats.Dropped["invalid"] != uint64(len(poison)) || stats.DroppedTotal != uint64(len(poison)) {
		t.Fatalf("only the %d poison traces may be dropped: %+v", len(poison), stats)
	}

	stored := storedIDs(t, store.url, created)
	for id := range poison {
		if stored[id] {
			t.Fatalf("poison trace %s stored", id)
		}
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

func TestCollectorKilledAndRestartedMidRunLosesNothing(t *testing.T) {
	db := filepath.Join(t.TempDir(), "restart.db")
	first := startFaultsCollector(t, db, "127.0.0.1:0")
	c := faultsClient(t, first.url, 20, 100*time.Millisecond)
	created := map[string]bool{}
	recordMany := func(name string, n int) {
		for i := 0; i < n; i++ {
			created[recordTrace(t, c, name, i)] = true
		}
	}
	recordMany("before", 250)
	// These are stored before the kill: the restarted collector must still hold them.
	flushWithin(t, c, 30*time.Second)
	recordMany("before", 250)
	first.stop() // SIGKILL, no graceful shutdown, while those batches are in flight
	recordMany("during", 500)
	time.Sleep(800 * time.Millisecond) // the SDK meets refused connections and backs off
	// Same port: the SDK's endpoint stays valid.
	second := startFaultsCollector(t, db, strings.TrimPrefix(first.url, "http://"))
	if second.url != first.url {
		t.Fatalf("restarted on %s, not %s", second.url, first.url)
	}
	stats := flushWithin(t, c, 60*time.Second)
	if len(created) != 1000 || stats.Finished != 1000 || stats.Sent != 1000 || stats.DroppedTotal != 0 {
		t.Fatalf("want 1000 created, finished and sent, none dropped: created %d, %+v", len(created), stats)
	}
	if stats.Retries == 0 {
		t.Fatalf("the outage was never met: %+v", stats)
	}
	if stored := storedIDs(t, second.url, created); len(stored) != len(created) {
		t.Fatalf("stored %d of %d traces", len(stored), len(created))
	}
	must(t, c.Shutdown(context.Background()))
}
