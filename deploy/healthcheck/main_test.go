package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	var status atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(int(status.Load()))
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tests := []struct {
		name   string
		addr   string
		status int
		ok     bool
	}{
		{"ready", ":" + u.Port(), http.StatusOK, true},
		{"any host: always asks loopback", "0.0.0.0:" + u.Port(), http.StatusOK, true},
		{"not ready", ":" + u.Port(), http.StatusServiceUnavailable, false},
		{"bad address", "nonsense", http.StatusOK, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status.Store(int32(tt.status))
			if err := check(ctx, tt.addr); (err == nil) != tt.ok {
				t.Errorf("check(%q) = %v, want ok=%v", tt.addr, err, tt.ok)
			}
		})
	}
}
