package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/sealed"
	"github.com/amigate/amigate/internal/webhooks/signature"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	testSecret  = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	testSecret2 = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
)

// got is one request the receiver accepted.
type got struct {
	WebhookID string
	Event     amigate.CallEvent
	At        time.Time
}

// receiver is a webhook endpoint that verifies every request as a CRM
// would and answers with status(n) for the n-th request (from 1).
type receiver struct {
	t      testing.TB
	srv    *httptest.Server
	secret string
	status atomic.Pointer[func(ev amigate.CallEvent) int]

	mu       sync.Mutex
	accepted []got
	requests int
	bad      []string
}

func newReceiver(t testing.TB, secret string) *receiver {
	r := &receiver{t: t, secret: secret}
	ok := func(amigate.CallEvent) int { return http.StatusNoContent }
	r.status.Store(&ok)
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) setStatus(f func(ev amigate.CallEvent) int) { r.status.Store(&f) }

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	var ev amigate.CallEvent
	err := json.Unmarshal(body, &ev)
	id := req.Header.Get("webhook-id")
	if err == nil {
		err = signature.Verify(r.secret, id, req.Header.Get("webhook-timestamp"), req.Header.Get("webhook-signature"), body, time.Now())
	}
	if err == nil && (id != ev.ID || req.Header.Get("content-type") != "application/json") {
		err = fmt.Errorf("webhook-id %q for event %q, content-type %q", id, ev.ID, req.Header.Get("content-type"))
	}
	status := (*r.status.Load())(ev)
	r.mu.Lock()
	r.requests++
	if err != nil {
		r.bad = append(r.bad, err.Error())
	} else if status/100 == 2 {
		r.accepted = append(r.accepted, got{WebhookID: id, Event: ev, At: time.Now()})
	}
	r.mu.Unlock()
	w.WriteHeader(status)
}

func (r *receiver) snapshot() ([]got, int, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]got(nil), r.accepted...), r.requests, append([]string(nil), r.bad...)
}

// distinct counts accepted deliveries by webhook id.
func (r *receiver) distinct() map[string]int {
	acc, _, _ := r.snapshot()
	n := make(map[string]int)
	for _, g := range acc {
		n[g.WebhookID]++
	}
	return n
}

// checkOrder fails when some call's events were first accepted out of
// sequence order, or a request failed verification.
func (r *receiver) checkOrder(t testing.TB) {
	t.Helper()
	acc, _, bad := r.snapshot()
	for _, b := range bad {
		t.Errorf("receiver rejected a request: %s", b)
	}
	seen := make(map[string]bool)
	last := make(map[string]int64)
	for _, g := range acc {
		if seen[g.WebhookID] {
			continue // a duplicate, same webhook-id: allowed
		}
		seen[g.WebhookID] = true
		if g.Event.Sequence <= last[g.Event.Call.ID] {
			t.Errorf("call %s: event %d accepted after %d", g.Event.Call.ID, g.Event.Sequence, last[g.Event.Call.ID])
		}
		last[g.Event.Call.ID] = g.Event.Sequence
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// testKeys seal the secrets of the tests' stores.
var testKeys = mustKeys(sealed.NewKeyText(), "")

func mustKeys(current, previous string) *sealed.Keys {
	k, err := sealed.New(current, previous)
	if err != nil {
		panic(err)
	}
	return k
}

// testConfig is a fast configuration against local receivers.
func testConfig(t testing.TB, subs ...ConfigSubscription) Config {
	return Config{
		Keys:            testKeys,
		Subscriptions:   subs,
		DataDir:         t.TempDir(),
		AllowPrivate:    true,
		Timeout:         2 * time.Second,
		Schedule:        []time.Duration{20 * time.Millisecond, 40 * time.Millisecond, 80 * time.Millisecond},
		Jitter:          -1,
		AckWait:         2 * time.Second,
		BacklogInterval: 50 * time.Millisecond,
		UserAgent:       "amigate/test",
	}
}

func open(t testing.TB, cfg Config) *Dispatcher {
	t.Helper()
	d, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	return d
}

// events makes n events for each of calls calls, interleaved the way a busy
// PBX interleaves them.
func events(prefix string, calls, n int) []amigate.CallEvent {
	var out []amigate.CallEvent
	for s := 1; s <= n; s++ {
		for c := 0; c < calls; c++ {
			call := fmt.Sprintf("%s-call%d", prefix, c)
			out = append(out, amigate.CallEvent{
				ID:         fmt.Sprintf("evt_%s_%d", call, s),
				Type:       amigate.EventTypes[(s-1)%len(amigate.EventTypes)],
				OccurredAt: time.Now().UTC(),
				Sequence:   int64(s),
				Call:       amigate.Call{ID: call, State: amigate.StateRinging, Channels: []amigate.Channel{}},
				ReadAt:     time.Now(),
			})
		}
	}
	return out
}

func publish(t testing.TB, d *Dispatcher, evs []amigate.CallEvent) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.Publish(ctx, evs); err != nil {
		t.Fatalf("Publish: %v", err)
	}
}

// fakeMetrics counts outcomes.
type fakeMetrics struct {
	mu       sync.Mutex
	outcomes map[string]int
	backlogs int
}

var _ Metrics = (*fakeMetrics)(nil)

func (m *fakeMetrics) DeliveryDone(outcome string, _ time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.outcomes == nil {
		m.outcomes = make(map[string]int)
	}
	m.outcomes[outcome]++
}

func (m *fakeMetrics) Backlog(int, time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.backlogs++
}

func (m *fakeMetrics) count(outcome string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.outcomes[outcome]
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// waitRecord waits until the delivery record of event on subscription id
// satisfies done, and returns it: an attempt's outcome is recorded after
// the receiver has answered, so what the receiver saw can be ahead of it.
func waitRecord(t testing.TB, d *Dispatcher, id, event string, done func(amigate.Delivery) bool) amigate.Delivery {
	t.Helper()
	var got amigate.Delivery
	waitFor(t, "the delivery record of "+event, 10*time.Second, func() bool {
		recs, err := listDeliveries(context.Background(), d, id)
		if err != nil {
			return false
		}
		for _, r := range recs {
			if r.EventID == event {
				got = r
				return done(r)
			}
		}
		return false
	})
	return got
}

// listDeliveries is the first page of a subscription's deliveries.
func listDeliveries(ctx context.Context, d *Dispatcher, id string) ([]amigate.Delivery, error) {
	p, err := d.Deliveries(ctx, id, amigate.DeliveryQuery{})
	return p.Deliveries, err
}
