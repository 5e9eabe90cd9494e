package handlers

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/amigate/amigate"
)

// TestQueueAndWebhookRoutes checks each route's success status, body and
// what reached the service.
func TestQueueAndWebhookRoutes(t *testing.T) {
	created := time.Date(2026, 11, 22, 10, 0, 0, 123456000, time.UTC)
	f := newFixture(t, Options{})
	var got []any
	f.queues.QueuesFn = func(context.Context) ([]amigate.QueueSummary, error) {
		return []amigate.QueueSummary{{Name: "support", LoggedIn: 2, Available: 1}}, nil
	}
	f.queues.QueueFn = func(_ context.Context, name string) (amigate.QueueStatus, error) {
		if name != "support" {
			return amigate.QueueStatus{}, amigate.ErrNotFound
		}
		return amigate.QueueStatus{Name: name, Strategy: "ringall", Members: []amigate.QueueMember{}, Callers: []amigate.QueueCaller{}}, nil
	}
	f.queues.PauseFn = func(_ context.Context, q string, r amigate.QueuePauseRequest) error {
		got = append(got, q, r)
		return nil
	}
	f.hooks.CreateFn = func(_ context.Context, r amigate.SubscriptionRequest) (amigate.Subscription, error) {
		got = append(got, r)
		return amigate.Subscription{ID: "wh_1", URL: r.URL, Events: r.Events, Secret: "whsec_x", Source: "api", CreatedAt: created}, nil
	}
	f.hooks.ListFn = func(context.Context) ([]amigate.Subscription, error) { return nil, nil }
	f.hooks.GetFn = func(_ context.Context, id string) (amigate.Subscription, error) {
		return amigate.Subscription{ID: id, URL: "https://crm.example/h", Events: []string{}, Source: "config", CreatedAt: created}, nil
	}
	f.hooks.DeleteFn = func(_ context.Context, id string) error { got = append(got, "delete "+id); return nil }
	f.hooks.DeliveriesFn = func(_ context.Context, id string, q amigate.DeliveryQuery) (amigate.DeliveryPage, error) {
		got = append(got, q)
		p := amigate.DeliveryPage{Deliveries: []amigate.Delivery{{EventID: "evt_1", EventType: "call.ended", State: "failing", CallID: "c1", Sequence: 3, Attempts: 2, StatusCode: 500, UpdatedAt: created}}}
		if q.State == "held" {
			p = amigate.DeliveryPage{Deliveries: []amigate.Delivery{{EventID: "evt_2", EventType: "call.ended", State: "held", CallID: "c1", Sequence: 4, BlockedBy: "evt_1"}}, Next: "q42"}
		}
		return p, nil
	}
	f.hooks.PatchFn = func(_ context.Context, id string, p amigate.SubscriptionPatch) (amigate.Subscription, error) {
		got = append(got, p)
		until := created.Add(24 * time.Hour)
		return amigate.Subscription{ID: id, URL: "https://crm.example/h2", Events: []string{"*"}, Secret: "whsec_new", Source: "api", CreatedAt: created, PreviousSecretExpiresAt: &until}, nil
	}
	f.hooks.TestFn = func(_ context.Context, id string) (amigate.WebhookTestResult, error) {
		got = append(got, "test "+id)
		return amigate.WebhookTestResult{EventID: "evt_test_1", StatusCode: 503, LatencyMS: 12.5, Error: "HTTP 503"}, nil
	}
	f.hooks.RetryFn = func(_ context.Context, id, ev string) error { got = append(got, "retry "+id+" "+ev); return nil }

	tok := token(t, allScopes, "")
	tests := []struct {
		method, path, body string
		wantStatus         int
		wantBody           string
		wantLocation       string
		wantLink           string
	}{
		{"GET", "/v1/queues", "", 200, `[{"name":"support","logged_in":2,"available":1,"callers":0,"hold_time_seconds":0,"talk_time_seconds":0,"longest_hold_seconds":0}]`, "", ""},
		{"GET", "/v1/queues/support", "", 200, `{"name":"support","strategy":"ringall","calls":0,"completed":0,"abandoned":0,"service_level":0,"service_level_perf":0,"hold_time_seconds":0,"talk_time_seconds":0,"max":0,"members":[],"callers":[]}`, "", ""},
		{"GET", "/v1/queues/sales", "", 404, "", "", ""},
		{"POST", "/v1/queues/support/pause", `{"interface":"PJSIP/101","paused":false,"reason":"back"}`, 204, "", "", ""},
		{"POST", "/v1/webhooks", `{"url":"https://crm.example/h","events":["call.ringing"]}`, 201,
			`{"id":"wh_1","url":"https://crm.example/h","events":["call.ringing"],"secret":"whsec_x","disabled":false,"source":"api","created_at":"2026-11-22T10:00:00.123456Z"}`, "/v1/webhooks/wh_1", ""},
		{"GET", "/v1/webhooks", "", 200, `[]`, "", ""},
		{"GET", "/v1/webhooks/wh_2", "", 200, `{"id":"wh_2","url":"https://crm.example/h","events":[],"disabled":false,"source":"config","created_at":"2026-11-22T10:00:00.123456Z"}`, "", ""},
		{"DELETE", "/v1/webhooks/wh_2", "", 204, "", "", ""},
		{"PATCH", "/v1/webhooks/wh_2", `{"url":"https://crm.example/h2","events":[],"enabled":true,"rotate_secret":true,"secret_grace_seconds":3600}`, 200,
			`{"id":"wh_2","url":"https://crm.example/h2","events":["*"],"secret":"whsec_new","disabled":false,"source":"api","created_at":"2026-11-22T10:00:00.123456Z","previous_secret_expires_at":"2026-11-23T10:00:00.123456Z"}`, "", ""},
		{"POST", "/v1/webhooks/wh_2/test", "", 200, `{"event_id":"evt_test_1","delivered":false,"status_code":503,"latency_ms":12.5,"error":"HTTP 503"}`, "", ""},
		{"GET", "/v1/webhooks/wh_2/deliveries", "", 200, `[{"event_id":"evt_1","event_type":"call.ended","state":"failing","call_id":"c1","sequence":3,"attempts":2,"status_code":500,"delivered":false,"dead":false,"updated_at":"2026-11-22T10:00:00.123456Z"}]`, "", ""},
		{"GET", "/v1/webhooks/wh_2/deliveries?state=held&call_id=c1&limit=1", "", 200, `[{"event_id":"evt_2","event_type":"call.ended","state":"held","call_id":"c1","sequence":4,"blocked_by":"evt_1","attempts":0,"delivered":false,"dead":false}]`, "",
			`</v1/webhooks/wh_2/deliveries?call_id=c1&cursor=q42&limit=1&state=held>; rel="next"`},
		{"POST", "/v1/webhooks/wh_2/deliveries/evt_1/retry", "", 202, "", "", ""},
	}
	for _, tt := range tests {
		rec := f.do(t, request{Method: tt.method, Path: tt.path, Body: tt.body, Token: tok})
		if rec.Code != tt.wantStatus {
			t.Errorf("%s %s: got %d, want %d; body %s", tt.method, tt.path, rec.Code, tt.wantStatus, rec.Body)
			continue
		}
		if tt.wantBody != "" && rec.Body.String() != tt.wantBody+"\n" {
			t.Errorf("%s %s: body\n%s\nwant\n%s", tt.method, tt.path, rec.Body, tt.wantBody)
		}
		if link := rec.Header().Get("Link"); link != tt.wantLink {
			t.Errorf("%s %s: Link %q, want %q", tt.method, tt.path, link, tt.wantLink)
		}
		if loc := rec.Header().Get("Location"); loc != tt.wantLocation {
			t.Errorf("%s %s: Location %q, want %q", tt.method, tt.path, loc, tt.wantLocation)
		}
		if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s %s: Cache-Control %q, want no-store", tt.method, tt.path, cc)
		}
		if tt.wantStatus == http.StatusNoContent && rec.Body.Len() != 0 {
			t.Errorf("%s %s: 204 with a body", tt.method, tt.path)
		}
	}
	want := []any{
		"support", amigate.QueuePauseRequest{Interface: "PJSIP/101", Paused: false, Reason: "back"},
		amigate.SubscriptionRequest{URL: "https://crm.example/h", Events: []string{"call.ringing"}},
		"delete wh_2",
		amigate.SubscriptionPatch{URL: ptr("https://crm.example/h2"), Events: &[]string{}, Enabled: ptr(true), RotateSecret: true, SecretGrace: ptr(time.Hour)},
		"test wh_2",
		amigate.DeliveryQuery{},
		amigate.DeliveryQuery{State: "held", CallID: "c1", Limit: 1},
		"retry wh_2 evt_1",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("service calls (-want +got):\n%s", d)
	}
}

// TestTimeoutBoundsServiceCalls checks that a service call that never
// returns is cut by Options.Timeout (504), not left hanging.
func TestTimeoutBoundsServiceCalls(t *testing.T) {
	f := newFixture(t, Options{Timeout: 10 * time.Millisecond})
	f.queues.QueuesFn = func(ctx context.Context) ([]amigate.QueueSummary, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	rec := f.do(t, request{Method: "GET", Path: "/v1/queues", Token: token(t, "queues:read", "")})
	if rec.Code != http.StatusGatewayTimeout {
		t.Fatalf("got %d, want 504", rec.Code)
	}
}

func ptr[T any](v T) *T { return &v }

// TestWebhookPatchAndQueryErrors checks the refusals of PATCH
// /v1/webhooks/{id} and of the deliveries query: status, problem type, and
// that nothing refused by the HTTP layer reaches the service.
func TestWebhookPatchAndQueryErrors(t *testing.T) {
	f := newFixture(t, Options{})
	var calls int
	f.hooks.PatchFn = func(_ context.Context, id string, p amigate.SubscriptionPatch) (amigate.Subscription, error) {
		calls++
		switch {
		case id == "cfg_1":
			return amigate.Subscription{}, amigate.Errorf(amigate.ErrConfigured, "webhook subscription cfg_1 comes from configuration: change it there")
		case p.Empty():
			return amigate.Subscription{}, amigate.Errorf(amigate.ErrInvalid, "the patch changes nothing")
		}
		return amigate.Subscription{ID: id, Events: []string{"*"}}, nil
	}
	f.hooks.DeliveriesFn = func(context.Context, string, amigate.DeliveryQuery) (amigate.DeliveryPage, error) {
		calls++
		return amigate.DeliveryPage{}, nil
	}
	tok := token(t, allScopes, "")
	tests := []struct {
		name, method, path, body, ctype string
		wantStatus                      int
		wantKind                        string
		wantField                       string
		reaches                         bool
	}{
		{"merge patch type", "PATCH", "/v1/webhooks/wh_1", `{"enabled":false}`, "application/merge-patch+json", 200, "", "", true},
		{"null is left out", "PATCH", "/v1/webhooks/wh_1", `{"url":null,"enabled":true}`, "", 200, "", "", true},
		{"empty patch", "PATCH", "/v1/webhooks/wh_1", `{}`, "", 422, kindInvalid, "", true},
		{"configured", "PATCH", "/v1/webhooks/cfg_1", `{"enabled":true}`, "", 409, kindConfigured, "", true},
		{"unknown field", "PATCH", "/v1/webhooks/wh_1", `{"secret":"whsec_x"}`, "", 400, kindMalformed, "secret", false},
		{"no body", "PATCH", "/v1/webhooks/wh_1", ``, "", 400, kindMalformed, "", false},
		{"text body", "PATCH", "/v1/webhooks/wh_1", `{"enabled":true}`, "text/plain", 415, kindMediaType, "", false},
		{"merge patch on POST", "POST", "/v1/webhooks", `{"url":"https://crm.example/h"}`, "application/merge-patch+json", 415, kindMediaType, "", false},
		{"bad url", "PATCH", "/v1/webhooks/wh_1", `{"url":"ftp://x"}`, "", 422, kindInvalid, "url", false},
		{"bad event", "PATCH", "/v1/webhooks/wh_1", `{"events":["call.nope"]}`, "", 422, kindInvalid, "events[0]", false},
		{"grace too long", "PATCH", "/v1/webhooks/wh_1", `{"rotate_secret":true,"secret_grace_seconds":604801}`, "", 422, kindInvalid, "secret_grace_seconds", false},
		{"negative grace", "PATCH", "/v1/webhooks/wh_1", `{"rotate_secret":true,"secret_grace_seconds":-1}`, "", 422, kindInvalid, "secret_grace_seconds", false},
		{"enabled not a boolean", "PATCH", "/v1/webhooks/wh_1", `{"enabled":"yes"}`, "", 422, kindInvalid, "enabled", false},
		{"bad state", "GET", "/v1/webhooks/wh_1/deliveries?state=lost", "", "", 422, kindInvalid, "state", false},
		{"bad limit", "GET", "/v1/webhooks/wh_1/deliveries?limit=0", "", "", 422, kindInvalid, "limit", false},
		{"bad call id", "GET", "/v1/webhooks/wh_1/deliveries?call_id=a%0Ab", "", "", 422, kindInvalid, "call_id", false},
		{"bad cursor", "GET", "/v1/webhooks/wh_1/deliveries?cursor=a%20b", "", "", 422, kindInvalid, "cursor", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := calls
			r := request{Method: tt.method, Path: tt.path, Body: tt.body, Token: tok}
			if tt.ctype != "" {
				r.Header = map[string]string{"Content-Type": tt.ctype}
			}
			rec := f.do(t, r)
			if rec.Code != tt.wantStatus {
				t.Fatalf("got %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if reached := calls > before; reached != tt.reaches {
				t.Errorf("reached the service: %v, want %v", reached, tt.reaches)
			}
			if tt.wantKind == "" {
				return
			}
			p := problemOf(t, rec)
			if p.Type != ProblemTypeBase+tt.wantKind {
				t.Errorf("type %s, want %s", p.Type, tt.wantKind)
			}
			if tt.wantField != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tt.wantField) {
				t.Errorf("errors %+v, want field %s", p.Errors, tt.wantField)
			}
		})
	}
}
