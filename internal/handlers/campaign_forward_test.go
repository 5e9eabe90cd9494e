package handlers

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// TestForwardCampaigns: an instance that does not run the campaigns checks
// the token, then forwards the request as it came to the one that does,
// which serves it itself (never forwards it again); when that one does not
// answer, the request is 503 campaigns-unavailable.
func TestForwardCampaigns(t *testing.T) {
	o := Options{CORSOrigins: []string{"https://crm.example"}}
	holder := newFixture(t, o, func(d *Deps) {
		// It believes, for a moment, that the other instance runs them:
		// the forwarded request is served here all the same.
		d.CampaignsAt = func() string { return "http://127.0.0.1:1" }
	})
	var seen atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.Header.Clone())
		holder.e.ServeHTTP(w, r)
	}))
	defer srv.Close()
	var at atomic.Value
	at.Store(srv.URL)
	f := newFixture(t, o, func(d *Deps) { d.CampaignsAt = func() string { return at.Load().(string) } })

	body := `{"name":"x","contacts":[{"number":"+79001234567"}],"target":{"queue":"support"}}`
	rec := f.do(t, request{Method: http.MethodPost, Path: "/v1/campaigns", Body: body, Token: token(t, "campaigns:write", ""),
		Header: map[string]string{"Origin": "https://crm.example"}})
	if rec.Code != http.StatusCreated || len(holder.cmps.created) != 1 || len(f.cmps.created) != 0 {
		t.Fatalf("forwarded create: %d %s; created there %d, here %d", rec.Code, rec.Body, len(holder.cmps.created), len(f.cmps.created))
	}
	if h := seen.Load().(http.Header); h.Get(headerForwarded) == "" || h.Get("Authorization") == "" ||
		h.Get("X-Request-ID") == "" || h.Get("X-Request-ID") != rec.Header().Get("X-Request-ID") {
		t.Fatalf("forwarded headers %v, answered %v", h, rec.Header())
	}
	for _, k := range []string{"X-Request-ID", "Access-Control-Allow-Origin"} {
		if v := rec.Header().Values(k); len(v) != 1 {
			t.Fatalf("%s: %q, want one", k, v)
		}
	}
	rec = f.do(t, request{Method: http.MethodPost, Path: "/v1/campaigns/c1/pause", Token: token(t, "campaigns:write", "")})
	if rec.Code != http.StatusOK || holder.cmps.calls[len(holder.cmps.calls)-1] != "pause c1" {
		t.Fatalf("forwarded pause: %d %s; %v", rec.Code, rec.Body, holder.cmps.calls)
	}
	// Checked before forwarding: a token without the scope goes no further.
	n := len(holder.cmps.calls)
	rec = f.do(t, request{Method: http.MethodGet, Path: "/v1/campaigns/c1", Token: token(t, "calls:read", "")})
	if rec.Code != http.StatusForbidden || len(holder.cmps.calls) != n {
		t.Fatalf("a token without the scope: %d, forwarded %d", rec.Code, len(holder.cmps.calls)-n)
	}
	// The holder is gone.
	srv.Close()
	rec = f.do(t, request{Method: http.MethodGet, Path: "/v1/campaigns/c1", Token: token(t, "campaigns:read", "")})
	if p := problemOf(t, rec); rec.Code != http.StatusServiceUnavailable || p.Type != ProblemTypeBase+kindNoDialer || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("holder gone: %d %+v %v", rec.Code, p, rec.Header())
	}
	// No holder elsewhere: served here.
	at.Store("")
	rec = f.do(t, request{Method: http.MethodGet, Path: "/v1/campaigns/c1", Token: token(t, "campaigns:read", "")})
	if rec.Code != http.StatusOK || f.cmps.calls[len(f.cmps.calls)-1] != "get c1" {
		t.Fatalf("served here: %d %s", rec.Code, rec.Body)
	}
}
