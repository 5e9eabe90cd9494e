package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/api"
)

func TestReadyz(t *testing.T) {
	tests := []struct {
		name       string
		ready      func(context.Context) error
		wantStatus int
		wantDetail string
	}{
		{"no check", nil, 200, ""},
		{"ready", func(context.Context) error { return nil }, 200, ""},
		{"ami down", func(context.Context) error { return errors.New("ami: not logged in") }, 503, "not ready: ami: not logged in"},
		{"check hangs", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }, 503, "not ready: context deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{ReadyTimeout: 10 * time.Millisecond}, func(d *Deps) { d.Ready = tt.ready })
			rec := f.do(t, request{Method: "GET", Path: "/readyz"})
			if rec.Code != tt.wantStatus {
				t.Fatalf("got %d, want %d", rec.Code, tt.wantStatus)
			}
			if tt.wantStatus == 200 {
				if rec.Body.String() != `{"status":"ready"}`+"\n" {
					t.Fatalf("body %s", rec.Body)
				}
				return
			}
			if p := problemOf(t, rec); p.Detail != tt.wantDetail {
				t.Fatalf("detail %q, want %q", p.Detail, tt.wantDetail)
			}
		})
	}
}

// TestReadyzChecks: a NotReadyError's checks are in the 503, each part's
// state with the reason, beside the problem's fields.
func TestReadyzChecks(t *testing.T) {
	since := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	checks := map[string]ReadinessCheck{
		"ami":         {State: "backing_off", Reason: "authentication failed", Detail: "amiclient: authentication failed", Since: &since},
		"calls":       {State: "not_synced", Detail: "not logged in to the asterisk manager yet"},
		"event_store": {State: "ready"},
	}
	f := newFixture(t, Options{}, func(d *Deps) {
		d.Ready = func(context.Context) error { return &NotReadyError{Checks: checks} }
	})
	rec := f.do(t, request{Method: "GET", Path: "/readyz"})
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("got %d, want 503", rec.Code)
	}
	var got NotReadyProblem
	dec := json.NewDecoder(rec.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if want := "not ready: ami: backing_off: authentication failed; calls: not_synced: not logged in to the asterisk manager yet"; got.Detail != want {
		t.Errorf("detail %q, want %q", got.Detail, want)
	}
	if got.Type != ProblemTypeBase+kindNotReady || got.Status != 503 || got.RequestID == "" {
		t.Errorf("problem fields %+v", got.Problem)
	}
	if diff := cmp.Diff(checks, got.Checks); diff != "" {
		t.Errorf("checks (-want +got):\n%s", diff)
	}
}

// TestReadyzLogsChanges: a probe every few seconds logs when readiness
// changes, not once per probe, and never as a failed request.
func TestReadyzLogsChanges(t *testing.T) {
	var down atomic.Bool
	f := newFixture(t, Options{}, func(d *Deps) {
		d.Ready = func(context.Context) error {
			if down.Load() {
				return errors.New("ami: authentication failed")
			}
			return nil
		}
	})
	probe := func(want int) {
		t.Helper()
		if rec := f.do(t, request{Method: "GET", Path: "/readyz"}); rec.Code != want {
			t.Fatalf("got %d, want %d", rec.Code, want)
		}
	}
	probe(200)
	down.Store(true)
	probe(503)
	probe(503)
	probe(503)
	down.Store(false)
	probe(200)
	probe(200)
	log := f.log.String()
	if n := strings.Count(log, `"msg":"not ready"`); n != 1 {
		t.Errorf("%d not-ready lines, want 1:\n%s", n, log)
	}
	if !strings.Contains(log, `"reason":"ami: authentication failed"`) {
		t.Errorf("the log lacks the reason:\n%s", log)
	}
	if n := strings.Count(log, `"msg":"ready"`); n != 1 {
		t.Errorf("%d ready lines, want 1 (when it came back):\n%s", n, log)
	}
	if strings.Contains(log, "request failed") {
		t.Errorf("a readiness probe logged as a failed request:\n%s", log)
	}
}

func TestOperationsRoutes(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = w.Write([]byte("amigate_ami_connected 1\n"))
	})
	f := newFixture(t, Options{}, func(d *Deps) { d.Metrics = metrics })
	tests := []struct {
		path       string
		wantStatus int
		wantType   string
		wantBody   string // contained
	}{
		{"/healthz", 200, "application/json; charset=utf-8", `{"status":"ok"}`},
		{"/metrics", 200, "text/plain; version=0.0.4", "amigate_ami_connected 1"},
		{"/openapi.yaml", 200, "application/yaml; charset=utf-8", "openapi: 3.1.0"},
		{"/openapi.json", 200, "application/json; charset=utf-8", `"openapi":"3.1.0"`},
		{"/swagger/index.html", 200, "text/html; charset=utf-8", `url: "\/openapi.yaml"`},
		{"/swagger", 301, "", ""},
		{"/swagger/doc.json", 301, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := f.do(t, request{Method: "GET", Path: tt.path})
			if rec.Code != tt.wantStatus || rec.Header().Get("Content-Type") != tt.wantType {
				t.Fatalf("got %d %q, want %d %q", rec.Code, rec.Header().Get("Content-Type"), tt.wantStatus, tt.wantType)
			}
			if !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Fatalf("body lacks %q:\n%.300s", tt.wantBody, rec.Body)
			}
		})
	}
	if f := newFixture(t, Options{}); f.do(t, request{Method: "GET", Path: "/metrics"}).Code != 404 {
		t.Fatal("/metrics without a Metrics handler is not 404")
	}
}

// TestSpecSecurity checks that every /v1 operation asks for the bearer
// token in the spec and documents 401 and 403, and no other does: Swagger
// UI sends the token only where the spec says so.
func TestSpecSecurity(t *testing.T) {
	var spec struct {
		Paths map[string]map[string]struct {
			Security  []map[string][]string `yaml:"security"`
			Responses map[string]any        `yaml:"responses"`
		} `yaml:"paths"`
	}
	if err := yaml.Unmarshal(api.Spec, &spec); err != nil {
		t.Fatal(err)
	}
	for p, ops := range spec.Paths {
		for m, op := range ops {
			v1 := strings.HasPrefix(p, "/v1/")
			_, has401 := op.Responses["401"]
			_, has403 := op.Responses["403"]
			bearer := len(op.Security) == 1 && op.Security[0]["BearerAuth"] != nil
			if bearer != v1 || has401 != v1 || has403 != v1 {
				t.Errorf("%s %s: security %v, 401 %v, 403 %v", m, p, op.Security, has401, has403)
			}
		}
	}
}

// TestSpecCoversRoutes checks that every served route is in the spec with
// its method, and the spec has nothing that is not served: the annotations
// and the router cannot drift apart.
func TestSpecCoversRoutes(t *testing.T) {
	var spec struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(api.Spec, &spec); err != nil {
		t.Fatal(err)
	}
	var inSpec []string
	for p, ops := range spec.Paths {
		for m := range ops {
			inSpec = append(inSpec, strings.ToUpper(m)+" "+p)
		}
	}
	f := newFixture(t, Options{})
	var served []string
	for _, r := range f.e.Routes() {
		if strings.HasPrefix(r.Path, "/swagger") || r.Path == "/metrics" {
			continue // the UI itself, and a Prometheus endpoint described by api.md
		}
		p := r.Path
		for _, seg := range strings.Split(p, "/") {
			if name, ok := strings.CutPrefix(seg, ":"); ok {
				p = strings.Replace(p, seg, "{"+name+"}", 1)
			}
		}
		served = append(served, r.Method+" "+p)
	}
	slices.Sort(inSpec)
	slices.Sort(served)
	if d := cmp.Diff(served, inSpec); d != "" {
		t.Fatalf("routes (-served +in spec):\n%s", d)
	}
}

func TestRequestID(t *testing.T) {
	f := newFixture(t, Options{})
	f.calls.GetFn = func(context.Context, string) (amigate.Call, error) { return amigate.Call{}, amigate.ErrNotFound }
	tests := []struct {
		name, in string
		keep     bool
	}{
		{"kept", "crm-7f3a-42", true},
		{"none", "", false},
		{"unsafe replaced", "a b<script>", false},
		{"too long replaced", strings.Repeat("a", 65), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.do(t, request{Method: "GET", Path: "/v1/calls/c1", Token: token(t, "calls:read", ""),
				Header: map[string]string{"X-Request-ID": tt.in}})
			got := rec.Header().Get("X-Request-ID")
			if tt.keep && got != tt.in || !tt.keep && (len(got) != 32 || got == tt.in) {
				t.Fatalf("X-Request-ID %q for %q", got, tt.in)
			}
			if p := problemOf(t, rec); p.RequestID != got {
				t.Fatalf("problem request_id %q, header %q", p.RequestID, got)
			}
		})
	}
}

// TestObserve checks the HTTP metrics (by route template) and the access
// log (no token, no query).
func TestObserve(t *testing.T) {
	f := newFixture(t, Options{})
	f.calls.GetFn = func(_ context.Context, id string) (amigate.Call, error) { return amigate.Call{ID: id}, nil }
	tok := token(t, "calls:read", "")
	f.do(t, request{Method: "GET", Path: "/v1/calls/abc?secret=s3cr3t", Token: tok})
	f.do(t, request{Method: "GET", Path: "/v1/calls/def"})
	f.do(t, request{Method: "GET", Path: "/nothing/here"})
	f.do(t, request{Method: "GET", Path: "/healthz"})
	want := []observation{
		{"GET", "/v1/calls/:id", 200},
		{"GET", "/v1/calls/:id", 401},
		{"GET", "unmatched", 404},
		{"GET", "/healthz", 200},
	}
	if d := cmp.Diff(want, f.metrics.all()); d != "" {
		t.Fatalf("observations (-want +got):\n%s", d)
	}
	log := f.log.String()
	for _, bad := range []string{tok, "s3cr3t", "Bearer"} {
		if strings.Contains(log, bad) {
			t.Fatalf("the log contains %q:\n%s", bad, log)
		}
	}
	for _, good := range []string{`"route":"/v1/calls/:id"`, `"path":"/v1/calls/abc"`, `"status":401`, `"subject":"crm"`} {
		if !strings.Contains(log, good) {
			t.Fatalf("the log lacks %s:\n%s", good, log)
		}
	}
}

// TestSpecProblemExamples: every error response of the spec is
// problem+json with an example whose type is a kind the handlers answer
// and whose status is the response's.
func TestSpecProblemExamples(t *testing.T) {
	type media struct {
		Example *Problem `yaml:"example"`
	}
	var spec struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Content map[string]media `yaml:"content"`
			} `yaml:"responses"`
		} `yaml:"paths"`
	}
	if err := yaml.Unmarshal(api.Spec, &spec); err != nil {
		t.Fatal(err)
	}
	n := 0
	for p, ops := range spec.Paths {
		for m, op := range ops {
			for code, r := range op.Responses {
				if code < "400" || r.Content == nil {
					continue
				}
				mt, ok := r.Content["application/problem+json"]
				if !ok || len(r.Content) != 1 || mt.Example == nil {
					t.Errorf("%s %s %s: content %v, want one problem+json with an example", m, p, code, r.Content)
					continue
				}
				kind, ok := strings.CutPrefix(mt.Example.Type, ProblemTypeBase)
				if !ok || !slices.Contains(ProblemKinds, kind) || strconv.Itoa(mt.Example.Status) != code {
					t.Errorf("%s %s %s: example type %q status %d", m, p, code, mt.Example.Type, mt.Example.Status)
				}
				n++
			}
		}
	}
	if n == 0 {
		t.Fatal("no error responses in the spec")
	}
}
