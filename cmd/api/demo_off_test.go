//go:build nodemo

package main

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

// TestNoDemo: a build without the simulated PBX refuses --demo at start-up
// with a message that says how to get it, and leaves nothing running.
func TestNoDemo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	err := run(ctx, []string{"--demo"}, []string{"AMIGATE_HTTP_ADDR=127.0.0.1:0"}, &stdout, &stderr)
	if !errors.Is(err, errNoDemo) {
		t.Fatalf("got %v, want %v", err, errNoDemo)
	}
}
