package amiclient

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/amigate/amigate/internal/amitest"
)

// closedPort returns an address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// notAMI is a server that answers like a web server.
func notAMI(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

// TestHealthReason: while not ready, Health names why the last attempt
// failed, in the stable words of the Reason constants, with the detail;
// once ready it names none.
func TestHealthReason(t *testing.T) {
	tests := []struct {
		name   string
		addr   func(t *testing.T) string
		secret string
		want   string // Reason
		detail string // in Err
	}{
		{name: "login refused", addr: func(t *testing.T) string {
			return amitest.Start(t, amitest.Config{Username: "crm", Secret: "crmsecret"}).Addr()
		}, secret: "wrong", want: ReasonAuthFailed, detail: "Authentication failed"},
		{name: "closed port", addr: closedPort, want: ReasonRefused, detail: "connection refused"},
		{name: "not a manager", addr: notAMI, want: ReasonNotAMI, detail: "banner"},
		{name: "ready", addr: func(t *testing.T) string {
			return amitest.Start(t, amitest.Config{Username: "crm", Secret: "crmsecret"}).Addr()
		}, secret: "crmsecret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t, tt.addr(t))
			cfg.Secret = tt.secret
			cfg.Logger = discardLogger
			before := time.Now()
			c := start(t, cfg)
			deadline := time.Now().Add(5 * time.Second)
			var h Health
			for {
				h = c.Health()
				if (tt.want == "" && h.State == Ready) || (tt.want != "" && h.Reason != "") {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("Health %+v: not within 5s", h)
				}
				time.Sleep(5 * time.Millisecond)
			}
			if h.Reason != tt.want {
				t.Errorf("Reason %q, want %q (err %v)", h.Reason, tt.want, h.Err)
			}
			if tt.want == "" {
				if h.Err != nil {
					t.Errorf("Err %v while ready", h.Err)
				}
			} else if h.Err == nil || !strings.Contains(h.Err.Error(), tt.detail) {
				t.Errorf("Err %v, want one saying %q", h.Err, tt.detail)
			}
			if h.Since.Before(before) || h.Since.After(time.Now()) {
				t.Errorf("Since %v is not during the test", h.Since)
			}
		})
	}
}
