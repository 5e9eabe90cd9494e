package main

import (
	"context"
	"net"
	"testing"
	"time"
)

// TestConsumers: every consumer of the bench reads a small flood whole
// from the bench's server, and those that count fields count them all
// (the repeated keys included).
func TestConsumers(t *testing.T) {
	fl, err := loadFlood("../../testdata/ami/raw", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			serveConn(nc, fl)
		}
	}()
	defer func() { ln.Close(); <-done }()
	for _, cs := range []consumer{{"floor", floor}, {"next", client}, {"frames", clientFrames}, {"naive", naive}} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		res, err := cs.run(ctx, ln.Addr().String(), fl)
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", cs.name, err)
		}
		if res.events != fl.events || (res.fields >= 0 && res.fields != fl.fields) {
			t.Errorf("%s: %d events, %d fields; want %d, %d", cs.name, res.events, res.fields, fl.events, fl.fields)
		}
	}
}
