package trulayer_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const testKey = "tl_go_test"

// collectorURL is the real trulayer-collector started by TestMain on a free loopback port.
var collectorURL string

// server is one of the repository's binaries listening on a free loopback port.
type server struct {
	url string
	cmd *exec.Cmd
}

// startServer runs a repository binary from target/debug and waits for its first line,
// "<name> listening on http://127.0.0.1:PORT".
func startServer(name string, args ...string) (*server, error) {
	bin := filepath.Join("..", "..", "target", "debug", name)
	if name == "trulayer-collector" && os.Getenv("TRULAYER_COLLECTOR_BIN") != "" {
		bin = os.Getenv("TRULAYER_COLLECTOR_BIN")
	}
	cmd := exec.Command(bin, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("cannot start %s (build it with cargo build -p trulayer-collector -p trulayer-faults): %w", bin, err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	_, url, found := strings.Cut(strings.TrimSpace(line), " listening on ")
	if !found {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("unexpected first line from %s: %q", name, line)
	}
	return &server{url: url, cmd: cmd}, nil
}

func (s *server) stop() {
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "trulayer-go-test")
	if err != nil {
		panic(err)
	}
	collector, err := startServer("trulayer-collector", "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "c.db"), "--key", testKey+"=go-tests")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	collectorURL = collector.url
	code := m.Run()
	collector.stop()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

type storedSpan struct {
	ID               string         `json:"id"`
	ParentSpanID     *string        `json:"parent_span_id"`
	Name             string         `json:"name"`
	Type             string         `json:"type"`
	Input            *string        `json:"input"`
	Output           *string        `json:"output"`
	Model            *string        `json:"model"`
	Error            *string        `json:"error"`
	PromptTokens     *int64         `json:"prompt_tokens"`
	CompletionTokens *int64         `json:"completion_tokens"`
	Metadata         map[string]any `json:"metadata"`
}

type storedTrace struct {
	ID        string         `json:"id"`
	Name      string         `json:"name"`
	Input     *string        `json:"input"`
	Output    *string        `json:"output"`
	SessionID *string        `json:"session_id"`
	Error     *string        `json:"error"`
	Metadata  map[string]any `json:"metadata"`
	Spans     []storedSpan   `json:"spans"`
}

// fetchTrace reads a trace back from the collector.
func fetchTrace(t *testing.T, id string) storedTrace {
	t.Helper()
	req, _ := http.NewRequest("GET", collectorURL+"/v1/traces/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+testKey)
	client := http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET trace %s: %v", id, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET trace %s: status %d", id, resp.StatusCode)
	}
	var tr storedTrace
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil {
		t.Fatalf("decode trace %s: %v", id, err)
	}
	return tr
}
