package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amiclient"
	"github.com/amigate/amigate/internal/pipeline"
)

// fakeEvents is a lossless subscription: it hands out queued events, then
// waits until ctx ends; once closed, NextFrame returns amiclient.ErrClosed
// when the queue is empty. Like the real one, a queued event is returned
// even when ctx is done, and a KindEvent comes as a frame written over the
// previous one, so a loop that kept a borrowed frame would see it change.
type fakeEvents struct {
	mu     sync.Mutex
	q      []amiclient.Event
	closed bool
	wake   chan struct{}
	frame  []byte
}

func newEvents(evs ...amiclient.Event) *fakeEvents {
	return &fakeEvents{q: evs, wake: make(chan struct{}, 1)}
}

func (f *fakeEvents) push(evs ...amiclient.Event) {
	f.mu.Lock()
	f.q = append(f.q, evs...)
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// close makes Next fail with ErrClosed once the queue is empty.
func (f *fakeEvents) close() {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	f.push()
}

func (f *fakeEvents) NextFrame(ctx context.Context) (amiclient.Event, ami.Frame, error) {
	for {
		f.mu.Lock()
		if len(f.q) > 0 {
			ev := f.q[0]
			f.q = f.q[1:]
			f.mu.Unlock()
			if ev.Kind != amiclient.KindEvent {
				return ev, nil, nil
			}
			clear(f.frame) // what a kept frame would now hold
			f.frame = append(f.frame[:0], ev.Message.String()...)
			ev.Message = ami.Message{}
			return ev, f.frame, nil
		}
		closed := f.closed
		f.mu.Unlock()
		if closed {
			return amiclient.Event{}, nil, amiclient.ErrClosed
		}
		select {
		case <-f.wake:
		case <-ctx.Done():
			return amiclient.Event{}, nil, ctx.Err()
		}
	}
}

// fakeCalls turns an AMI event with an Emit field into one call event of
// the event's name as type, and records in log, in order, the events it
// handled and the reconciles ("RECONCILE").
type fakeCalls struct {
	mu      sync.Mutex
	log     []string
	expired int
}

// Wants every event but Newexten.
func (f *fakeCalls) Wants(fr ami.Frame) bool { return string(fr.Event()) != "Newexten" }

func (f *fakeCalls) Handle(m ami.Message, readAt time.Time) []amigate.CallEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, m.Event())
	if m.Get("Emit") == "" {
		return nil
	}
	return []amigate.CallEvent{{ID: m.Get("Emit"), Type: m.Event(), ReadAt: readAt}}
}

func (f *fakeCalls) Reconcile(channels []ami.Message, now time.Time) []amigate.CallEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, fmt.Sprintf("RECONCILE(%d)", len(channels)))
	return []amigate.CallEvent{{ID: "evt_reconciled", Type: amigate.EventCallEnded}}
}

func (f *fakeCalls) Expire(time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.expired++
}

func (f *fakeCalls) handled() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

// fakeStore refuses the first failures publishes, and every batch holding
// an event whose id is in invalid with amigate.ErrInvalid; it stores the
// rest.
type fakeStore struct {
	mu       sync.Mutex
	failures int
	invalid  map[string]bool
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
	for _, e := range evs {
		if f.invalid[e.ID] {
			return fmt.Errorf("event %s: %w", e.ID, amigate.ErrInvalid)
		}
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

// fakePBX answers the resync's list the way the client does: the list
// goes into the subscription as one KindList behind the events already
// queued (read before it completed), followed by after (read after it).
type fakePBX struct {
	events   *fakeEvents
	channels []ami.Message
	after    []amiclient.Event
	err      error
	// ready, when set, models the window between the login response (where
	// KindConnected sits in the stream) and FullyBooted: actions fail with
	// ErrNotReady until somebody waits for readiness.
	ready *atomic.Bool
}

func (f *fakePBX) SendListInStream(_ context.Context, a *ami.Action) (ami.Message, []ami.Message, error) {
	if f.ready != nil && !f.ready.Load() {
		return ami.Message{}, nil, amiclient.ErrNotReady
	}
	if f.err != nil {
		return ami.Message{}, nil, f.err
	}
	done := msg("Event", "CoreShowChannelsComplete", "ActionID", a.ID, "EventList", "Complete")
	list := append(append([]ami.Message(nil), f.channels...), done)
	f.events.push(amiclient.Event{Kind: amiclient.KindList, Message: done, List: list})
	f.events.push(f.after...)
	return ami.Message{}, list, nil
}

func (f *fakePBX) WaitReady(context.Context) error {
	if f.ready != nil {
		f.ready.Store(true)
	}
	return nil
}

type countingMetrics struct {
	mu      sync.Mutex
	types   map[string]int
	invalid map[string]int
}

func newMetrics() *countingMetrics {
	return &countingMetrics{types: map[string]int{}, invalid: map[string]int{}}
}

func (c *countingMetrics) CallEvent(typ string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.types[typ]++
}

func (c *countingMetrics) CallEventInvalid(typ string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.invalid[typ]++
}

func msg(kv ...string) ami.Message {
	var m ami.Message
	for i := 0; i+1 < len(kv); i += 2 {
		m.Add(kv[i], kv[i+1])
	}
	return m
}

// event is an AMI event named name; with emit, the fake correlator turns
// it into one call event with that id.
func event(name, emit string) amiclient.Event {
	m := msg("Event", name)
	if emit != "" {
		m.Add("Emit", emit)
	}
	return amiclient.Event{Kind: amiclient.KindEvent, Message: m, ReadAt: time.Unix(1, 0)}
}

// config is a loop's configuration over fakes, with short retries.
func config(evs *fakeEvents, calls *fakeCalls, store pipeline.Store, pbx *fakePBX, m *countingMetrics) pipeline.Config {
	if pbx == nil {
		pbx = &fakePBX{}
	}
	pbx.events = evs
	return pipeline.Config{
		Events: evs, PBX: pbx, Correlator: calls, Store: store, Metrics: m,
		Logger:      slog.New(slog.DiscardHandler),
		ExpireEvery: time.Hour, ResyncTimeout: time.Second,
		RetryMin: time.Millisecond, RetryMax: 4 * time.Millisecond, PublishTimeout: time.Second,
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
