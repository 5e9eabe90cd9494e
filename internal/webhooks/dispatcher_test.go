package webhooks

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/amigate/amigate"
)

func TestDeliversSignedInOrder(t *testing.T) {
	rcv := newReceiver(t, testSecret2)
	rcv2 := newReceiver(t, testSecret)
	m := &fakeMetrics{}
	cfg := testConfig(t, ConfigSubscription{URL: rcv.srv.URL + "/hook", Secret: testSecret + " " + testSecret2})
	cfg.Metrics = m
	cfg.Subscriptions = append(cfg.Subscriptions, ConfigSubscription{URL: rcv2.srv.URL, Secret: testSecret, Events: []string{amigate.EventCallEnded}})
	d := open(t, cfg)
	evs := events("a", 5, 8)
	publish(t, d, evs)
	waitFor(t, "all events delivered", 10*time.Second, func() bool { return len(rcv.distinct()) == len(evs) })
	rcv.checkOrder(t)
	// The second subscription wants only call.ended.
	ended := 0
	for _, e := range evs {
		if e.Type == amigate.EventCallEnded {
			ended++
		}
	}
	if ended == 0 {
		t.Fatal("no call.ended among the events")
	}
	waitFor(t, "filtered events delivered", 10*time.Second, func() bool { return len(rcv2.distinct()) == ended })
	for _, g := range func() []got { a, _, _ := rcv2.snapshot(); return a }() {
		if g.Event.Type != amigate.EventCallEnded {
			t.Errorf("filtered subscription got %s", g.Event.Type)
		}
	}
	rcv2.checkOrder(t)
	waitFor(t, "metrics", time.Second, func() bool { return m.count(OutcomeDelivered) == len(evs)+ended })
}

func TestReceiverDownThenUp(t *testing.T) {
	rcv := newReceiver(t, testSecret)
	rcv.setStatus(func(amigate.CallEvent) int { return http.StatusServiceUnavailable })
	m := &fakeMetrics{}
	cfg := testConfig(t, ConfigSubscription{URL: rcv.srv.URL, Secret: testSecret})
	cfg.Schedule = []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond, 80 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond}
	cfg.Metrics = m
	d := open(t, cfg)
	evs := events("down", 6, 5)
	publish(t, d, evs[:15])
	waitFor(t, "retries while down", 5*time.Second, func() bool { return m.count(OutcomeRetry) >= 12 })
	publish(t, d, evs[15:])
	rcv.setStatus(func(amigate.CallEvent) int { return http.StatusOK })
	waitFor(t, "every event delivered", 10*time.Second, func() bool { return len(rcv.distinct()) == len(evs) })
	rcv.checkOrder(t)
	if n := m.count(OutcomeDead); n != 0 {
		t.Errorf("got %d dead, want 0", n)
	}
}

// TestCallOrderUnderRetry makes one call's first event fail a few times:
// its later events wait, other calls are not held up.
func TestCallOrderUnderRetry(t *testing.T) {
	rcv := newReceiver(t, testSecret)
	fails := 3
	var failed int
	rcv.setStatus(func(ev amigate.CallEvent) int {
		if ev.ID == "evt_o-call0_1" && failed < fails {
			failed++ // serve runs one request at a time for this event: it is the head of its call
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	cfg := testConfig(t, ConfigSubscription{URL: rcv.srv.URL, Secret: testSecret})
	cfg.Schedule = []time.Duration{100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond}
	d := open(t, cfg)
	evs := events("o", 3, 4)
	publish(t, d, evs)
	waitFor(t, "all delivered", 10*time.Second, func() bool { return len(rcv.distinct()) == len(evs) })
	rcv.checkOrder(t)
	acc, _, _ := rcv.snapshot()
	// Other calls finished before call0's first event got through.
	var call0First, othersLast int
	for i, g := range acc {
		if g.Event.ID == "evt_o-call0_1" {
			call0First = i
		} else if g.Event.Call.ID != "o-call0" {
			othersLast = i
		}
	}
	if othersLast > call0First {
		t.Errorf("other calls waited for call0's retries: last other at %d, call0 first at %d", othersLast, call0First)
	}
	// The outcome is recorded after the receiver has the event.
	r := waitRecord(t, d, configID(rcv.srv.URL, []string{"*"}), "evt_o-call0_1", func(r amigate.Delivery) bool { return r.Delivered })
	if r.Attempts != fails+1 {
		t.Errorf("delivery record %+v: want %d attempts, delivered", r, fails+1)
	}
}

func TestDeadThenNextEventOfCall(t *testing.T) {
	rcv := newReceiver(t, testSecret)
	rcv.setStatus(func(ev amigate.CallEvent) int {
		if ev.Sequence == 1 {
			return http.StatusBadGateway
		}
		return http.StatusOK
	})
	m := &fakeMetrics{}
	cfg := testConfig(t, ConfigSubscription{URL: rcv.srv.URL, Secret: testSecret})
	cfg.Schedule = []time.Duration{5 * time.Millisecond, 5 * time.Millisecond}
	cfg.Metrics = m
	d := open(t, cfg)
	publish(t, d, events("dead", 1, 2))
	waitFor(t, "second event delivered", 5*time.Second, func() bool { return len(rcv.distinct()) == 1 })
	id := configID(rcv.srv.URL, []string{"*"})
	recs, err := listDeliveries(context.Background(), d, id)
	if err != nil {
		t.Fatal(err)
	}
	var dead *amigate.Delivery
	for i := range recs {
		if recs[i].EventID == "evt_dead-call0_1" {
			dead = &recs[i]
		}
	}
	if dead == nil || !dead.Dead || dead.Attempts != 3 || dead.StatusCode != http.StatusBadGateway || !strings.HasPrefix(dead.Error, "HTTP 502") {
		t.Fatalf("dead delivery: got %+v, want dead after 3 attempts with 502", dead)
	}
	if m.count(OutcomeDead) != 1 || m.count(OutcomeRetry) != 2 {
		t.Errorf("metrics: got dead=%d retry=%d, want 1 and 2", m.count(OutcomeDead), m.count(OutcomeRetry))
	}

	// A manual retry sends it again now.
	rcv.setStatus(func(amigate.CallEvent) int { return http.StatusOK })
	if err := d.Retry(context.Background(), id, "evt_dead-call0_1"); err != nil {
		t.Fatalf("Retry: %v", err)
	}
	if n := rcv.distinct()["evt_dead-call0_1"]; n != 1 {
		t.Errorf("after Retry: got %d deliveries, want 1", n)
	}
	recs, _ = listDeliveries(context.Background(), d, id)
	for _, r := range recs {
		if r.EventID == "evt_dead-call0_1" && (!r.Delivered || r.Dead || r.Attempts != 4) {
			t.Errorf("after Retry: got %+v, want delivered after 4 attempts", r)
		}
	}
	if err := d.Retry(context.Background(), id, "evt_unknown"); !errorsIs(err, amigate.ErrNotFound) {
		t.Errorf("Retry unknown event: got %v, want ErrNotFound", err)
	}
	if err := d.Retry(context.Background(), "wh_nope", "evt_dead-call0_1"); !errorsIs(err, amigate.ErrNotFound) {
		t.Errorf("Retry unknown subscription: got %v, want ErrNotFound", err)
	}
}

func TestDedupByEventID(t *testing.T) {
	rcv := newReceiver(t, testSecret)
	d := open(t, testConfig(t, ConfigSubscription{URL: rcv.srv.URL, Secret: testSecret}))
	evs := events("dup", 2, 3)
	publish(t, d, evs)
	publish(t, d, evs)
	publish(t, d, events("dup-after", 1, 1))
	// The later event goes out after the earlier ones of the stream were handed out.
	waitFor(t, "delivered", 5*time.Second, func() bool { return rcv.distinct()["evt_dup-after-call0_1"] == 1 })
	waitFor(t, "settled", 5*time.Second, func() bool { return settled(t, d) })
	for id, n := range rcv.distinct() {
		if n != 1 {
			t.Errorf("%s delivered %d times, want 1", id, n)
		}
	}
	if n := len(rcv.distinct()); n != len(evs)+1 {
		t.Errorf("got %d events, want %d", n, len(evs)+1)
	}
}

// settled reports whether every local subscription has delivered all.
func settled(t testing.TB, d *Dispatcher) bool {
	n, _ := d.backlog()
	return n == 0
}

func TestPublishRejects(t *testing.T) {
	d := open(t, testConfig(t))
	ev := events("x", 1, 1)[0]
	bad := ev
	bad.Type = "call.exploded"
	if err := d.Publish(context.Background(), []amigate.CallEvent{bad}); !errorsIs(err, amigate.ErrInvalid) {
		t.Errorf("unknown type: got %v, want ErrInvalid", err)
	}
	for _, id := range []string{"", "evt\r\nX-Injected: 1", "evt 1", "evt\x00", strings.Repeat("x", 201)} {
		bad = ev
		bad.ID = id
		if err := d.Publish(context.Background(), []amigate.CallEvent{bad}); !errorsIs(err, amigate.ErrInvalid) {
			t.Errorf("id %q: got %v, want ErrInvalid", id, err)
		}
	}
	if err := d.Ready(); err != nil {
		t.Errorf("Ready: %v", err)
	}
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(context.Background()); !errorsIs(err, ErrClosed) {
		t.Errorf("second Close: got %v, want ErrClosed", err)
	}
	if err := d.Publish(context.Background(), []amigate.CallEvent{ev}); !errorsIs(err, ErrClosed) {
		t.Errorf("Publish after Close: got %v, want ErrClosed", err)
	}
}

// TestCloseLeavesNoGoroutines checks that Close stops and waits for
// everything the dispatcher started: workers, retries in their backoff,
// watchers, the embedded server and idle HTTP connections.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	rcv := newReceiver(t, testSecret)
	rcv.setStatus(func(ev amigate.CallEvent) int {
		if ev.Sequence == 2 {
			return http.StatusInternalServerError // leaves a retry pending at Close
		}
		return http.StatusOK
	})
	m := &fakeMetrics{}
	cfg := testConfig(t, ConfigSubscription{URL: rcv.srv.URL, Secret: testSecret})
	cfg.Schedule = []time.Duration{time.Hour}
	cfg.Metrics = m
	d, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	publish(t, d, events("leak", 3, 3))
	waitFor(t, "first events delivered and retries pending", 5*time.Second, func() bool {
		return len(rcv.distinct()) == 3 && m.count(OutcomeRetry) == 3
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	rcv.srv.Close()
}

func TestDeliveriesNewestFirst(t *testing.T) {
	rcv := newReceiver(t, testSecret)
	var shift atomic.Int64
	cfg := testConfig(t, ConfigSubscription{URL: rcv.srv.URL, Secret: testSecret})
	cfg.Now = func() time.Time { return time.Now().Add(time.Duration(shift.Load())) }
	d := open(t, cfg)
	evs := events("many", 30, 4)
	publish(t, d, evs)
	waitFor(t, "all delivered", 10*time.Second, func() bool { return len(rcv.distinct()) == len(evs) })
	// The receiver has every event before the last outcomes are recorded:
	// wait until the listing shows them all delivered.
	var recs []amigate.Delivery
	waitFor(t, "every outcome recorded", 10*time.Second, func() bool {
		var err error
		recs, err = listDeliveries(context.Background(), d, configID(rcv.srv.URL, []string{"*"}))
		if err != nil {
			return false
		}
		for _, r := range recs {
			if !r.Delivered {
				return false
			}
		}
		return true
	})
	if len(recs) != DefaultDeliveries {
		t.Fatalf("got %d deliveries, want %d", len(recs), DefaultDeliveries)
	}
	for i, r := range recs {
		if !r.Delivered || r.Attempts != 1 || r.StatusCode != http.StatusNoContent {
			t.Errorf("record %d: got %+v, want delivered at the first attempt", i, r)
		}
		if i > 0 && r.UpdatedAt.After(recs[i-1].UpdatedAt) {
			t.Errorf("record %d is newer than record %d", i, i-1)
		}
	}
	// Two hours later nothing was updated in the last hour: the listing
	// widens its window and still shows them.
	shift.Store(int64(2 * time.Hour))
	later, err := listDeliveries(context.Background(), d, configID(rcv.srv.URL, []string{"*"}))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(recs, later); diff != "" {
		t.Errorf("two hours later (-before +after):\n%s", diff)
	}
}
