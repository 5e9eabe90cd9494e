package handlers

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/auth"
)

// newTicket mints a stream ticket with tok, failing unless it is 201.
func newTicket(t *testing.T, f *fixture, tok string) StreamTicket {
	t.Helper()
	rec := f.do(t, request{Method: "POST", Path: "/v1/events/tickets", Token: tok})
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST /v1/events/tickets: %d %s", rec.Code, rec.Body)
	}
	var tk StreamTicket
	if err := json.Unmarshal(rec.Body.Bytes(), &tk); err != nil {
		t.Fatal(err)
	}
	return tk
}

// TestTicketOpensOneStream: a ticket opens a stream without a token, with
// the minting token's ext restriction, once.
func TestTicketOpensOneStream(t *testing.T) {
	fs := newFakeSource()
	f := newFixture(t, Options{})
	f.hooks.FollowFn = fs.follow
	srv := httptest.NewServer(f.e)
	t.Cleanup(srv.Close)

	before := time.Now()
	tk := newTicket(t, f, token(t, "calls:read", "101"))
	if len(tk.Ticket) < 32 || tk.ExpiresAt.Before(before) || tk.ExpiresAt.After(before.Add(ticketTTL+time.Second)) {
		t.Fatalf("ticket %+v: want a long random id expiring within %v", tk, ticketTTL)
	}
	s := openStream(t, srv, "", nil, "?ticket="+tk.Ticket+"&last_event_id=evt_3")
	if s.res.StatusCode != 200 {
		t.Fatalf("stream with ticket: status %d", s.res.StatusCode)
	}
	if got := wait(t, fs.last, "Follow"); got != "evt_3" {
		t.Fatalf("Follow from %q, want evt_3", got)
	}
	s.frame() // retry
	fs.events <- amigate.CallEvent{ID: "evt_4", Type: "call.ringing", Call: amigate.Call{ID: "c4", Agent: &amigate.Agent{Extension: "102"}}}
	fs.events <- amigate.CallEvent{ID: "evt_5", Type: "call.ringing", Call: amigate.Call{ID: "c5", Agent: &amigate.Agent{Extension: "101"}}}
	if lines := s.frame(); lines[0] != "id: evt_5" {
		t.Fatalf("first event %q, want evt_5 (evt_4 is another extension's)", lines)
	}

	again := openStream(t, srv, "", nil, "?ticket="+tk.Ticket)
	if again.res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("second use of a ticket: status %d, want 401", again.res.StatusCode)
	}
	unknown := openStream(t, srv, "", nil, "?ticket=nope")
	if unknown.res.StatusCode != http.StatusUnauthorized || unknown.res.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("unknown ticket: status %d, challenge %q", unknown.res.StatusCode, unknown.res.Header.Get("WWW-Authenticate"))
	}
}

func TestTicketNeedsScope(t *testing.T) {
	f := newFixture(t, Options{})
	for _, tt := range []struct {
		tok  string
		want int
	}{
		{"", http.StatusUnauthorized},
		{token(t, "queues:read", ""), http.StatusForbidden},
	} {
		rec := f.do(t, request{Method: "POST", Path: "/v1/events/tickets", Token: tt.tok})
		if rec.Code != tt.want {
			t.Fatalf("status %d, want %d", rec.Code, tt.want)
		}
		problemOf(t, rec)
	}
}

// TestTicketsPerSubject: unused tickets are bounded per subject.
func TestTicketsPerSubject(t *testing.T) {
	f := newFixture(t, Options{})
	tok := token(t, "calls:read", "")
	for range maxTicketsPerSubject {
		newTicket(t, f, tok)
	}
	rec := f.do(t, request{Method: "POST", Path: "/v1/events/tickets", Token: tok})
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("ticket past the bound: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	if p := problemOf(t, rec); !strings.Contains(p.Detail, "unused stream tickets") {
		t.Fatalf("detail %q", p.Detail)
	}
}

// TestTicketExpiry: a ticket expires after its lifetime, or with its
// token if sooner, and expired tickets are dropped.
func TestTicketExpiry(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	ts := newTickets(func() time.Time { return now })
	cl := &auth.Claims{Subject: "crm", Scopes: []string{"calls:read"}, ExpiresAt: now.Add(time.Hour)}
	id, exp, err := ts.issue(cl)
	if err != nil || !exp.Equal(now.Add(ticketTTL)) {
		t.Fatalf("issue: %v, expires %v", err, exp)
	}
	cl.Scopes[0] = "changed" // the ticket keeps its own copy
	now = now.Add(ticketTTL - time.Millisecond)
	got, ok := ts.redeem(id)
	if !ok || got.Subject != "crm" || !got.HasScope("calls:read") {
		t.Fatalf("redeem within the lifetime: %+v %v", got, ok)
	}

	short := &auth.Claims{Subject: "crm", ExpiresAt: now.Add(time.Second)}
	if _, exp, _ := ts.issue(short); !exp.Equal(short.ExpiresAt) {
		t.Fatalf("ticket of a token expiring in 1s expires %v, want %v", exp, short.ExpiresAt)
	}
	id, _, _ = ts.issue(cl)
	now = now.Add(ticketTTL)
	if _, ok := ts.redeem(id); ok {
		t.Fatal("an expired ticket was redeemed")
	}
	if _, _, err := ts.issue(cl); err != nil || len(ts.m) != 1 {
		t.Fatalf("expired tickets kept: %d held (%v)", len(ts.m), err)
	}
}
