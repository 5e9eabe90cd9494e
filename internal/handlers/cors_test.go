package handlers

import (
	"context"
	"net/http"
	"testing"

	"github.com/amigate/amigate"
)

// TestCORS: a configured origin gets its preflight answered and may read
// the answers of /v1 and the spec; another origin, the operations routes
// and a service without origins get no CORS headers at all.
func TestCORS(t *testing.T) {
	const crm = "https://crm.example.com"
	preflight := func(origin, path string) request {
		return request{Method: http.MethodOptions, Path: path, Header: map[string]string{
			"Origin": origin, "Access-Control-Request-Method": "POST",
			"Access-Control-Request-Headers": "authorization, content-type, idempotency-key"}}
	}
	tests := []struct {
		name       string
		origins    []string
		req        request
		wantOrigin string // Access-Control-Allow-Origin; "" for none
		wantStatus int
		preflight  bool
	}{
		{name: "preflight from an allowed origin", origins: []string{crm}, req: preflight(crm, "/v1/calls"),
			wantOrigin: crm, wantStatus: http.StatusNoContent, preflight: true},
		{name: "preflight of a path with an id", origins: []string{crm}, req: preflight(crm, "/v1/calls/c-1/hangup"),
			wantOrigin: crm, wantStatus: http.StatusNoContent, preflight: true},
		{name: "preflight from another origin", origins: []string{crm}, req: preflight("https://evil.example", "/v1/calls"),
			wantStatus: http.StatusNoContent},
		{name: "any origin", origins: []string{"*"}, req: preflight("https://panel.example", "/v1/calls"),
			wantOrigin: "*", wantStatus: http.StatusNoContent, preflight: true},
		{name: "actual request", origins: []string{crm},
			req:        request{Method: http.MethodGet, Path: "/v1/queues", Token: token(t, allScopes, ""), Header: map[string]string{"Origin": crm}},
			wantOrigin: crm, wantStatus: http.StatusOK},
		{name: "refused request still readable", origins: []string{crm},
			req:        request{Method: http.MethodGet, Path: "/v1/queues", Header: map[string]string{"Origin": crm}},
			wantOrigin: crm, wantStatus: http.StatusUnauthorized},
		{name: "the spec", origins: []string{crm},
			req:        request{Method: http.MethodGet, Path: "/openapi.json", Header: map[string]string{"Origin": crm}},
			wantOrigin: crm, wantStatus: http.StatusOK},
		{name: "not for operations", origins: []string{crm},
			req:        request{Method: http.MethodGet, Path: "/healthz", Header: map[string]string{"Origin": crm}},
			wantStatus: http.StatusOK},
		{name: "off by default", req: preflight(crm, "/v1/calls"), wantStatus: http.StatusNoContent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{CORSOrigins: tt.origins})
			f.queues.QueuesFn = func(context.Context) ([]amigate.QueueSummary, error) { return nil, nil }
			rec := f.do(t, tt.req)
			if rec.Code != tt.wantStatus {
				t.Errorf("status %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			h := rec.Header()
			if got := h.Get("Access-Control-Allow-Origin"); got != tt.wantOrigin {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, tt.wantOrigin)
			}
			if got := h.Get("Access-Control-Allow-Credentials"); got != "" {
				t.Errorf("Access-Control-Allow-Credentials %q: tokens are no cookies", got)
			}
			if tt.preflight {
				if got := h.Get("Access-Control-Allow-Headers"); got != "Authorization,Content-Type,Idempotency-Key,Last-Event-ID" {
					t.Errorf("Access-Control-Allow-Headers %q", got)
				}
				if got := h.Get("Access-Control-Allow-Methods"); got == "" {
					t.Error("no Access-Control-Allow-Methods")
				}
			} else if tt.wantOrigin != "" {
				if got := h.Get("Access-Control-Expose-Headers"); got == "" {
					t.Error("no Access-Control-Expose-Headers")
				}
			}
		})
	}
}
