package handlers

import (
	"context"
	"strings"
	"testing"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/chanvar"
)

// FuzzDialBody checks the edge whatever the body: a request is refused
// (4xx) or reaches the call control service once, never a 5xx, and a
// variable name that is not a plain one never gets through (the domain
// rules, which keep CR, LF and NUL from the AMI socket, are fuzzed in
// package control):
//
//	go test -run '^$' -fuzz FuzzDialBody -fuzztime 30s ./internal/handlers/
func FuzzDialBody(f *testing.F) {
	for _, seed := range []string{
		`{"from":"101","to":"79001234567"}`,
		`{"from":"101","to":"+7 (900) 123-45-67","caller_id":"Deal 42","variables":{"CRM_A":"b"}}`,
		`{"from":"101\r\nAction: Command","to":"7900"}`,
		`{"from":"101","to":"7900","variables":{"FILE(/tmp/x)":"y"}}`,
		`{"from":"101","to":"7900","caller_id":"\u0000"}`,
		`{"from":"101","to":"7900","variables":{"CRM_A":"\u2028\r"}}`,
	} {
		f.Add(seed, "key")
	}
	fx := newFixture(f, Options{})
	tok := token(f, "calls:write", "")
	f.Fuzz(func(t *testing.T, body, key string) {
		var got *amigate.DialRequest
		fx.calls.DialFn = func(_ context.Context, r amigate.DialRequest) (amigate.Call, error) {
			got = &r
			return amigate.Call{ID: "c"}, nil
		}
		rec := fx.do(t, request{Method: "POST", Path: "/v1/calls", Body: body, Token: tok,
			Header: map[string]string{"Idempotency-Key": strings.Map(headerSafe, key)}})
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		if got == nil {
			if rec.Code == 202 {
				t.Fatal("202 without a call to the service")
			}
			return
		}
		for k := range got.Variables {
			if !chanvar.WellFormed(k) {
				t.Fatalf("variable name %q reached the service", k)
			}
		}
	})
}

// headerSafe keeps the fuzzer's key sendable: net/http itself refuses
// CR and LF in header values, so they never come this far.
func headerSafe(r rune) rune {
	if r == '\r' || r == '\n' || r == 0 {
		return -1
	}
	return r
}
