package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/amigate/amigate"
)

// syncBuffer is a bytes.Buffer safe for the server's writes and the test's
// reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, deadline time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(deadline)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("%s: not within %v", what, deadline)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// activeCalls lists the calls in progress through the API.
func activeCalls(t *testing.T, s started, token string) []amigate.Call {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/v1/calls?limit=300", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var page []amigate.Call
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatalf("GET /v1/calls: %d %s: %v", resp.StatusCode, body, err)
	}
	return slices.DeleteFunc(page, func(c amigate.Call) bool { return c.State == "ended" })
}
