package tests

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// event is a webhook body as a CRM reads it.
type event struct {
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	OccurredAt time.Time `json:"occurred_at"`
	Sequence   int64     `json:"sequence"`
	Call       call      `json:"call"`
	Agent      *agent    `json:"agent"`
	Transfer   *transfer `json:"transfer"`
	Campaign   *struct {
		ID    string `json:"id"`
		State string `json:"state"`
	} `json:"campaign"`
	Contact *struct {
		Index   int    `json:"index"`
		Outcome string `json:"outcome"`
		CallID  string `json:"call_id"`
	} `json:"contact"`
}

type transfer struct {
	FromExtension string `json:"from_extension"`
	ToExtension   string `json:"to_extension"`
	ToNumber      string `json:"to_number"`
	ToE164        string `json:"to_e164"`
	Mode          string `json:"mode"`
}

// delivery is one POST the receiver accepted.
type delivery struct {
	WebhookID string
	Event     event
}

// receiver is a CRM's webhook endpoint on 127.0.0.1: it verifies every
// request's signature with the independent verifier and records the
// accepted ones. While down it answers 503 to everything, as a CRM that is
// being deployed would.
type receiver struct {
	t testing.TB // the test that waits fail
	*endpoint
}

// endpoint is the receiver's state, shared by its views for subtests.
type endpoint struct {
	srv    *httptest.Server
	Secret string
	v      *verifier

	mu      sync.Mutex
	down    bool
	got     []delivery
	refused int // attempts answered 503 while down
	hold    func(event) bool
	held    []delivery // requests held open (see holdWhile)
	bad     []string   // requests that failed verification or decoding
	changed chan struct{}
}

// newReceiver starts a receiver with a fresh whsec_ secret; the test fails
// at cleanup if any request carried a bad signature or body.
func newReceiver(t testing.TB) *receiver {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	r := &receiver{t: t, endpoint: &endpoint{Secret: "whsec_" + base64.StdEncoding.EncodeToString(key), changed: make(chan struct{})}}
	v, err := newVerifier(r.Secret)
	if err != nil {
		t.Fatal(err)
	}
	r.v = v
	r.srv = httptest.NewServer(http.HandlerFunc(r.serveHTTP))
	t.Cleanup(func() {
		r.srv.Close()
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, b := range r.bad {
			t.Errorf("receiver: %s", b)
		}
	})
	return r
}

// with returns a view of the receiver whose waits fail t: for subtests.
func (r *receiver) with(t testing.TB) *receiver { return &receiver{t: t, endpoint: r.endpoint} }

// URL is where the service delivers.
func (r *receiver) URL() string { return r.srv.URL + "/hooks/asterisk" }

// env configures the service with this receiver as its one subscription.
func (r *receiver) env() []string {
	return []string{"AMIGATE_WEBHOOK_URL=" + r.URL(), "AMIGATE_WEBHOOK_SECRET=" + r.Secret}
}

func (r *receiver) serveHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.notifyLocked()
	if r.down {
		r.refused++
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	fail := func(format string, args ...any) {
		r.bad = append(r.bad, fmt.Sprintf(format, args...))
		http.Error(w, "bad", http.StatusBadRequest)
	}
	switch {
	case err != nil:
		fail("reading body: %v", err)
		return
	case req.Method != http.MethodPost || req.URL.Path != "/hooks/asterisk":
		fail("%s %s, want POST /hooks/asterisk", req.Method, req.URL.Path)
		return
	case !strings.HasPrefix(req.Header.Get("Content-Type"), "application/json"):
		fail("content-type %q", req.Header.Get("Content-Type"))
		return
	case !strings.HasPrefix(req.Header.Get("User-Agent"), "amigate/"):
		fail("user-agent %q", req.Header.Get("User-Agent"))
		return
	}
	if err := r.v.verify(req.Header, body); err != nil {
		fail("webhook %s: %v", req.Header.Get("webhook-id"), err)
		return
	}
	var ev event
	if err := json.Unmarshal(body, &ev); err != nil {
		fail("webhook body %q: %v", body, err)
		return
	}
	id := req.Header.Get("webhook-id")
	if ev.ID != id {
		fail("body id %q, header webhook-id %q", ev.ID, id)
		return
	}
	if r.hold != nil && r.hold(ev) {
		// Keep the request open, answered by nobody, until the sender
		// goes away: a delivery in flight when the service dies.
		r.held = append(r.held, delivery{WebhookID: id, Event: ev})
		r.notifyLocked()
		r.mu.Unlock()
		<-req.Context().Done()
		r.mu.Lock()
		return
	}
	r.got = append(r.got, delivery{WebhookID: id, Event: ev})
	w.WriteHeader(http.StatusNoContent)
}

// holdWhile makes the receiver keep open, unanswered, each request whose
// event satisfies f (nil: none), until the sender closes it.
func (r *receiver) holdWhile(f func(event) bool) {
	r.mu.Lock()
	r.hold = f
	r.mu.Unlock()
}

// heldDeliveries returns the requests held so far.
func (r *receiver) heldDeliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.held...)
}

func (r *receiver) notifyLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// setDown makes the receiver refuse (503) or accept deliveries.
func (r *receiver) setDown(down bool) {
	r.mu.Lock()
	r.down = down
	r.mu.Unlock()
}

// deliveries returns every accepted delivery in arrival order, duplicates
// included.
func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

// refusals is the number of attempts answered 503.
func (r *receiver) refusals() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refused
}

// events returns the events of one call in arrival order, each webhook-id
// once (at-least-once delivery may repeat one).
func (r *receiver) events(callID string) []event {
	var evs []event
	seen := map[string]bool{}
	for _, d := range r.deliveries() {
		if d.Event.Call.ID == callID && !seen[d.WebhookID] {
			seen[d.WebhookID] = true
			evs = append(evs, d.Event)
		}
	}
	return evs
}

// wait waits until cond holds over the deliveries so far. cond runs
// without the receiver's lock, so it may call the receiver's methods; any
// request (accepted or not) wakes it.
func (r *receiver) wait(within time.Duration, what string, cond func([]delivery) bool) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for {
		r.mu.Lock()
		snap := append([]delivery(nil), r.got...)
		ch := r.changed
		r.mu.Unlock()
		if cond(snap) {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			r.t.Fatalf("webhooks: %s: not within %v; received:\n%s", what, within, r.dump())
		}
	}
}

// waitEvent waits for the first event of a call (any call when callID is
// empty) of type typ and returns it.
func (r *receiver) waitEvent(within time.Duration, callID, typ string) event {
	r.t.Helper()
	var found event
	r.wait(within, fmt.Sprintf("%s of call %q", typ, callID), func(ds []delivery) bool {
		for _, d := range ds {
			if d.Event.Type == typ && (callID == "" || d.Event.Call.ID == callID) {
				found = d.Event
				return true
			}
		}
		return false
	})
	return found
}

// waitEnded waits for call.ended of a call and returns the call's events.
func (r *receiver) waitEnded(within time.Duration, callID string) []event {
	r.t.Helper()
	r.waitEvent(within, callID, "call.ended")
	return r.events(callID)
}

// dump lists the deliveries for a failure message.
func (r *receiver) dump() string {
	var b strings.Builder
	for _, d := range r.deliveries() {
		e := d.Event
		fmt.Fprintf(&b, "  %s %s seq=%d call=%s agent=%s state=%s disposition=%s transfer=%+v\n",
			d.WebhookID, e.Type, e.Sequence, e.Call.ID, ext(e.Agent), e.Call.State, e.Call.Disposition, e.Transfer)
	}
	return b.String()
}

func ext(a *agent) string {
	if a == nil {
		return ""
	}
	return a.Extension
}
