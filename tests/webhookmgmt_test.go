package tests

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// pingReceiver records each request's headers and body as they came, to
// be checked later against any secret with the independent verifier.
type pingReceiver struct {
	srv *httptest.Server
	mu  sync.Mutex
	got map[string]pinged // by webhook-id
}

type pinged struct {
	header http.Header
	body   []byte
}

func newPingReceiver(t *testing.T) *pingReceiver {
	r := &pingReceiver{got: make(map[string]pinged)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got[req.Header.Get("webhook-id")] = pinged{req.Header.Clone(), body}
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *pingReceiver) request(id string) (pinged, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.got[id]
	return p, ok
}

// TestWebhookRotateAndTest drives the running binary through PATCH
// /v1/webhooks/{id} and POST /v1/webhooks/{id}/test: a ping is signed
// with the subscription's secret; after a rotation it carries the new
// secret's signature and, during the grace period, the previous one's;
// after a rotation without grace only the new one's. A disabled
// subscription can still be pinged; one from configuration cannot be
// patched (409).
func TestWebhookRotateAndTest(t *testing.T) {
	t.Parallel()
	cfgRcv := newReceiver(t)
	srv := fakeAMI(t)
	svc := startService(t, append(baseEnv(srv.Addr(), t.TempDir()), cfgRcv.env()...))
	a := newAPI(t, svc.URL, token(t, allScopes, ""))
	rcv := newPingReceiver(t)

	r := a.do(http.MethodPost, "/v1/webhooks", map[string]any{"url": rcv.srv.URL, "events": []string{"call.ended"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("POST /v1/webhooks: %d %s", r.Status, r.Body)
	}
	var sub struct {
		ID                      string  `json:"id"`
		Secret                  string  `json:"secret"`
		Disabled                bool    `json:"disabled"`
		DisabledReason          string  `json:"disabled_reason"`
		PreviousSecretExpiresAt *string `json:"previous_secret_expires_at"`
	}
	r.decode(t, &sub)
	id := sub.ID

	// ping sends a webhook.test and returns the request the receiver got.
	ping := func(what string) pinged {
		t.Helper()
		r := a.do(http.MethodPost, "/v1/webhooks/"+id+"/test", nil)
		var res struct {
			EventID    string  `json:"event_id"`
			Delivered  bool    `json:"delivered"`
			StatusCode int     `json:"status_code"`
			LatencyMS  float64 `json:"latency_ms"`
		}
		r.decode(t, &res)
		if r.Status != http.StatusOK || !res.Delivered || res.StatusCode != http.StatusNoContent || !strings.HasPrefix(res.EventID, "evt_test_") {
			t.Fatalf("%s: test ping %d %s", what, r.Status, r.Body)
		}
		p, ok := rcv.request(res.EventID)
		if !ok {
			t.Fatalf("%s: the receiver did not get ping %s", what, res.EventID)
		}
		var body struct{ ID, Type string }
		if err := json.Unmarshal(p.body, &body); err != nil || body.ID != res.EventID || body.Type != "webhook.test" {
			t.Errorf("%s: ping body %s: %v", what, p.body, err)
		}
		return p
	}
	verifies := func(what string, p pinged, secret string, want bool) {
		t.Helper()
		v, err := newVerifier(secret)
		if err != nil {
			t.Fatal(err)
		}
		err = v.verify(p.header, p.body)
		if want && err != nil || !want && !errors.Is(err, errNoSignature) {
			t.Errorf("%s: verify with the %s secret: %v, want it to verify: %v (signature %q)", what, map[bool]string{true: "expected", false: "retired"}[want], err, want, p.header.Get("webhook-signature"))
		}
	}
	patch := func(body map[string]any) (int, []byte) {
		t.Helper()
		r := a.do(http.MethodPatch, "/v1/webhooks/"+id, body)
		if r.Status == http.StatusOK {
			sub.Secret, sub.PreviousSecretExpiresAt = "", nil
			r.decode(t, &sub)
		}
		return r.Status, r.Body
	}

	first := sub.Secret
	verifies("before a rotation", ping("before a rotation"), first, true)

	if st, b := patch(map[string]any{"rotate_secret": true}); st != http.StatusOK || sub.Secret == "" || sub.Secret == first || sub.PreviousSecretExpiresAt == nil {
		t.Fatalf("PATCH rotate_secret: %d %s", st, b)
	}
	second := sub.Secret
	p := ping("during the grace")
	verifies("during the grace", p, second, true)
	verifies("during the grace", p, first, true)

	if st, b := patch(map[string]any{"rotate_secret": true, "secret_grace_seconds": 0}); st != http.StatusOK || sub.PreviousSecretExpiresAt != nil {
		t.Fatalf("PATCH rotate_secret without grace: %d %s", st, b)
	}
	third := sub.Secret
	p = ping("after a rotation without grace")
	verifies("after a rotation without grace", p, third, true)
	verifies("after a rotation without grace", p, second, false)

	if st, b := patch(map[string]any{"enabled": false}); st != http.StatusOK || !sub.Disabled || sub.DisabledReason != "operator" || sub.Secret != "" {
		t.Fatalf("PATCH enabled false: %d %s", st, b)
	}
	verifies("disabled", ping("disabled"), third, true)
	if st, b := patch(map[string]any{"enabled": true}); st != http.StatusOK || sub.Disabled {
		t.Fatalf("PATCH enabled true: %d %s", st, b)
	}
	if st, b := patch(map[string]any{}); st != http.StatusUnprocessableEntity {
		t.Errorf("empty PATCH: %d %s, want 422", st, b)
	}

	var subs []struct{ ID, Source string }
	a.do(http.MethodGet, "/v1/webhooks", nil).decode(t, &subs)
	for _, s := range subs {
		if s.Source != "config" {
			continue
		}
		r := a.do(http.MethodPatch, "/v1/webhooks/"+s.ID, map[string]any{"enabled": false})
		var prob struct{ Type string }
		r.decode(t, &prob)
		if r.Status != http.StatusConflict || !strings.HasSuffix(prob.Type, "#configured-subscription") {
			t.Errorf("PATCH of a configured subscription: %d %s, want 409 configured-subscription", r.Status, r.Body)
		}
	}
}
