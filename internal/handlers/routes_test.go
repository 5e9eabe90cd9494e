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
	f.hooks.DeliveriesFn = func(_ context.Context, id string) ([]amigate.Delivery, error) {
		return []amigate.Delivery{{EventID: "evt_1", EventType: "call.ended", Attempts: 2, StatusCode: 500, UpdatedAt: created}}, nil
	}
	f.hooks.RetryFn = func(_ context.Context, id, ev string) error { got = append(got, "retry "+id+" "+ev); return nil }

	tok := token(t, allScopes, "")
	tests := []struct {
		method, path, body string
		wantStatus         int
		wantBody           string
		wantLocation       string
	}{
		{"GET", "/v1/queues", "", 200, `[{"name":"support","logged_in":2,"available":1,"callers":0,"hold_time_seconds":0,"talk_time_seconds":0,"longest_hold_seconds":0}]`, ""},
		{"GET", "/v1/queues/support", "", 200, `{"name":"support","strategy":"ringall","calls":0,"completed":0,"abandoned":0,"service_level":0,"service_level_perf":0,"hold_time_seconds":0,"talk_time_seconds":0,"max":0,"members":[],"callers":[]}`, ""},
		{"GET", "/v1/queues/sales", "", 404, "", ""},
		{"POST", "/v1/queues/support/pause", `{"interface":"PJSIP/101","paused":false,"reason":"back"}`, 204, "", ""},
		{"POST", "/v1/webhooks", `{"url":"https://crm.example/h","events":["call.ringing"]}`, 201,
			`{"id":"wh_1","url":"https://crm.example/h","events":["call.ringing"],"secret":"whsec_x","disabled":false,"source":"api","created_at":"2026-11-22T10:00:00.123456Z"}`, "/v1/webhooks/wh_1"},
		{"GET", "/v1/webhooks", "", 200, `[]`, ""},
		{"GET", "/v1/webhooks/wh_2", "", 200, `{"id":"wh_2","url":"https://crm.example/h","events":[],"disabled":false,"source":"config","created_at":"2026-11-22T10:00:00.123456Z"}`, ""},
		{"DELETE", "/v1/webhooks/wh_2", "", 204, "", ""},
		{"GET", "/v1/webhooks/wh_2/deliveries", "", 200, `[{"event_id":"evt_1","event_type":"call.ended","attempts":2,"status_code":500,"delivered":false,"dead":false,"updated_at":"2026-11-22T10:00:00.123456Z"}]`, ""},
		{"POST", "/v1/webhooks/wh_2/deliveries/evt_1/retry", "", 202, "", ""},
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
		"delete wh_2", "retry wh_2 evt_1",
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
