package handlers

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestWireErrors sends requests that net/http refuses before any handler
// runs, over a raw connection, and checks that each answer is problem+json
// with its kind; a request the handler answers passes unchanged, even one
// with text/plain and Connection: close.
func TestWireErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusTeapot)
			io.WriteString(w, "418 I'm a teapot")
		}),
		MaxHeaderBytes:    1 << 10,
		ReadHeaderTimeout: 10 * time.Second,
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ProblemListener(ln)) }()
	t.Cleanup(func() {
		// Shutdown, not Close: it waits for every connection's goroutine,
		// such as the one net/http keeps for half a second after a 431.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})

	big := "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 8<<10) + "\r\n\r\n"
	tests := []struct {
		name, request string
		status        int
		kind, detail  string // kind "": not a problem, passed unchanged
	}{
		{"headers too large", big, 431, kindHeadersTooLarge, "larger than the server accepts"},
		{"NUL in a header", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400, kindMalformed, ""},
		{"no Host", "GET / HTTP/1.1\r\n\r\n", 400, kindMalformed, "missing required Host header"},
		{"malformed request line", "HELLO\r\n\r\n", 400, kindMalformed, ""},
		{"unknown transfer coding", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: rot13\r\n\r\n", 501, kindUnknown, "Unsupported transfer encoding"},
		{"unsupported protocol", "GET / HTTP/2.5\r\nHost: x\r\n\r\n", 505, kindUnknown, "unsupported protocol version"},
		{"a handler's own answer", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 418, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.DialTimeout("tcp", ln.Addr().String(), 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(30 * time.Second))
			if _, err := io.WriteString(c, tt.request); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d (body %q)", resp.StatusCode, tt.status, body)
			}
			ct := resp.Header.Get("Content-Type")
			if tt.kind == "" {
				if ct != "text/plain; charset=utf-8" || string(body) != "418 I'm a teapot" {
					t.Fatalf("the handler's answer was changed: %s %q", ct, body)
				}
				return
			}
			if ct != mimeProblem {
				t.Fatalf("Content-Type %q, want %s (body %q)", ct, mimeProblem, body)
			}
			var p Problem
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatalf("body %q: %v", body, err)
			}
			if p.Type != ProblemTypeBase+tt.kind || p.Status != tt.status || p.Title != http.StatusText(tt.status) || !strings.Contains(p.Detail, tt.detail) || p.Detail == "" {
				t.Fatalf("problem %+v, want kind %s, status %d, a detail saying %q", p, tt.kind, tt.status, tt.detail)
			}
		})
	}
}

// TestWireProblemPassesOthers: only net/http's own error shape is
// rewritten; any other write, including ones that look close, is not.
func TestWireProblemPassesOthers(t *testing.T) {
	for _, b := range []string{
		"",
		"HTTP/1.1 200 OK" + wireErrorHeaders + "ok",
		"HTTP/1.1 400 Bad Request\r\nDate: Wed, 02 Dec 2026 04:00:00 GMT" + wireErrorHeaders + "x",
		"HTTP/1.1 4" + wireErrorHeaders,
		"HTTP/1.1 abc Bad" + wireErrorHeaders,
		"data: {\"type\":\"call.ringing\"}\n\n",
		"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n400 Bad Request",
	} {
		if out, ok := wireProblem([]byte(b)); ok {
			t.Errorf("wireProblem(%q) rewrote it to %q", b, out)
		}
	}
}
