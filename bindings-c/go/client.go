package trulayer

// #include <stdlib.h>
// #include "shim.h"
import "C"

import (
	"context"
	"encoding/json"
	"runtime/cgo"
	"strconv"
	"time"
	"unsafe"
)

// Options configures a Client. Zero values mean "not set": the TRULAYER_* environment
// variable, or the engine default, applies. Values are validated by the engine with the
// same messages as every other SDK.
type Options struct {
	APIKey        string
	Project       string
	Environment   string
	Endpoint      string
	BatchSize     int
	FlushInterval time.Duration
	Timeout       time.Duration
	// SampleRate in [0, 1]; nil: the environment or 1.0.
	SampleRate *float64
	// Mode is "remote" (ship to Endpoint) or "local" (keep traces in process, no network).
	Mode  string
	Debug bool
	// Extra holds any other engine option by its key (max_queue_size, redact, ...).
	Extra map[string]string
	// Scrub, if set, rewrites every string before it leaves the process (see ScrubFunc).
	Scrub ScrubFunc
}

func (o Options) pairs() [][2]string {
	var p [][2]string
	add := func(k, v string) {
		if v != "" {
			p = append(p, [2]string{k, v})
		}
	}
	add("api_key", o.APIKey)
	add("project", o.Project)
	add("environment", o.Environment)
	add("endpoint", o.Endpoint)
	add("mode", o.Mode)
	if o.BatchSize != 0 {
		add("batch_size", strconv.Itoa(o.BatchSize))
	}
	if o.FlushInterval != 0 {
		add("flush_interval_ms", strconv.FormatInt(o.FlushInterval.Milliseconds(), 10))
	}
	if o.Timeout != 0 {
		add("timeout_ms", strconv.FormatInt(o.Timeout.Milliseconds(), 10))
	}
	if o.SampleRate != nil {
		add("sample_rate", strconv.FormatFloat(*o.SampleRate, 'g', -1, 64))
	}
	if o.Debug {
		add("debug", "true")
	}
	for k, v := range o.Extra {
		p = append(p, [2]string{k, v})
	}
	return p
}

// Client ships traces through one engine pipeline (a bounded queue and a worker thread).
// Safe for concurrent use.
type Client struct {
	h     handle
	scrub cgo.Handle // 0 without Options.Scrub
}

// NewClient validates opts and creates a client. No thread starts until the first trace ends.
func NewClient(opts Options) (*Client, error) {
	var o handle
	var msg *C.char
	if err := check(C.tl_go_options_new(&o, &msg), msg); err != nil {
		return nil, err
	}
	defer C.tl_go_options_free(o)
	for _, kv := range opts.pairs() {
		k, v := cString(kv[0]), cString(kv[1])
		err := check(C.tl_go_options_set(o, k, v, &msg), msg)
		C.free(unsafe.Pointer(k))
		C.free(unsafe.Pointer(v))
		if err != nil {
			return nil, err
		}
	}
	var scrub cgo.Handle
	if opts.Scrub != nil {
		var err error
		if scrub, err = installScrub(o, opts.Scrub); err != nil {
			return nil, err
		}
	}
	var c handle
	if err := check(C.tl_go_client_new(o, &c, &msg), msg); err != nil {
		if scrub != 0 {
			scrub.Delete()
		}
		return nil, err
	}
	return &Client{h: c, scrub: scrub}, nil
}

// flushSlice bounds each blocking flush so a cancelled context is noticed promptly.
const flushSlice = 100 * time.Millisecond

// Flush waits until every trace ended before the call has been answered by the endpoint, or
// ctx is done (then ctx.Err() is returned).
func (c *Client) Flush(ctx context.Context) error {
	for {
		slice := flushSlice
		if d, ok := ctx.Deadline(); ok && time.Until(d) < slice {
			slice = max(time.Until(d), time.Millisecond)
		}
		var msg *C.char
		err := check(C.tl_go_client_flush(c.h, C.uint32_t(slice.Milliseconds()), &msg), msg)
		if err == nil || !isStatus(err, StatusTimeout) {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// defaultShutdownTimeout applies when ctx has no deadline.
const defaultShutdownTimeout = 5 * time.Second

// Shutdown flushes until ctx's deadline (5 s without one), stops the worker and releases the
// client. Traces started afterwards are not recorded (StartTrace returns a nil *Trace).
func (c *Client) Shutdown(ctx context.Context) error {
	timeout := defaultShutdownTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = max(time.Until(d), 0)
	}
	var msg *C.char
	err := check(C.tl_go_client_shutdown(c.h, C.uint32_t(timeout.Milliseconds()), &msg), msg)
	C.tl_go_client_free(c.h)
	if c.scrub != 0 {
		c.scrub.Delete() // the worker has stopped: no callback can come any more
		c.scrub = 0
	}
	return err
}

// Stats are the engine's counters for this client.
type Stats struct {
	Finished         uint64            `json:"finished"`
	SampledOut       uint64            `json:"sampled_out"`
	Queued           uint64            `json:"queued"`
	Sent             uint64            `json:"sent"`
	DroppedTotal     uint64            `json:"dropped_total"`
	Pending          uint64            `json:"pending"`
	Dropped          map[string]uint64 `json:"dropped"`
	Retries          uint64            `json:"retries"`
	BatchesSent      uint64            `json:"batches_sent"`
	BytesSent        uint64            `json:"bytes_sent"`
	TruncatedFields  uint64            `json:"truncated_fields"`
	DroppedTags      uint64            `json:"dropped_tags"`
	ScrubFailures    uint64            `json:"scrub_failures"`
	LateSpans        uint64            `json:"late_spans"`
	MetadataRejected uint64            `json:"metadata_rejected"`
}

// Stats returns a snapshot of the client's counters.
func (c *Client) Stats() (Stats, error) {
	var s Stats
	b, err := readText(func(buf *C.char, size C.size_t, n *C.size_t, msg **C.char) C.tl_status {
		return C.tl_go_client_stats(c.h, buf, size, n, msg)
	})
	if err != nil {
		return s, err
	}
	return s, json.Unmarshal(b, &s)
}

// LocalTraces returns the wire JSON of each trace kept in process (Options.Mode "local"),
// oldest first; none in remote mode. For tests of code that traces.
func (c *Client) LocalTraces() ([]string, error) {
	b, err := readText(func(buf *C.char, size C.size_t, n *C.size_t, msg **C.char) C.tl_status {
		return C.tl_go_client_local_traces(c.h, buf, size, n, msg)
	})
	if err != nil {
		return nil, err
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	traces := make([]string, len(raw))
	for i, r := range raw {
		traces[i] = string(r)
	}
	return traces, nil
}

// readText calls a libtrulayer function that writes text into a caller buffer, growing the
// buffer once it reports the length it needs.
func readText(call func(buf *C.char, size C.size_t, n *C.size_t, msg **C.char) C.tl_status) ([]byte, error) {
	buf := make([]byte, 2048)
	for {
		var n C.size_t
		var msg *C.char
		err := check(call((*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)), &n, &msg), msg)
		if isStatus(err, StatusBufferTooSmall) {
			buf = make([]byte, int(n)+1)
			continue
		}
		if err != nil {
			return nil, err
		}
		return buf[:n], nil
	}
}

func isStatus(err error, s Status) bool {
	e, ok := err.(*Error)
	return ok && e.Status == s
}
