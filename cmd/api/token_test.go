package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/amigate/amigate/internal/auth"
)

// TestToken mints tokens through the command line and verifies them as the
// server would.
func TestToken(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		env      []string
		verifier auth.Config
		want     auth.Claims
		ttl      time.Duration
	}{
		{
			name:     "agent",
			args:     []string{"--sub", "agent-101", "--scope", "calls:read calls:write", "--ext", "101"},
			env:      []string{"AMIGATE_JWT_SECRET=" + testSecret},
			verifier: auth.Config{Secret: []byte(testSecret)},
			want:     auth.Claims{Subject: "agent-101", Scopes: []string{"calls:read", "calls:write"}, Ext: "101"},
			ttl:      24 * time.Hour,
		},
		{
			name:     "crm with issuer and audience, comma-separated scopes",
			args:     []string{"--sub=crm", "--scope=calls:write,queues:read,webhooks:admin", "--ttl=1h"},
			env:      []string{"AMIGATE_JWT_SECRET=" + testSecret, "AMIGATE_JWT_ISSUER=ops", "AMIGATE_JWT_AUDIENCE=amigate"},
			verifier: auth.Config{Secret: []byte(testSecret), Issuer: "ops", Audience: "amigate"},
			want:     auth.Claims{Subject: "crm", Scopes: []string{"calls:write", "queues:read", "webhooks:admin"}},
			ttl:      time.Hour,
		},
		{
			name:     "up to a raised bound",
			args:     []string{"--sub=crm", "--scope=calls:read", "--ttl=4000h"},
			env:      []string{"AMIGATE_JWT_SECRET=" + testSecret, "AMIGATE_TOKEN_MAX_TTL=4000h"},
			verifier: auth.Config{Secret: []byte(testSecret)},
			want:     auth.Claims{Subject: "crm", Scopes: []string{"calls:read"}},
			ttl:      4000 * time.Hour,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			before := time.Now().Truncate(time.Second)
			if err := run(context.Background(), append([]string{"token"}, tt.args...), tt.env, &stdout, &stderr); err != nil {
				t.Fatalf("token: %v (stderr %s)", err, stderr.String())
			}
			tok := strings.TrimSpace(stdout.String())
			if strings.Count(tok, ".") != 2 || strings.ContainsAny(tok, " \n") {
				t.Fatalf("stdout is not one token: %q", stdout.String())
			}
			v, err := auth.NewVerifier(tt.verifier)
			if err != nil {
				t.Fatal(err)
			}
			got, err := v.Verify(tok)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if exp := got.ExpiresAt.Sub(before); exp < tt.ttl || exp > tt.ttl+2*time.Second {
				t.Errorf("token lives %v, want %v", exp, tt.ttl)
			}
			got.ExpiresAt = time.Time{}
			if diff := cmp.Diff(&tt.want, got); diff != "" {
				t.Errorf("claims (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTokenErrors(t *testing.T) {
	secret := "AMIGATE_JWT_SECRET=" + testSecret
	tests := []struct {
		name string
		args []string
		env  []string
		want string
		is   error
	}{
		{name: "no secret", args: []string{"--sub", "x", "--scope", "calls:read"}, want: "AMIGATE_JWT_SECRET: required to mint tokens"},
		{name: "short secret", args: []string{"--sub", "x", "--scope", "calls:read"}, env: []string{"AMIGATE_JWT_SECRET=short"}, want: "AMIGATE_JWT_SECRET: 5 bytes"},
		{name: "no scope", args: []string{"--sub", "x"}, env: []string{secret}, want: "--scope is required"},
		{name: "no subject", args: []string{"--scope", "calls:read"}, env: []string{secret}, is: auth.ErrNoSubject},
		{name: "typo in scope", args: []string{"--sub", "x", "--scope", "calls:reed"}, env: []string{secret}, is: auth.ErrUnknownScope},
		{name: "zero ttl", args: []string{"--sub", "x", "--scope", "calls:read", "--ttl", "0s"}, env: []string{secret}, is: auth.ErrNoTTL},
		{name: "ten years", args: []string{"--sub", "x", "--scope", "calls:read", "--ttl", "87600h"}, env: []string{secret},
			want: "--ttl 87600h0m0s is longer than AMIGATE_TOKEN_MAX_TTL (2160h0m0s)"},
		{name: "past a lowered bound", args: []string{"--sub", "x", "--scope", "calls:read", "--ttl", "2h"}, env: []string{secret, "AMIGATE_TOKEN_MAX_TTL=1h"},
			want: "--ttl 2h0m0s is longer than AMIGATE_TOKEN_MAX_TTL (1h0m0s)"},
		{name: "bad ext", args: []string{"--sub", "x", "--scope", "calls:read", "--ext", "10a"}, env: []string{secret}, want: "--ext \"10a\" does not match"},
		{name: "server pins another algorithm", args: []string{"--sub", "x", "--scope", "calls:read"}, env: []string{secret, "AMIGATE_JWT_ALGORITHMS=HS512"}, want: "this configuration would refuse the token"},
		{name: "stray argument", args: []string{"--sub", "x", "--scope", "calls:read", "extra"}, env: []string{secret}, want: "unexpected argument \"extra\""},
		{name: "unknown flag", args: []string{"--sub", "x", "--scopes", "calls:read"}, env: []string{secret}, want: "flag provided but not defined: -scopes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"token"}, tt.args...), tt.env, &stdout, &stderr)
			if err == nil {
				t.Fatalf("token succeeded: %s", stdout.String())
			}
			if tt.want != "" && !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("got %v, want %v", err, tt.is)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout has %q, want nothing on failure", stdout.String())
			}
		})
	}
}
