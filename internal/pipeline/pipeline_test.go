package pipeline_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amiclient"
	"github.com/amigate/amigate/internal/pipeline"
)

var (
	connected    = amiclient.Event{Kind: amiclient.KindConnected}
	disconnected = amiclient.Event{Kind: amiclient.KindDisconnected}
	overflow     = amiclient.Event{Kind: amiclient.KindOverflow}
)

func TestLoop(t *testing.T) {
	channel := msg("Event", "CoreShowChannel", "Channel", "PJSIP/101-00000001")
	tests := []struct {
		name        string
		events      []amiclient.Event
		pbx         fakePBX
		failures    int
		invalid     []string
		wantHandled []string // Handle and Reconcile, in order
		wantStored  []string
		wantCounts  map[string]int
		wantInvalid map[string]int
		wantReady   bool
	}{
		{
			name:        "events in order",
			events:      []amiclient.Event{event("Newchannel", ""), event("call.ringing", "e1"), event("call.answered", "e2"), event("call.ended", "e3")},
			wantHandled: []string{"Newchannel", "call.ringing", "call.answered", "call.ended"},
			wantStored:  []string{"e1", "e2", "e3"},
			wantCounts:  map[string]int{"call.ringing": 1, "call.answered": 1, "call.ended": 1},
		},
		{
			name:        "an event the correlator does not want is not handled",
			events:      []amiclient.Event{event("Newexten", "e0"), event("call.ringing", "e1")},
			wantHandled: []string{"call.ringing"},
			wantStored:  []string{"e1"},
			wantCounts:  map[string]int{"call.ringing": 1},
		},
		{
			name:        "store refuses, then takes them in order",
			events:      []amiclient.Event{event("call.ringing", "e1"), event("call.ended", "e2")},
			failures:    3,
			wantHandled: []string{"call.ringing", "call.ended"},
			wantStored:  []string{"e1", "e2"},
			wantCounts:  map[string]int{"call.ringing": 1, "call.ended": 1},
		},
		{
			// The list completes after the events already queued behind
			// KindConnected and before those read later: the reconcile
			// comes exactly there, not at KindConnected.
			name:        "the resync is applied at its place in the stream",
			events:      []amiclient.Event{connected, event("call.ringing", "e1"), event("call.answered", "e2")},
			pbx:         fakePBX{channels: []ami.Message{channel}, after: []amiclient.Event{event("call.ended", "e3")}},
			wantHandled: []string{"call.ringing", "call.answered", "RECONCILE(1)", "call.ended"},
			wantStored:  []string{"e1", "e2", "evt_reconciled", "e3"},
			wantCounts:  map[string]int{"call.ringing": 1, "call.answered": 1, "call.ended": 2},
			wantReady:   true,
		},
		{
			// The list asked for at login lands after the overflow: it is
			// stale (events before it were lost), only the overflow's own
			// list is applied.
			name:        "overflow while a resync is awaited: only the newest list is applied",
			events:      []amiclient.Event{connected, overflow, event("call.ringing", "e1")},
			wantHandled: []string{"call.ringing", "RECONCILE(0)"},
			wantStored:  []string{"e1", "evt_reconciled"},
			wantCounts:  map[string]int{"call.ringing": 1, "call.ended": 1},
			wantReady:   true,
		},
		{
			name:        "connected before ready: the resync waits for readiness",
			events:      []amiclient.Event{connected, event("call.ringing", "e1")},
			pbx:         fakePBX{channels: []ami.Message{channel}, ready: new(atomic.Bool)},
			wantHandled: []string{"call.ringing", "RECONCILE(1)"},
			wantStored:  []string{"e1", "evt_reconciled"},
			wantCounts:  map[string]int{"call.ringing": 1, "call.ended": 1},
			wantReady:   true,
		},
		{
			name:        "resync fails: waits for the next login, not ready",
			events:      []amiclient.Event{connected, event("call.ringing", "e1")},
			pbx:         fakePBX{err: amiclient.ErrDisconnected},
			wantHandled: []string{"call.ringing"},
			wantStored:  []string{"e1"},
			wantCounts:  map[string]int{"call.ringing": 1},
		},
		{
			name: "another consumer's list is not a resync",
			events: []amiclient.Event{connected, event("call.ringing", "e1"), {Kind: amiclient.KindList, Message: msg("Event", "QueueStatusComplete", "ActionID", "api-7"),
				List: []ami.Message{msg("Event", "QueueStatusComplete", "ActionID", "api-7")}}},
			wantHandled: []string{"call.ringing", "RECONCILE(0)"},
			wantStored:  []string{"e1", "evt_reconciled"},
			wantCounts:  map[string]int{"call.ringing": 1, "call.ended": 1},
			wantReady:   true,
		},
		{
			name:        "disconnected after the resync: not ready",
			events:      []amiclient.Event{connected, event("call.ringing", "e1")},
			pbx:         fakePBX{after: []amiclient.Event{disconnected}},
			wantHandled: []string{"call.ringing", "RECONCILE(0)"},
			wantStored:  []string{"e1", "evt_reconciled"},
			wantCounts:  map[string]int{"call.ringing": 1, "call.ended": 1},
		},
		{
			// A call event the store can never take is logged, counted and
			// skipped; the rest of the batch and later events go on.
			name:        "an invalid call event is skipped",
			events:      []amiclient.Event{event("call.ringing", "e1"), event("call.answered", "bad"), event("call.ended", "e2"), event("call.ringing", "e3")},
			invalid:     []string{"bad"},
			wantHandled: []string{"call.ringing", "call.answered", "call.ended", "call.ringing"},
			wantStored:  []string{"e1", "e2", "e3"},
			wantCounts:  map[string]int{"call.ringing": 2, "call.ended": 1},
			wantInvalid: map[string]int{"call.answered": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := newEvents(tt.events...)
			evs.close() // the loop ends at ErrClosed once all are handled
			fc := &fakeCalls{}
			store := &fakeStore{failures: tt.failures, invalid: map[string]bool{}}
			for _, id := range tt.invalid {
				store.invalid[id] = true
			}
			m := newMetrics()
			pbx := tt.pbx
			l := pipeline.New(config(evs, fc, store, &pbx, m))
			if l.Ready() == nil {
				t.Error("ready before any login")
			}
			if err := l.Run(context.Background()); err != nil {
				t.Fatalf("Run: %v", err)
			}
			if diff := cmp.Diff(tt.wantHandled, fc.handled()); diff != "" {
				t.Errorf("handled (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantStored, store.snapshot()); diff != "" {
				t.Errorf("stored (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantCounts, m.types); diff != "" {
				t.Errorf("call event metrics (-want +got):\n%s", diff)
			}
			if tt.wantInvalid == nil {
				tt.wantInvalid = map[string]int{}
			}
			if diff := cmp.Diff(tt.wantInvalid, m.invalid); diff != "" {
				t.Errorf("invalid call event metrics (-want +got):\n%s", diff)
			}
			if err := l.Ready(); (err == nil) != tt.wantReady {
				t.Errorf("Ready() = %v, want ready %v", err, tt.wantReady)
			}
		})
	}
}

// TestLoopExpires checks that ended calls are expired on schedule even
// when no event arrives, and that cancelling stops the loop.
func TestLoopExpires(t *testing.T) {
	evs := newEvents()
	fc := &fakeCalls{}
	cfg := config(evs, fc, &fakeStore{}, nil, newMetrics())
	cfg.ExpireEvery = 5 * time.Millisecond
	l := pipeline.New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	eventually(t, 10*time.Second, "two expiries", func() bool {
		fc.mu.Lock()
		defer fc.mu.Unlock()
		return fc.expired >= 2
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}

// TestLoopStopsWhileStoreDown checks that a loop stuck retrying a
// refusing store still stops when cancelled.
func TestLoopStopsWhileStoreDown(t *testing.T) {
	evs := newEvents(event("call.ringing", "e1"))
	store := &fakeStore{failures: 1 << 30}
	cfg := config(evs, &fakeCalls{}, store, nil, newMetrics())
	cfg.RetryMax = time.Hour // only cancellation can end the wait
	l := pipeline.New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	eventually(t, 10*time.Second, "retries", func() bool {
		store.mu.Lock()
		defer store.mu.Unlock()
		return store.attempts >= 3
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("loop did not stop")
	}
}

// TestLoopBatches checks that call events of queued AMI events are
// stored in one Publish, and that a resync splits the batch where its list
// lands in the stream, so that order holds.
func TestLoopBatches(t *testing.T) {
	evs := newEvents(
		event("call.ringing", "e1"), event("Newstate", ""), event("call.answered", "e2"), event("call.ended", "e3"),
		connected,
		event("call.ringing", "e4"), event("call.ended", "e5"),
	)
	evs.close()
	store := &fakeStore{}
	l := pipeline.New(config(evs, &fakeCalls{}, store, nil, newMetrics()))
	if err := l.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"e1", "e2", "e3"}, {"e4", "e5"}, {"evt_reconciled"}}
	if diff := cmp.Diff(want, store.batches); diff != "" {
		t.Errorf("batches (-want +got):\n%s", diff)
	}
}
