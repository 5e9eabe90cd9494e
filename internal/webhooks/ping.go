package webhooks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/amigate/amigate"
)

// testEvent is the body of a webhook.test ping: the envelope of every
// event, without a call.
type testEvent struct {
	ID           string    `json:"id"`
	Type         string    `json:"type"`
	OccurredAt   time.Time `json:"occurred_at"`
	Subscription string    `json:"subscription_id"`
}

// Test sends a signed webhook.test event to a subscription now and returns
// what the receiver answered. It is sent beside the subscription's queue,
// not through it (it waits for no event and holds none up), whatever the
// subscription's event filter, and to a disabled subscription too: that is
// how a receiver's fix is checked before enabling it again. A 410 to a
// ping disables nothing. The receiver's answer is in the result, not in
// the error.
func (d *Dispatcher) Test(ctx context.Context, id string) (amigate.WebhookTestResult, error) {
	rec, err := d.record(ctx, id)
	if err != nil {
		return amigate.WebhookTestResult{}, err
	}
	keys, err := d.signingKeys(rec)
	if err != nil {
		return amigate.WebhookTestResult{}, err
	}
	var raw [12]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return amigate.WebhookTestResult{}, fmt.Errorf("webhooks: test event id: %w", err)
	}
	now := d.cfg.Now()
	ev := testEvent{ID: "evt_test_" + hex.EncodeToString(raw[:]), Type: amigate.EventWebhookTest, OccurredAt: now.UTC(), Subscription: id}
	body, err := json.Marshal(ev)
	if err != nil {
		return amigate.WebhookTestResult{}, err
	}
	start := time.Now()
	a := d.send(ctx, rec.URL, keys.signer(now), ev.ID, body)
	return amigate.WebhookTestResult{
		EventID:    ev.ID,
		Delivered:  a.ok(),
		StatusCode: a.status,
		LatencyMS:  float64(time.Since(start).Microseconds()) / 1000,
		Error:      a.err,
	}, nil
}
