package amiclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/amigate/amigate/internal/ami"
)

// idleClient is a client that never connects, enough to test
// subscriptions on their own.
func idleClient(t *testing.T, met Metrics) *Client {
	cfg := testConfig(t, "127.0.0.1:1")
	cfg.Logger = discardLogger
	cfg.Metrics = met
	cfg.Dial = func(ctx context.Context, _, _ string) (net.Conn, error) { <-ctx.Done(); return nil, ctx.Err() }
	return start(t, cfg)
}

func evs(from, n int) []Event {
	out := make([]Event, n)
	for i := range out {
		out[i] = Event{Kind: KindEvent, Message: ami.Message{Fields: []ami.Field{{Name: "Event", Value: fmt.Sprint(from + i)}}}}
	}
	return out
}

// take returns what Next hands out until the queue is empty.
func take(t *testing.T, s *Subscription) []string {
	t.Helper()
	var out []string
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		ev, err := s.Next(ctx)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if ev.Kind == KindEvent {
			out = append(out, ev.Message.Event())
		} else {
			out = append(out, ev.Kind.String())
		}
	}
}

func TestSubscriptionPolicies(t *testing.T) {
	const size = len("Event") + len("0") + ami.FieldCost // each of evs' messages, as ami.Message.Size counts it
	tests := []struct {
		name    string
		opts    SubscribeOptions
		batches []int // sizes of the batches pushed
		want    []string
		dropped int64
	}{
		{"lossless keeps all", SubscribeOptions{Lossless: true, MaxBuffer: 100}, []int{3, 4},
			[]string{"0", "1", "2", "3", "4", "5", "6"}, 0},
		{"lossless overflow discards the backlog", SubscribeOptions{Lossless: true, MaxBuffer: 5}, []int{3, 3, 2},
			[]string{"overflow", "6", "7"}, 6},
		{"lossless bytes bound discards the backlog", SubscribeOptions{Lossless: true, MaxBufferBytes: 5 * size}, []int{3, 3, 2},
			[]string{"overflow", "6", "7"}, 6},
		{"lossless bytes bound holds exactly", SubscribeOptions{Lossless: true, MaxBufferBytes: 5 * size}, []int{3, 2},
			[]string{"0", "1", "2", "3", "4"}, 0},
		{"drop oldest", SubscribeOptions{Buffer: 3, Policy: DropOldest}, []int{2, 3},
			[]string{"2", "3", "4"}, 2},
		{"drop newest", SubscribeOptions{Buffer: 3, Policy: DropNewest}, []int{2, 3},
			[]string{"0", "1", "2"}, 2},
		{"bounded, enough room", SubscribeOptions{Buffer: 10}, []int{2, 3},
			[]string{"0", "1", "2", "3", "4"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			met := newFakeMetrics()
			c := idleClient(t, met)
			s := c.Subscribe(tc.opts)
			n := 0
			for _, b := range tc.batches {
				s.push(evs(n, b))
				n += b
			}
			if got := take(t, s); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			if got := s.Dropped(); got != tc.dropped {
				t.Errorf("Dropped: got %d, want %d", got, tc.dropped)
			}
			met.mu.Lock()
			if int64(met.dropped) != tc.dropped {
				t.Errorf("metrics dropped: got %d, want %d", met.dropped, tc.dropped)
			}
			met.mu.Unlock()
		})
	}
}

// TestSubscriptionBytesTaken: what Next has taken no longer counts
// against the byte bound.
func TestSubscriptionBytesTaken(t *testing.T) {
	const size = len("Event") + len("0") + ami.FieldCost
	c := idleClient(t, nil)
	s := c.Subscribe(SubscribeOptions{Lossless: true, MaxBufferBytes: 4 * size})
	s.push(evs(0, 3))
	if got := take(t, s); len(got) != 3 {
		t.Fatalf("took %v, want 3 events", got)
	}
	s.push(evs(3, 3))
	if got := take(t, s); fmt.Sprint(got) != "[3 4 5]" || s.Dropped() != 0 {
		t.Fatalf("took %v with %d dropped, want [3 4 5] and none", got, s.Dropped())
	}
}

// TestSubscriptionBytesInHand: the batch Next is handing out counts
// against the byte bound until it is drained, so a consumer that falls
// behind does not hold a second backlog; that batch is still delivered
// whole, the overflow after it.
func TestSubscriptionBytesInHand(t *testing.T) {
	const size = len("Event") + len("0") + ami.FieldCost
	c := idleClient(t, nil)
	s := c.Subscribe(SubscribeOptions{Lossless: true, MaxBufferBytes: 4 * size})
	s.push(evs(0, 3))
	ctx := ctxT(t, 5*time.Second)
	if ev, err := s.Next(ctx); err != nil || ev.Message.Event() != "0" {
		t.Fatalf("first: %v %v", ev.Message.Event(), err)
	}
	s.push(evs(3, 2)) // 2 queued + 3 in hand > 4
	if got := take(t, s); fmt.Sprint(got) != "[1 2 overflow]" || s.Dropped() != 2 {
		t.Fatalf("took %v with %d dropped, want [1 2 overflow] and 2", got, s.Dropped())
	}
	s.push(evs(5, 4)) // drained: the whole bound is free again
	if got := take(t, s); fmt.Sprint(got) != "[5 6 7 8]" || s.Dropped() != 2 {
		t.Fatalf("took %v with %d dropped, want [5 6 7 8] and still 2", got, s.Dropped())
	}
}

// TestSubscriptionInterleaved: pushes while the consumer holds a batch
// keep the order, and the consumer's drained arrays are reused.
func TestSubscriptionInterleaved(t *testing.T) {
	c := idleClient(t, nil)
	s := c.Subscribe(SubscribeOptions{Lossless: true})
	ctx := ctxT(t, 5*time.Second)
	next := 0
	for round := range 50 {
		s.push(evs(round*4, 4))
		for range 3 { // leave one behind each round
			ev, err := s.Next(ctx)
			if err != nil || ev.Message.Event() != fmt.Sprint(next) {
				t.Fatalf("got %v %v, want %d", ev.Message.Event(), err, next)
			}
			next++
		}
	}
	for next < 200 {
		ev, err := s.Next(ctx)
		if err != nil || ev.Message.Event() != fmt.Sprint(next) {
			t.Fatalf("got %v %v, want %d", ev.Message.Event(), err, next)
		}
		next++
	}
}

func TestSubscriptionClose(t *testing.T) {
	c := idleClient(t, nil)
	s := c.Subscribe(SubscribeOptions{})
	s.push(evs(0, 2))
	done := make(chan error)
	s2 := c.Subscribe(SubscribeOptions{})
	go func() { _, err := s2.Next(context.Background()); done <- err }()
	s2.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("blocked Next after Close: got %v, want ErrClosed", err)
	}
	s.Close()
	s.Close()
	if _, err := s.Next(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Next after Close: got %v, want ErrClosed (queue dropped)", err)
	}
	c.subMu.Lock()
	n := len(c.subs)
	c.subMu.Unlock()
	if n != 0 {
		t.Fatalf("%d subscriptions still registered", n)
	}
	c.Close()
	if _, err := c.Subscribe(SubscribeOptions{}).Next(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Subscribe after Close: Next got %v, want ErrClosed", err)
	}
}

// TestSlowSubscriberDoesNotBlockReader: a bounded subscriber that never
// reads loses events (counted), while a lossless one and the connection
// keep going.
func TestSlowSubscriberDoesNotBlockReader(t *testing.T) {
	payload, names := recordedEvents(t)
	srv := floodServer(t, payload)
	met := newFakeMetrics()
	cfg := testConfig(t, srv.Addr())
	cfg.Events, cfg.Logger, cfg.Metrics = "off", discardLogger, met
	c := start(t, cfg)
	waitReady(t, c)
	stuck := c.Subscribe(SubscribeOptions{Name: "stuck", Buffer: 10, Policy: DropNewest})
	all := c.Subscribe(SubscribeOptions{Name: "all", Lossless: true})
	ctx := ctxT(t, 10*time.Second)
	if _, err := c.Send(ctx, ami.NewAction("Flood").Add("Rounds", "3")); err != nil {
		t.Fatal(err)
	}
	want := 3 * len(names)
	for n := 0; n < want; {
		ev, err := all.Next(ctx)
		if err != nil {
			t.Fatalf("after %d events: %v", n, err)
		}
		if ev.Kind == KindEvent {
			n++
		}
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if got := stuck.Dropped(); got != int64(want-9) { // 10 minus the KindConnected
		t.Errorf("stuck subscriber dropped %d, want %d", got, want-9)
	}
	met.mu.Lock()
	defer met.mu.Unlock()
	if met.events != want {
		t.Errorf("metrics events: got %d, want %d", met.events, want)
	}
}
