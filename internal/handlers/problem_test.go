package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/amigate/amigate"
)

// TestErrorMapping checks each service error's status, detail and headers,
// and that what is not meant for the client stays in the log.
func TestErrorMapping(t *testing.T) {
	tests := []struct {
		name        string
		err         error
		wantStatus  int
		wantDetail  string // exact
		wantHeader  [2]string
		wantFields  []ProblemField
		wantLogged  bool
		mustNotShow string
	}{
		{"not found", fmt.Errorf("call %q: %w", "c1", amigate.ErrNotFound), 404, `call "c1": not found`, [2]string{}, nil, false, ""},
		{"conflict", fmt.Errorf("idempotency key reused with another body: %w", amigate.ErrConflict), 409,
			"idempotency key reused with another body: conflict", [2]string{}, nil, false, ""},
		{"invalid", fmt.Errorf("dial rules: %w", amigate.ErrInvalid), 422, "dial rules: invalid input", [2]string{}, nil, false, ""},
		{"field error", fmt.Errorf("dial: %w", &amigate.FieldError{Field: "to", Message: "premium numbers are not allowed"}), 422,
			"the request has invalid fields", [2]string{}, []ProblemField{{Field: "to", Message: "premium numbers are not allowed"}}, false, ""},
		{"joined field errors", errors.Join(&amigate.FieldError{Field: "from", Message: "not an agent"},
			&amigate.FieldError{Field: "to", Message: "denied prefix"}), 422,
			"the request has invalid fields", [2]string{}, []ProblemField{{Field: "from", Message: "not an agent"}, {Field: "to", Message: "denied prefix"}}, false, ""},
		{"forbidden", fmt.Errorf("extension 101: %w", amigate.ErrForbidden), 403, "extension 101: forbidden", [2]string{}, nil, false, ""},
		{"refused", fmt.Errorf("%w: Extension does not exist.", amigate.ErrPBXRefused), 502,
			"asterisk refused the action: Extension does not exist.", [2]string{}, nil, true, ""},
		{"unavailable", fmt.Errorf("originate: dial tcp 10.0.0.5:5038: %w", amigate.ErrUnavailable), 503,
			"asterisk is not connected; retry later", [2]string{"Retry-After", "7"}, nil, true, "10.0.0.5"},
		{"timeout", fmt.Errorf("originate after 5s at 10.0.0.5: %w", amigate.ErrTimeout), 504,
			"asterisk did not answer in time", [2]string{}, nil, true, "10.0.0.5"},
		{"deadline", fmt.Errorf("waiting: %w", context.DeadlineExceeded), 504, "the request timed out", [2]string{}, nil, true, ""},
		{"internal", errors.New("store: open /var/lib/amigate/secret.db: permission denied"), 500,
			"internal error", [2]string{}, nil, true, "/var/lib"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{RetryAfter: 6500 * time.Millisecond})
			f.calls.GetFn = func(context.Context, string) (amigate.Call, error) { return amigate.Call{}, tt.err }
			rec := f.do(t, request{Method: "GET", Path: "/v1/calls/c1", Token: token(t, "calls:read", ""),
				Header: map[string]string{"X-Request-ID": "req-" + strings.ReplaceAll(tt.name, " ", "-")}})
			if rec.Code != tt.wantStatus {
				t.Fatalf("got %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			p := problemOf(t, rec)
			if p.Detail != tt.wantDetail {
				t.Fatalf("detail %q, want %q", p.Detail, tt.wantDetail)
			}
			if d := cmp.Diff(tt.wantFields, p.Errors); d != "" {
				t.Fatalf("errors (-want +got):\n%s", d)
			}
			if k := tt.wantHeader[0]; k != "" && rec.Header().Get(k) != tt.wantHeader[1] {
				t.Fatalf("%s: %q, want %q", k, rec.Header().Get(k), tt.wantHeader[1])
			}
			if rec.Header().Get("Retry-After") != "" && tt.wantStatus != 503 {
				t.Fatalf("Retry-After on a %d", tt.wantStatus)
			}
			if tt.mustNotShow != "" && strings.Contains(rec.Body.String(), tt.mustNotShow) {
				t.Fatalf("body leaks %q: %s", tt.mustNotShow, rec.Body)
			}
			logged := strings.Contains(f.log.String(), `"msg":"request failed"`)
			if logged != tt.wantLogged {
				t.Fatalf("logged %v, want %v; log:\n%s", logged, tt.wantLogged, f.log)
			}
			if logged && !strings.Contains(f.log.String(), tt.err.Error()[:20]) {
				t.Fatalf("the log lacks the cause:\n%s", f.log)
			}
		})
	}
}

func TestRequestErrors(t *testing.T) {
	big := `{"from":"101","to":"79001234567","caller_id":"` + strings.Repeat("x", 64<<10) + `"}`
	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
	}{
		{"body over the limit", newReq("POST", "/v1/calls", big, "application/json"), 413},
		{"body over the limit, length unknown", chunked(newReq("POST", "/v1/calls", big, "application/json")), 413},
		{"text/plain", newReq("POST", "/v1/calls", `{}`, "text/plain"), 415},
		{"no content type", newReq("POST", "/v1/calls", `{}`, ""), 415},
		{"form", newReq("POST", "/v1/webhooks", `url=x`, "application/x-www-form-urlencoded"), 415},
		{"json with charset", newReq("POST", "/v1/calls", `{}`, "application/json; charset=utf-8"), 422},
		{"unknown route", newReq("GET", "/v1/nothing", "", ""), 404},
		{"unknown route outside v1", newReq("GET", "/nothing", "", ""), 404},
		{"wrong method", newReq("PUT", "/v1/calls", "", ""), 405},
	}
	f := newFixture(t, Options{})
	tok := token(t, allScopes, "")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Header.Set("Authorization", "Bearer "+tok)
			rec := newRecorder()
			f.e.ServeHTTP(rec, tt.req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("got %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			problemOf(t, rec)
		})
	}
}

// TestRecover checks that a panicking service is a 500 with its stack in
// the log, and that the server goes on serving.
func TestRecover(t *testing.T) {
	f := newFixture(t, Options{})
	f.queues.QueuesFn = func(context.Context) ([]amigate.QueueSummary, error) { panic("boom in queues") }
	rec := f.do(t, request{Method: "GET", Path: "/v1/queues", Token: token(t, "queues:read", "")})
	if rec.Code != 500 {
		t.Fatalf("got %d, want 500", rec.Code)
	}
	if p := problemOf(t, rec); strings.Contains(p.Detail, "boom") {
		t.Fatalf("detail leaks the panic: %q", p.Detail)
	}
	if log := f.log.String(); !strings.Contains(log, "boom in queues") || !strings.Contains(log, "goroutine") {
		t.Fatalf("the log lacks the panic and its stack:\n%s", log)
	}
	if rec := f.do(t, request{Method: "GET", Path: "/healthz"}); rec.Code != 200 {
		t.Fatalf("after a panic: healthz %d", rec.Code)
	}
}

// TestProblemKinds: each kind of domain error has its own problem type,
// and the detail is the error's own text for the client, without the
// prefixes its callers wrapped it in.
func TestProblemKinds(t *testing.T) {
	tests := []struct {
		name, kind, detail string
		err                error
	}{
		{"not answered", kindNotAnswered, `call "c1" is ringing, not answered`,
			fmt.Errorf("control: %w", amigate.Errorf(amigate.ErrNotAnswered, "call %q is ringing, not answered", "c1"))},
		{"ended", kindCallEnded, `call "c1" has ended`, amigate.Errorf(amigate.ErrCallEnded, "call %q has ended", "c1")},
		{"key reused", kindKeyReused, "the key was used", amigate.Errorf(amigate.ErrKeyReused, "the key was used")},
		{"configured", kindConfigured, "from configuration",
			fmt.Errorf("webhooks: %w", amigate.Errorf(amigate.ErrConfigured, "from configuration"))},
		{"plain conflict", kindConflict, "busy", amigate.Errorf(amigate.ErrConflict, "busy")},
		{"not found", kindNotFound, `webhook subscription "x" not found`,
			fmt.Errorf("webhooks: %w", amigate.Errorf(amigate.ErrNotFound, "webhook subscription %q not found", "x"))},
		{"dial denied", kindDialDenied, "the request has invalid fields",
			&amigate.FieldError{Field: "to", Message: "is a premium-rate number", Rule: "type"}},
		{"other field", kindInvalid, "the request has invalid fields", &amigate.FieldError{Field: "from", Message: "bad"}},
		{"refused", kindAsteriskRefused, "asterisk refused the action: No such channel", fmt.Errorf("%w: No such channel", amigate.ErrPBXRefused)},
		{"unavailable", kindAsteriskDown, "asterisk is not connected; retry later", amigate.ErrUnavailable},
		{"asterisk timeout", kindAsteriskTimeout, "asterisk did not answer in time", amigate.ErrTimeout},
		{"timeout", kindTimeout, "the request timed out", context.DeadlineExceeded},
		{"internal", kindInternal, "internal error", errors.New("boom")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			f.calls.GetFn = func(context.Context, string) (amigate.Call, error) { return amigate.Call{}, tt.err }
			rec := f.do(t, request{Method: "GET", Path: "/v1/calls/c1", Token: token(t, "calls:read", "")})
			p := problemOf(t, rec)
			if p.Type != ProblemTypeBase+tt.kind {
				t.Errorf("got type %q, want kind %s", p.Type, tt.kind)
			}
			if p.Detail != tt.detail {
				t.Errorf("got detail %q, want %q", p.Detail, tt.detail)
			}
		})
	}
}

// TestProblemKindsDocumented: every kind has its heading in
// docs/problems.md, which the type URIs point at.
func TestProblemKindsDocumented(t *testing.T) {
	b, err := os.ReadFile("../../docs/problems.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range ProblemKinds {
		if !strings.Contains(string(b), "\n## "+k+"\n") {
			t.Errorf("docs/problems.md has no heading for %s", k)
		}
	}
}
