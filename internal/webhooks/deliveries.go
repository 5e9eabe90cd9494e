package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/amigate/amigate"
)

// deliveryRecord is a delivery's state in the deliveries bucket, keyed
// "<subscription>.<event token>". Seq finds the event in the stream again.
type deliveryRecord struct {
	amigate.Delivery
	Seq uint64 `json:"seq"`
}

func (r *deliveryRecord) final() bool { return r.Delivered || r.Dead }

func deliveryKey(subID, eventID string) string { return subID + "." + token(eventID) }

func (d *Dispatcher) saveDelivery(ctx context.Context, subID string, r *deliveryRecord) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if _, err := d.st.deliveries.Put(ctx, deliveryKey(subID, r.EventID), b); err != nil {
		return fmt.Errorf("webhooks: save delivery %s/%s: %w", subID, r.EventID, err)
	}
	return nil
}

// loadDelivery returns the stored state, or false when there is none yet.
func (d *Dispatcher) loadDelivery(ctx context.Context, subID, eventID string) (deliveryRecord, bool, error) {
	e, err := d.st.deliveries.Get(ctx, deliveryKey(subID, eventID))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return deliveryRecord{}, false, nil
	}
	if err != nil {
		return deliveryRecord{}, false, fmt.Errorf("webhooks: load delivery %s/%s: %w", subID, eventID, err)
	}
	var r deliveryRecord
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return deliveryRecord{}, false, fmt.Errorf("webhooks: delivery %s/%s: %w", subID, eventID, err)
	}
	return r, true, nil
}

// deliveriesSince reads the subscription's delivery records written since
// a time, the latest per event, straight from the bucket's stream.
func (d *Dispatcher) deliveriesSince(ctx context.Context, id string, since time.Time) (map[string]amigate.Delivery, error) {
	cons, err := d.st.js.OrderedConsumer(ctx, "KV_"+deliveriesBucket, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{"$KV." + deliveriesBucket + "." + id + ".*"},
		DeliverPolicy:  jetstream.DeliverByStartTimePolicy,
		OptStartTime:   &since,
	})
	if err != nil {
		return nil, fmt.Errorf("webhooks: list deliveries: %w", err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("webhooks: list deliveries: %w", err)
	}
	out := make(map[string]amigate.Delivery)
	for pending := info.NumPending; pending > 0; {
		batch, err := cons.FetchNoWait(256)
		if err != nil {
			return nil, fmt.Errorf("webhooks: list deliveries: %w", err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			var r deliveryRecord
			if json.Unmarshal(m.Data(), &r) == nil {
				out[r.EventID] = r.Delivery
			}
			if md, err := m.Metadata(); err == nil {
				pending = md.NumPending
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("webhooks: list deliveries: %w", err)
		}
		if n == 0 {
			break
		}
	}
	return out, nil
}

// Retry sends one event to a subscription again now. An event still in its
// retry schedule on this instance is woken; a delivered, dead or foreign one
// is sent once, synchronously, and its record updated. Only events that
// were attempted before (listed by Deliveries) and are still retained can
// be retried; others are ErrNotFound. The attempt's outcome is in the
// record, not in the error.
func (d *Dispatcher) Retry(ctx context.Context, id, eventID string) error {
	sub, err := d.record(ctx, id)
	if err != nil {
		return err
	}
	rec, found, err := d.loadDelivery(ctx, id, eventID)
	if err != nil {
		return err
	}
	if !found {
		return amigate.Errorf(amigate.ErrNotFound, "no delivery of event %q to subscription %s", eventID, id)
	}
	if w := d.worker(id); w != nil && !rec.final() && w.wake(rec.Seq) {
		return nil
	}
	raw, err := d.st.stream.GetMsg(ctx, rec.Seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return amigate.Errorf(amigate.ErrNotFound, "event %q is no longer retained", eventID)
	}
	if err != nil {
		return fmt.Errorf("webhooks: load event %q: %w", eventID, err)
	}
	keys, err := d.signingKeys(sub)
	if err != nil {
		return err
	}
	a := d.send(ctx, sub.URL, keys.signer(d.cfg.Now()), rec.EventID, raw.Data)
	rec.Attempts++
	rec.StatusCode, rec.Error, rec.UpdatedAt = a.status, a.err, d.cfg.Now().UTC()
	if a.ok() {
		rec.Delivered, rec.Dead, rec.NextRetryAt = true, false, nil
		d.cfg.Metrics.DeliveryDone(OutcomeDelivered, d.cfg.Now().Sub(readAt(raw.Header.Get(hdrReadAt), raw.Time)))
	}
	return d.saveDelivery(ctx, id, &rec)
}

// readAt parses the stored AMI read time, falling back to the store time.
func readAt(s string, stored time.Time) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil && !t.IsZero() && t.Year() > 1 {
		return t
	}
	return stored
}
