package tests

import (
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// signed mints a token with arbitrary claims and key, for the refusals.
func signed(t *testing.T, key string, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestAuthAtTheEdge is issue scenario 10: without a valid token every
// /v1 route is 401 with WWW-Authenticate: Bearer; a valid token without the
// route's scope is 403; a token tied to extension 101 cannot dial from
// another extension nor act on a call 101 takes no part in (403). None of
// the refused requests reaches the PBX.
func TestAuthAtTheEdge(t *testing.T) {
	t.Parallel()
	srv, svc := startWithFakeAMI(t)
	admin := newAPI(t, svc.URL, token(t, allScopes, ""))
	admin.waitReady()
	other := admin.dial(map[string]any{"from": "102", "to": customerNum}) // a call of 102's
	nextAction(t, srv)

	now := time.Now()
	expired := signed(t, jwtSecret, jwt.MapClaims{"sub": "e2e", "scope": allScopes, "exp": now.Add(-time.Hour).Unix()})
	noExp := signed(t, jwtSecret, jwt.MapClaims{"sub": "e2e", "scope": allScopes})
	wrongKey := signed(t, "another-secret-0123456789-abcdefghijklmnop", jwt.MapClaims{"sub": "e2e", "scope": allScopes, "exp": now.Add(time.Hour).Unix()})
	none := func() string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": "e2e", "scope": allScopes, "exp": now.Add(time.Hour).Unix()}).
			SignedString(jwt.UnsafeAllowNoneSignatureType)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}()
	dial := map[string]any{"from": "101", "to": customerNum}
	tests := []struct {
		name, token  string
		method, path string
		body         any
		status       int
	}{
		{"no token", "", "POST", "/v1/calls", dial, 401},
		{"no token, calls", "", "GET", "/v1/calls", nil, 401},
		{"no token, queues", "", "GET", "/v1/queues", nil, 401},
		{"no token, webhooks", "", "GET", "/v1/webhooks", nil, 401},
		{"expired", expired, "POST", "/v1/calls", dial, 401},
		{"without exp", noExp, "POST", "/v1/calls", dial, 401},
		{"another key", wrongKey, "POST", "/v1/calls", dial, 401},
		{"alg none", none, "POST", "/v1/calls", dial, 401},
		{"garbage", "not-a-jwt", "POST", "/v1/calls", dial, 401},
		{"read scope dials", token(t, scopeCallsRead, ""), "POST", "/v1/calls", dial, 403},
		{"read scope hangs up", token(t, scopeCallsRead, ""), "POST", "/v1/calls/" + other.ID + "/hangup", nil, 403},
		{"calls scope reads queues", token(t, scopeCallsRead+" "+scopeCallsWrite, ""), "GET", "/v1/queues", nil, 403},
		{"queues scope reads calls", token(t, scopeQueuesRead, ""), "GET", "/v1/calls", nil, 403},
		{"calls scope administers webhooks", token(t, scopeCallsWrite, ""), "GET", "/v1/webhooks", nil, 403},
		{"ext 101 dials from 102", token(t, scopeCallsWrite, "101"), "POST", "/v1/calls", map[string]any{"from": "102", "to": customerNum}, 403},
		{"ext 101 reads a call of 102", token(t, scopeCallsRead, "101"), "GET", "/v1/calls/" + other.ID, nil, 403},
		{"ext 101 hangs up a call of 102", token(t, scopeCallsWrite, "101"), "POST", "/v1/calls/" + other.ID + "/hangup", nil, 403},
		{"ext 101 transfers a call of 102", token(t, scopeCallsWrite, "101"), "POST", "/v1/calls/" + other.ID + "/transfer", map[string]any{"to": "103"}, 403},
	}
	before := len(srv.Actions())
	for _, tt := range tests {
		r := newAPI(t, svc.URL, tt.token).do(tt.method, tt.path, tt.body)
		if r.Status != tt.status {
			t.Errorf("%s: %s %s: %d %s, want %d", tt.name, tt.method, tt.path, r.Status, r.Body, tt.status)
		}
		if www := r.Header.Get("WWW-Authenticate"); tt.status == 401 && !strings.HasPrefix(www, "Bearer") {
			t.Errorf("%s: WWW-Authenticate %q, want Bearer", tt.name, www)
		}
	}
	for _, m := range srv.Actions()[before:] {
		if !housekeeping(m) {
			t.Errorf("a refused request reached the PBX: %q", fields(m))
		}
	}

	// The agent's own token works for its own extension.
	mine := newAPI(t, svc.URL, token(t, scopeCallsWrite+" "+scopeCallsRead, "101"))
	c := mine.dial(dial)
	if got := nextAction(t, srv); got.Get("Channel") != "Local/101@phones" || got.Get("ChannelId") != c.ID {
		t.Errorf("ext 101 dialling from 101 sent %q", fields(got))
	}
	if r := mine.do(http.MethodGet, "/v1/calls/"+c.ID, nil); r.Status != http.StatusOK {
		t.Errorf("ext 101 reads its own call: %d %s", r.Status, r.Body)
	}

	// A token from the binary's own `api token`, as the README's quick start
	// mints one, works too, with the scopes it was given only.
	cmd := exec.Command(binary, "token", "--sub", "crm", "--scope", scopeCallsRead, "--ttl", "10m")
	cmd.Env = append(cleanEnviron(), "AMIGATE_JWT_SECRET="+jwtSecret)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("api token: %v", err)
	}
	minted := newAPI(t, svc.URL, strings.TrimSpace(string(out)))
	if r := minted.do(http.MethodGet, "/v1/calls", nil); r.Status != http.StatusOK {
		t.Errorf("api token's token reads calls: %d %s, want 200", r.Status, r.Body)
	}
	if r := minted.do(http.MethodPost, "/v1/calls", dial); r.Status != http.StatusForbidden {
		t.Errorf("api token's calls:read token dials: %d %s, want 403", r.Status, r.Body)
	}
}
