package auth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMintVerifies(t *testing.T) {
	tests := []struct {
		name string
		p    MintParams
		cfg  Config
		want Claims
	}{
		{
			name: "agent token",
			p:    MintParams{Subject: "agent-101", Scopes: []string{ScopeCallsWrite, ScopeCallsRead}, Ext: "101", TTL: 24 * time.Hour, Now: clock},
			cfg:  Config{Secret: testSecret, Now: clock},
			want: Claims{Subject: "agent-101", Scopes: []string{ScopeCallsWrite, ScopeCallsRead}, Ext: "101", ExpiresAt: testNow.Add(24 * time.Hour)},
		},
		{
			name: "issuer and audience",
			p:    MintParams{Subject: "crm", Scopes: Scopes, TTL: time.Hour, Issuer: "ops", Audience: "amigate", Now: clock},
			cfg:  Config{Secret: testSecret, Issuer: "ops", Audience: "amigate", Now: clock},
			want: Claims{Subject: "crm", Scopes: Scopes, ExpiresAt: testNow.Add(time.Hour)},
		},
		{
			name: "no scopes",
			p:    MintParams{Subject: "probe", TTL: time.Minute, Now: clock},
			cfg:  Config{Secret: testSecret, Now: clock},
			want: Claims{Subject: "probe", ExpiresAt: testNow.Add(time.Minute)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := Mint(testSecret, tt.p)
			if err != nil {
				t.Fatalf("Mint: %v", err)
			}
			v, err := NewVerifier(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := v.Verify(tok)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if diff := cmp.Diff(&tt.want, got); diff != "" {
				t.Errorf("claims (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMintWireForm checks the token's header and claims as a foreign
// verifier would read them: HS256, scope as one space-separated string.
func TestMintWireForm(t *testing.T) {
	tok, err := Mint(testSecret, MintParams{Subject: "crm", Scopes: []string{ScopeCallsRead, ScopeQueuesRead}, Ext: "101", TTL: time.Hour, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("got %d parts, want 3", len(parts))
	}
	var header, claims map[string]any
	decode(t, parts[0], &header)
	decode(t, parts[1], &claims)
	wantHeader := map[string]any{"alg": "HS256", "typ": "JWT"}
	if diff := cmp.Diff(wantHeader, header); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	wantClaims := map[string]any{
		"sub": "crm", "scope": "calls:read queues:read", "ext": "101",
		"iat": float64(testNow.Unix()), "nbf": float64(testNow.Unix()), "exp": float64(testNow.Add(time.Hour).Unix()),
	}
	if diff := cmp.Diff(wantClaims, claims); diff != "" {
		t.Errorf("claims (-want +got):\n%s", diff)
	}
}

func decode(t *testing.T, seg string, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func TestMintErrors(t *testing.T) {
	tests := []struct {
		name   string
		secret []byte
		p      MintParams
		want   error
	}{
		{name: "short secret", secret: []byte("short"), p: MintParams{Subject: "x", TTL: time.Hour}, want: ErrWeakSecret},
		{name: "no subject", secret: testSecret, p: MintParams{Subject: " ", TTL: time.Hour}, want: ErrNoSubject},
		{name: "no ttl", secret: testSecret, p: MintParams{Subject: "x"}, want: ErrNoTTL},
		{name: "negative ttl", secret: testSecret, p: MintParams{Subject: "x", TTL: -time.Hour}, want: ErrNoTTL},
		{name: "typo in scope", secret: testSecret, p: MintParams{Subject: "x", TTL: time.Hour, Scopes: []string{"calls:wrte"}}, want: ErrUnknownScope},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := Mint(tt.secret, tt.p)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %q, %v; want error %v", tok, err, tt.want)
			}
		})
	}
}
