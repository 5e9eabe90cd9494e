package pipeline_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amiclient"
	"github.com/amigate/amigate/internal/pipeline"
)

// fakeEvents hands out queued events, then blocks until ctx ends; closed
// makes Next return amiclient.ErrClosed once the queue is empty. Like the
// real subscription, a queued event is returned even when ctx is done.
type fakeEvents struct {
	ch chan amiclient.Event
}

func (f *fakeEvents) Next(ctx context.Context) (amiclient.Event, error) {
	select {
	case ev, ok := <-f.ch:
		if !ok {
			return amiclient.Event{}, amiclient.ErrClosed
		}
		return ev, nil
	default:
	}
	select {
	case ev, ok := <-f.ch:
		if !ok {
			return amiclient.Event{}, amiclient.ErrClosed
		}
		return ev, nil
	case <-ctx.Done():
		return amiclient.Event{}, ctx.Err()
	}
}

// fakeCalls turns an event named E into one call event of type E, and
// records what the loop asked of it.
type fakeCalls struct {
	mu         sync.Mutex
	handled    []string
	expired    int
	reconciled [][]ami.Message
}

func (f *fakeCalls) Handle(m ami.Message, readAt time.Time) []amigate.CallEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handled = append(f.handled, m.Event())
	if m.Get("Emit") == "" {
		return nil
	}
	return []amigate.CallEvent{{ID: m.Get("Emit"), Type: m.Event(), ReadAt: readAt}}
}

func (f *fakeCalls) Expire(time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.expired++
}

func (f *fakeCalls) Reconcile(channels []ami.Message, now time.Time) []amigate.CallEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reconciled = append(f.reconciled, channels)
	return []amigate.CallEvent{{ID: "evt_reconciled", Type: amigate.EventCallEnded}}
}

// fakeStore refuses the first failures publishes, then stores.
type fakeStore struct {
	mu       sync.Mutex
	failures int
	attempts int
	stored   []string
	batches  [][]string
}

func (f *fakeStore) Publish(ctx context.Context, evs []amigate.CallEvent) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts++
	if f.failures > 0 {
		f.failures--
		return errors.New("store unavailable")
	}
	var batch []string
	for _, e := range evs {
		f.stored = append(f.stored, e.ID)
		batch = append(batch, e.ID)
	}
	f.batches = append(f.batches, batch)
	return nil
}

func (f *fakeStore) snapshot() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.stored...)
}

type fakePBX struct {
	channels []ami.Message
	err      error
	// ready, when set, models the window between the login response (where
	// KindConnected sits in the stream) and FullyBooted: actions fail with
	// ErrNotReady until somebody waits for readiness.
	ready *atomic.Bool
}

func (f fakePBX) CoreShowChannels(context.Context) ([]ami.Message, error) {
	if f.ready != nil && !f.ready.Load() {
		return nil, amiclient.ErrNotReady
	}
	return f.channels, f.err
}

func (f fakePBX) WaitReady(context.Context) error {
	if f.ready != nil {
		f.ready.Store(true)
	}
	return nil
}

type countingMetrics struct {
	mu    sync.Mutex
	types map[string]int
}

func (c *countingMetrics) CallEvent(typ string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.types[typ]++
}

func event(name, emit string) amiclient.Event {
	m := ami.Message{Fields: []ami.Field{{Name: "Event", Value: name}}}
	if emit != "" {
		m.Fields = append(m.Fields, ami.Field{Name: "Emit", Value: emit})
	}
	return amiclient.Event{Kind: amiclient.KindEvent, Message: m, ReadAt: time.Unix(1, 0)}
}

// config is a loop's configuration over fakes, with short retries.
func config(evs *fakeEvents, calls *fakeCalls, store pipeline.Store, pbx fakePBX, m *countingMetrics) pipeline.Config {
	return pipeline.Config{
		Events: evs, PBX: pbx, Correlator: calls, Store: store, Metrics: m,
		Logger:      slog.New(slog.DiscardHandler),
		ExpireEvery: time.Hour, ResyncTimeout: time.Second,
		RetryMin: time.Millisecond, RetryMax: 4 * time.Millisecond, PublishTimeout: time.Second,
	}
}

func TestLoop(t *testing.T) {
	channel := ami.Message{Fields: []ami.Field{{Name: "Event", Value: "CoreShowChannel"}}}
	tests := []struct {
		name       string
		events     []amiclient.Event
		pbx        fakePBX
		failures   int
		wantStored []string
		wantResync int
		wantCounts map[string]int
	}{
		{
			name:       "events in order",
			events:     []amiclient.Event{event("Newchannel", ""), event("call.ringing", "e1"), event("call.answered", "e2"), event("call.ended", "e3")},
			wantStored: []string{"e1", "e2", "e3"},
			wantCounts: map[string]int{"call.ringing": 1, "call.answered": 1, "call.ended": 1},
		},
		{
			name:       "store refuses, then takes them in order",
			events:     []amiclient.Event{event("call.ringing", "e1"), event("call.ended", "e2")},
			failures:   3,
			wantStored: []string{"e1", "e2"},
			wantCounts: map[string]int{"call.ringing": 1, "call.ended": 1},
		},
		{
			name:       "connected and overflow resync",
			events:     []amiclient.Event{{Kind: amiclient.KindConnected}, event("call.ringing", "e1"), {Kind: amiclient.KindDisconnected}, {Kind: amiclient.KindOverflow}},
			pbx:        fakePBX{channels: []ami.Message{channel}},
			wantStored: []string{"evt_reconciled", "e1", "evt_reconciled"},
			wantResync: 2,
			wantCounts: map[string]int{"call.ringing": 1, "call.ended": 2},
		},
		{
			name:       "connected before ready: the resync waits for readiness",
			events:     []amiclient.Event{{Kind: amiclient.KindConnected}, event("call.ringing", "e1")},
			pbx:        fakePBX{channels: []ami.Message{channel}, ready: new(atomic.Bool)},
			wantStored: []string{"evt_reconciled", "e1"},
			wantResync: 1,
			wantCounts: map[string]int{"call.ringing": 1, "call.ended": 1},
		},
		{
			name:       "resync fails: waits for the next login",
			events:     []amiclient.Event{{Kind: amiclient.KindConnected}, event("call.ringing", "e1")},
			pbx:        fakePBX{err: amiclient.ErrDisconnected},
			wantStored: []string{"e1"},
			wantCounts: map[string]int{"call.ringing": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := &fakeEvents{ch: make(chan amiclient.Event, len(tt.events))}
			for _, e := range tt.events {
				evs.ch <- e
			}
			close(evs.ch) // the loop ends at ErrClosed once all are handled
			fc := &fakeCalls{}
			store := &fakeStore{failures: tt.failures}
			m := &countingMetrics{types: map[string]int{}}
			if err := pipeline.New(config(evs, fc, store, tt.pbx, m)).Run(context.Background()); err != nil {
				t.Fatalf("run: %v", err)
			}
			if diff := cmp.Diff(tt.wantStored, store.snapshot()); diff != "" {
				t.Errorf("stored (-want +got):\n%s", diff)
			}
			if len(fc.reconciled) != tt.wantResync {
				t.Errorf("reconciled %d times, want %d", len(fc.reconciled), tt.wantResync)
			}
			if diff := cmp.Diff(tt.wantCounts, m.types); diff != "" {
				t.Errorf("call event metrics (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLoopExpires checks that ended calls are expired on schedule even
// when no event arrives, and that cancelling stops the loop.
func TestLoopExpires(t *testing.T) {
	evs := &fakeEvents{ch: make(chan amiclient.Event)}
	fc := &fakeCalls{}
	cfg := config(evs, fc, &fakeStore{}, fakePBX{}, &countingMetrics{types: map[string]int{}})
	cfg.ExpireEvery = 5 * time.Millisecond
	l := pipeline.New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	eventually(t, 5*time.Second, "two expiries", func() bool {
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
	evs := &fakeEvents{ch: make(chan amiclient.Event, 1)}
	evs.ch <- event("call.ringing", "e1")
	store := &fakeStore{failures: 1 << 30}
	cfg := config(evs, &fakeCalls{}, store, fakePBX{}, &countingMetrics{types: map[string]int{}})
	cfg.RetryMax = time.Hour // only cancellation can end the wait
	l := pipeline.New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	eventually(t, 5*time.Second, "retries", func() bool {
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
	case <-time.After(5 * time.Second):
		t.Fatal("loop did not stop")
	}
}

// TestLoopBatches checks that call events of queued AMI events are
// stored in one Publish, and that a resync splits the batch so that order
// holds.
func TestLoopBatches(t *testing.T) {
	queued := []amiclient.Event{
		event("call.ringing", "e1"), event("Newstate", ""), event("call.answered", "e2"), event("call.ended", "e3"),
		{Kind: amiclient.KindConnected},
		event("call.ringing", "e4"), event("call.ended", "e5"),
	}
	evs := &fakeEvents{ch: make(chan amiclient.Event, len(queued))}
	for _, e := range queued {
		evs.ch <- e
	}
	close(evs.ch)
	store := &fakeStore{}
	l := pipeline.New(config(evs, &fakeCalls{}, store, fakePBX{}, &countingMetrics{types: map[string]int{}}))
	if err := l.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"e1", "e2", "e3"}, {"evt_reconciled"}, {"e4", "e5"}}
	if diff := cmp.Diff(want, store.batches); diff != "" {
		t.Errorf("batches (-want +got):\n%s", diff)
	}
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
