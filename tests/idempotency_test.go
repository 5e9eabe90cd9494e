package tests

import (
	"net/http"
	"strings"
	"testing"
)

// TestIdempotentDial checks the Idempotency-Key of POST /v1/calls end to
// end: a repeat with the same key and body answers the first call and
// sends no second Originate; the same key with another body is 409. The
// AMI metrics count the one Originate.
func TestIdempotentDial(t *testing.T) {
	t.Parallel()
	srv, svc := startWithFakeAMI(t)
	a := newAPI(t, svc.URL, token(t, allScopes, ""))
	a.waitReady()
	body := map[string]any{"from": "101", "to": customerRaw}
	post := func(body map[string]any) response {
		return a.do(http.MethodPost, "/v1/calls", body, "Idempotency-Key", "crm-deal-42-attempt-1")
	}
	first := post(body)
	if first.Status != http.StatusAccepted {
		t.Fatalf("first: %d %s, want 202", first.Status, first.Body)
	}
	nextAction(t, srv)
	var c1, c2 call
	first.decode(t, &c1)
	again := post(map[string]any{"from": "101", "to": "+7 900 123 45 67"}) // the same number
	if again.Status != http.StatusAccepted {
		t.Fatalf("repeat: %d %s, want 202", again.Status, again.Body)
	}
	again.decode(t, &c2)
	if c2.ID != c1.ID || again.Header.Get("Location") != "/v1/calls/"+c1.ID {
		t.Errorf("repeat answered call %s at %q, want the first, %s", c2.ID, again.Header.Get("Location"), c1.ID)
	}
	if r := post(map[string]any{"from": "101", "to": "79001234568"}); r.Status != http.StatusConflict {
		t.Errorf("same key, another body: %d %s, want 409", r.Status, r.Body)
	}
	if n := countOriginates(srv); n != 1 {
		t.Errorf("%d Originates sent, want 1", n)
	}

	m := a.do(http.MethodGet, "/metrics", nil)
	for _, want := range []string{
		"amigate_ami_connected 1",
		`amigate_ami_actions_total{action="Originate",outcome="success"} 1`,
		"amigate_calls_active ",
		"amigate_webhook_backlog",
	} {
		if !strings.Contains(string(m.Body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
