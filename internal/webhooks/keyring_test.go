package webhooks

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/webhooks/signature"
)

// signed is one request as it arrived, to be verified later against
// any secret and any clock.
type signed struct {
	id, ts, sig string
	body        []byte
}

// rawReceiver records requests without judging them, answering status.
type rawReceiver struct {
	srv    *httptest.Server
	status atomic.Int32
	mu     sync.Mutex
	got    []signed
}

func newRawReceiver(t *testing.T) *rawReceiver {
	r := &rawReceiver{}
	r.status.Store(http.StatusNoContent)
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, signed{req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp"), req.Header.Get("webhook-signature"), body})
		r.mu.Unlock()
		w.WriteHeader(int(r.status.Load()))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// find returns the last request with this webhook-id.
func (r *rawReceiver) find(id string) (signed, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.got) - 1; i >= 0; i-- {
		if r.got[i].id == id {
			return r.got[i], true
		}
	}
	return signed{}, false
}

func (s signed) verify(secret string, now time.Time) error {
	return signature.Verify(secret, s.id, s.ts, s.sig, s.body, now)
}

// TestRotateSecret: after a rotation both secrets sign every delivery,
// pings and retries included, until the grace period ends on the
// dispatcher's clock; then only the new one does. No sleeping: the clock
// is the test's.
func TestRotateSecret(t *testing.T) {
	rcv := newRawReceiver(t)
	var now atomic.Int64
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	now.Store(t0.UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	cfg := testConfig(t)
	cfg.Now = clock
	d := open(t, cfg)
	ctx := context.Background()
	sub, err := d.Create(ctx, amigate.SubscriptionRequest{URL: rcv.srv.URL, Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := d.Patch(ctx, sub.ID, amigate.SubscriptionPatch{RotateSecret: true})
	if err != nil {
		t.Fatal(err)
	}
	newSecret := rotated.Secret
	if _, err := signature.ParseSecret(newSecret); err != nil || newSecret == testSecret {
		t.Fatalf("rotated secret %q: %v", newSecret, err)
	}
	if e := rotated.PreviousSecretExpiresAt; e == nil || !e.Equal(t0.Add(DefaultSecretGrace)) {
		t.Errorf("previous secret expires at %v, want %v", e, t0.Add(DefaultSecretGrace))
	}
	if got, _ := d.Get(ctx, sub.ID); got.Secret != "" {
		t.Errorf("Get shows the secret")
	}
	// Deliveries follow the record once this instance's worker took it up.
	waitFor(t, "worker with the new secret", 5*time.Second, func() bool {
		w := d.worker(sub.ID)
		return w != nil && w.target.Load().rec.Secret == newSecret
	})

	check := func(what, id string, at time.Time, oldOK bool) {
		t.Helper()
		var s signed
		waitFor(t, what+" received", 5*time.Second, func() bool { var ok bool; s, ok = rcv.find(id); return ok })
		if n := len(strings.Fields(s.sig)); oldOK && n != 2 || !oldOK && n != 1 {
			t.Errorf("%s: %d signatures (%q)", what, n, s.sig)
		}
		if err := s.verify(newSecret, at); err != nil {
			t.Errorf("%s: the new secret does not verify: %v", what, err)
		}
		if err := s.verify(testSecret, at); oldOK && err != nil || !oldOK && !errors.Is(err, signature.ErrMismatch) {
			t.Errorf("%s: the previous secret: got %v, want it to verify: %v", what, err, oldOK)
		}
	}

	evs := events("rot", 1, 2)
	publish(t, d, evs[:1])
	check("event during the grace", evs[0].ID, t0, true)
	res, err := d.Test(ctx, sub.ID)
	if err != nil || !res.Delivered {
		t.Fatalf("Test: %+v, %v", res, err)
	}
	check("ping during the grace", res.EventID, t0, true)

	end := t0.Add(DefaultSecretGrace)
	now.Store(end.UnixNano())
	publish(t, d, evs[1:])
	check("event after the grace", evs[1].ID, end, false)
	if res, err = d.Test(ctx, sub.ID); err != nil || !res.Delivered {
		t.Fatalf("Test: %+v, %v", res, err)
	}
	check("ping after the grace", res.EventID, end, false)
	if err := d.Retry(ctx, sub.ID, evs[0].ID); err != nil {
		t.Fatal(err)
	}
	check("retry after the grace", evs[0].ID, end, false)

	// A patch after the grace forgets the previous secret; a rotation
	// without grace signs with the new secret alone at once.
	zero := time.Duration(0)
	again, err := d.Patch(ctx, sub.ID, amigate.SubscriptionPatch{RotateSecret: true, SecretGrace: &zero})
	if err != nil || again.PreviousSecretExpiresAt != nil {
		t.Fatalf("rotation without grace: %+v, %v", again, err)
	}
	rec, _ := d.record(ctx, sub.ID)
	if rec.PrevSecret != "" || rec.Secret != again.Secret {
		t.Errorf("stored after a rotation without grace: previous %q", rec.PrevSecret)
	}
	if res, err = d.Test(ctx, sub.ID); err != nil {
		t.Fatal(err)
	}
	s, _ := rcv.find(res.EventID)
	if err := s.verify(again.Secret, end); err != nil || len(strings.Fields(s.sig)) != 1 {
		t.Errorf("ping after a rotation without grace: %q: %v", s.sig, err)
	}
}
