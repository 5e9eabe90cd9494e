package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/amigate/amigate"
)

// TestPing: a webhook.test goes to the subscription now, signed with its
// secret, whatever its filter, enabled or not, beside a call held by a
// failing event; what the receiver answered is the result, and a 410 to
// a ping disables nothing.
func TestPing(t *testing.T) {
	rcv := newRawReceiver(t)
	cfg := testConfig(t, ConfigSubscription{URL: rcv.srv.URL + "/cfg", Secret: testSecret2})
	cfg.Schedule = []time.Duration{time.Hour}
	d := open(t, cfg)
	ctx := context.Background()
	sub, err := d.Create(ctx, amigate.SubscriptionRequest{URL: rcv.srv.URL, Secret: testSecret, Events: []string{"call.ended"}})
	if err != nil {
		t.Fatal(err)
	}
	cfgID := configID(rcv.srv.URL+"/cfg", []string{"*"})
	off := false

	tests := []struct {
		name    string
		id      string
		secret  string
		status  int
		disable bool
		want    amigate.WebhookTestResult
	}{
		{"delivered", sub.ID, testSecret, http.StatusNoContent, false, amigate.WebhookTestResult{Delivered: true, StatusCode: 204}},
		{"configured", cfgID, testSecret2, http.StatusOK, false, amigate.WebhookTestResult{Delivered: true, StatusCode: 200}},
		{"refused", sub.ID, testSecret, http.StatusInternalServerError, false, amigate.WebhookTestResult{StatusCode: 500, Error: "HTTP 500"}},
		{"gone disables nothing", sub.ID, testSecret, http.StatusGone, false, amigate.WebhookTestResult{StatusCode: 410, Error: "HTTP 410"}},
		{"disabled", sub.ID, testSecret, http.StatusNoContent, true, amigate.WebhookTestResult{Delivered: true, StatusCode: 204}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.disable {
				if _, err := d.Patch(ctx, tt.id, amigate.SubscriptionPatch{Enabled: &off}); err != nil {
					t.Fatal(err)
				}
			}
			rcv.status.Store(int32(tt.status))
			got, err := d.Test(ctx, tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(got.EventID, "evt_test_") || got.LatencyMS <= 0 {
				t.Errorf("result %+v: want an evt_test_ id and a latency", got)
			}
			id := got.EventID
			got.EventID, got.LatencyMS = "", 0
			if got != tt.want {
				t.Errorf("result %+v, want %+v", got, tt.want)
			}
			s, ok := rcv.find(id)
			if !ok {
				t.Fatal("ping not received")
			}
			if err := s.verify(tt.secret, time.Now()); err != nil {
				t.Errorf("signature: %v", err)
			}
			var body struct {
				ID, Type     string
				OccurredAt   time.Time `json:"occurred_at"`
				Subscription string    `json:"subscription_id"`
			}
			if err := json.Unmarshal(s.body, &body); err != nil || body.ID != id || body.Type != amigate.EventWebhookTest || body.OccurredAt.IsZero() || body.Subscription != tt.id {
				t.Errorf("body %s: %v", s.body, err)
			}
			if sub, _ := d.Get(ctx, tt.id); sub.Disabled != tt.disable {
				t.Errorf("disabled %v after the ping, want %v", sub.Disabled, tt.disable)
			}
		})
	}

	// A call held by a failing event does not hold the ping up.
	rcv.status.Store(http.StatusServiceUnavailable)
	publish(t, d, events("held", 1, 2))
	waitFor(t, "the call failing", 5*time.Second, func() bool {
		p, err := d.Deliveries(ctx, cfgID, amigate.DeliveryQuery{State: amigate.DeliveryHeld})
		return err == nil && len(p.Deliveries) == 1
	})
	rcv.status.Store(http.StatusNoContent)
	if got, err := d.Test(ctx, cfgID); err != nil || !got.Delivered {
		t.Errorf("ping beside a held call: %+v, %v", got, err)
	}
	if _, err := d.Test(ctx, "wh_nope"); !errors.Is(err, amigate.ErrNotFound) {
		t.Errorf("unknown subscription: got %v", err)
	}
}
