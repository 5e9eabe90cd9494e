package handlers

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/amigate/amigate"
)

func TestAuthentication(t *testing.T) {
	now := time.Now()
	valid := jwt.MapClaims{"sub": "crm", "scope": "calls:read", "exp": now.Add(time.Hour).Unix()}
	with := func(k string, v any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for kk, vv := range valid {
			c[kk] = vv
		}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	// alg none: header {"alg":"none"}, no signature.
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, valid).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		header     string // the whole Authorization header
		wantStatus int
		wantError  string // in WWW-Authenticate
	}{
		{"HS256 good", "Bearer " + signed(t, jwt.SigningMethodHS256, secret, valid), 200, ""},
		{"RS256 good", "Bearer " + signed(t, jwt.SigningMethodRS256, rsaKey(), valid), 200, ""},
		{"scheme is case-insensitive", "bearer " + signed(t, jwt.SigningMethodHS256, secret, valid), 200, ""},
		{"no header", "", 401, ""},
		{"basic scheme", "Basic dXNlcjpwYXNz", 401, ""},
		{"empty bearer", "Bearer ", 401, ""},
		{"garbage", "Bearer not.a.jwt", 401, "invalid_token"},
		{"expired", "Bearer " + signed(t, jwt.SigningMethodHS256, secret, with("exp", now.Add(-time.Hour).Unix())), 401, "invalid_token"},
		{"no exp", "Bearer " + signed(t, jwt.SigningMethodHS256, secret, with("exp", nil)), 401, "invalid_token"},
		{"not yet valid", "Bearer " + signed(t, jwt.SigningMethodHS256, secret, with("nbf", now.Add(time.Hour).Unix())), 401, "invalid_token"},
		{"wrong secret", "Bearer " + signed(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-another"), valid), 401, "invalid_token"},
		{"algorithm not pinned (HS512)", "Bearer " + signed(t, jwt.SigningMethodHS512, secret, valid), 401, "invalid_token"},
		{"alg none", "Bearer " + none, 401, "invalid_token"},
		{"HS256 signed with the RSA public key", "Bearer " + signed(t, jwt.SigningMethodHS256, publicPEM(), valid), 401, "invalid_token"},
		{"tampered payload", "Bearer " + tamper(signed(t, jwt.SigningMethodHS256, secret, valid)), 401, "invalid_token"},
	}
	f := newFixture(t, Options{})
	f.calls.ListFn = func(context.Context, amigate.CallQuery) (amigate.CallPage, error) { return amigate.CallPage{}, nil }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.do(t, request{Method: "GET", Path: "/v1/calls", Header: map[string]string{"Authorization": tt.header}})
			if rec.Code != tt.wantStatus {
				t.Fatalf("got %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantStatus == 200 {
				if got := rec.Body.String(); got != "[]\n" {
					t.Fatalf("got body %q, want []", got)
				}
				return
			}
			p := problemOf(t, rec)
			wa := rec.Header().Get("WWW-Authenticate")
			if !strings.HasPrefix(wa, "Bearer ") || !strings.Contains(wa, tt.wantError) {
				t.Fatalf("WWW-Authenticate %q, want Bearer with %q", wa, tt.wantError)
			}
			// The problem type tells a missing token, an expired one and
			// any other refusal apart; RFC 6750's error_description says why.
			kind := kindTokenMissing
			switch {
			case tt.name == "expired":
				kind = kindTokenExpired
			case tt.wantError != "":
				kind = kindTokenInvalid
			}
			if p.Type != ProblemTypeBase+kind {
				t.Errorf("got type %q, want kind %s", p.Type, kind)
			}
			if tt.wantError != "" && !strings.Contains(wa, `error_description="`+p.Detail+`"`) {
				t.Errorf("WWW-Authenticate %q lacks error_description of %q", wa, p.Detail)
			}
		})
	}
	if log := f.log.String(); strings.Contains(log, "eyJ") {
		t.Fatalf("a token reached the log:\n%s", log)
	}
}

// tamper changes the payload's last character, keeping the signature.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	p := []byte(parts[1])
	if p[len(p)-1] == 'A' {
		p[len(p)-1] = 'B'
	} else {
		p[len(p)-1] = 'A'
	}
	return parts[0] + "." + string(p) + "." + parts[2]
}

// TestScopes checks that every /v1 route demands its scope: a token with
// every other scope gets 403 with the insufficient_scope challenge.
func TestScopes(t *testing.T) {
	routes := []struct {
		method, path, scope string
	}{
		{"POST", "/v1/calls", "calls:write"},
		{"GET", "/v1/calls", "calls:read"},
		{"GET", "/v1/calls/c1", "calls:read"},
		{"POST", "/v1/calls/c1/transfer", "calls:write"},
		{"POST", "/v1/calls/c1/hangup", "calls:write"},
		{"GET", "/v1/events", "calls:read"},
		{"GET", "/v1/queues", "queues:read"},
		{"GET", "/v1/queues/support", "queues:read"},
		{"POST", "/v1/queues/support/pause", "queues:write"},
		{"POST", "/v1/webhooks", "webhooks:admin"},
		{"GET", "/v1/webhooks", "webhooks:admin"},
		{"GET", "/v1/webhooks/w1", "webhooks:admin"},
		{"PATCH", "/v1/webhooks/w1", "webhooks:admin"},
		{"DELETE", "/v1/webhooks/w1", "webhooks:admin"},
		{"POST", "/v1/webhooks/w1/test", "webhooks:admin"},
		{"GET", "/v1/webhooks/w1/deliveries", "webhooks:admin"},
		{"POST", "/v1/webhooks/w1/deliveries/evt_1/retry", "webhooks:admin"},
	}
	f := newFixture(t, Options{})
	for _, r := range routes {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			others := strings.Join(strings.Fields(strings.ReplaceAll(allScopes, r.scope, "")), " ")
			rec := f.do(t, request{Method: r.method, Path: r.path, Token: token(t, others, "")})
			if rec.Code != http.StatusForbidden {
				t.Fatalf("got %d, want 403; body %s", rec.Code, rec.Body)
			}
			p := problemOf(t, rec)
			if !strings.Contains(p.Detail, r.scope) {
				t.Fatalf("detail %q does not name %s", p.Detail, r.scope)
			}
			if wa := rec.Header().Get("WWW-Authenticate"); !strings.Contains(wa, `error="insufficient_scope"`) {
				t.Fatalf("WWW-Authenticate %q", wa)
			}
			if rec := f.do(t, request{Method: r.method, Path: r.path}); rec.Code != http.StatusUnauthorized {
				t.Fatalf("without a token: got %d, want 401", rec.Code)
			}
		})
	}
}
