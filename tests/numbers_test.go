package tests

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestREADMEExampleDials: the README's example request,
// {"from": "101", "to": "+7 (900) 123-45-67"}, against a PBX whose
// dialplan, like the README's (exten => _X.,1,Dial(...)), dials only
// digits: with the default configuration (no home region, no dial rule
// rewriting) and with the home region RU, the customer's number reaches
// Exten as digits, the customer's phone rings and answers, the webhooks
// carry the number as dialled and in E.164, and the call is found by its
// customer written in another format.
func TestREADMEExampleDials(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		env    []string
		dialed string   // the Exten the PBX dials
		found  []string // ?customer= values that find the call
	}{
		// No home region: a number without "+" is only its digits.
		{"default", nil, "79001234567", []string{"+79001234567", "+7 900 123 45 67", "79001234567"}},
		{"region RU", []string{"AMIGATE_PHONE_REGION=RU"}, "89001234567", []string{"+79001234567", "8 (900) 123-45-67", "79001234567", "900 123 4567"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// No AMIGATE_DIAL_REWRITE: the product's defaults alone.
			e := start(t, office(), append([]string{"AMIGATE_DIAL_REWRITE="}, tt.env...)...)
			c := e.api.dial(map[string]any{"from": "101", "to": "+7 (900) 123-45-67"})
			if c.Customer == nil || c.Customer.Number != tt.dialed || c.Customer.E164 != "+79001234567" {
				t.Fatalf("202 body: customer %+v, want number %s and e164 +79001234567", c.Customer, tt.dialed)
			}
			e.rcv.waitEvent(wait, c.ID, "call.answered")
			during := e.api.getCall(c.ID)
			placed := false
			for _, ch := range during.Channels {
				placed = placed || ch.Role == "customer" && strings.HasPrefix(ch.Name, "Local/"+tt.dialed+"@pstn-")
			}
			if !placed {
				t.Fatalf("no customer channel Local/%s@pstn-… in %+v: the customer was not dialled", tt.dialed, during.Channels)
			}
			// A CRM searches by the number as it stores it, or as a person typed it.
			for _, q := range tt.found {
				cs, _ := e.api.list("/v1/calls?customer=" + url.QueryEscape(q))
				if len(cs) != 1 || cs[0].ID != c.ID {
					t.Errorf("GET /v1/calls?customer=%s: %d calls, want %s", q, len(cs), c.ID)
				}
			}
			e.hangup(t, c.ID)
			evs := e.rcv.waitEnded(wait, c.ID)
			checkSteps(t, c.ID, evs, step{"call.ringing", "101"}, step{"call.answered", "101"}, step{"call.ended", ""})
			for _, ev := range evs {
				if ev.Call.Customer == nil || ev.Call.Customer.Number != tt.dialed || ev.Call.Customer.E164 != "+79001234567" {
					t.Errorf("%s: customer %+v, want number %s and e164 +79001234567", ev.Type, ev.Call.Customer, tt.dialed)
				}
			}
		})
	}
}

// TestTransferToOutsideNumber: with the home region RU, a blind transfer to
// an outside number written as a CRM stores it is dialled in the national
// format and reported as to_number with its E.164; a number the dial rules
// deny is a 422 that names the rule, and nothing is transferred.
func TestTransferToOutsideNumber(t *testing.T) {
	t.Parallel()
	e := start(t, office(), "AMIGATE_DIAL_REWRITE=", "AMIGATE_PHONE_REGION=RU")
	id := e.incomingCall(t, "5550101", 0)
	e.rcv.waitEvent(wait, id, "call.answered")

	r := e.api.do(http.MethodPost, "/v1/calls/"+id+"/transfer", map[string]any{"to": "+7 809 123-45-67"})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "premium-rate") {
		t.Fatalf("transfer to a premium-rate number: %d %s, want 422 saying premium-rate", r.Status, r.Body)
	}
	if r := e.api.do(http.MethodPost, "/v1/calls/"+id+"/transfer", map[string]any{"to": "+7 (900) 555-66-77"}); r.Status != http.StatusAccepted {
		t.Fatalf("transfer: %d %s, want 202", r.Status, r.Body)
	}
	e.rcv.waitEvent(wait, id, "call.transferred")
	e.hangup(t, id)
	evs := e.rcv.waitEnded(wait, id)
	n := 0
	for _, ev := range evs {
		if ev.Type != "call.transferred" {
			continue
		}
		n++
		want := transfer{FromExtension: "101", ToNumber: "89005556677", ToE164: "+79005556677", Mode: "blind"}
		if ev.Transfer == nil || *ev.Transfer != want {
			t.Errorf("call.transferred: %+v, want %+v", ev.Transfer, want)
		}
	}
	if n != 1 {
		t.Errorf("%d call.transferred events, want 1", n)
	}
}
