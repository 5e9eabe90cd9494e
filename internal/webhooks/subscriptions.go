package webhooks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/webhooks/signature"
)

// Sources of a subscription.
const (
	sourceAPI    = "api"
	sourceConfig = "config"
)

// subRecord is a subscription as stored in the subscriptions bucket, in
// memory with its secret in plain text; stored, sealed (secrets.go). The
// secrets of configuration subscriptions stay in memory, never on disk.
type subRecord struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	Secret    string    `json:"secret,omitempty"`
	Disabled  bool      `json:"disabled"`
	Source    string    `json:"source"`
	CreatedAt time.Time `json:"created_at"`

	DisabledReason string     `json:"disabled_reason,omitempty"`
	DisabledAt     *time.Time `json:"disabled_at,omitempty"`
	// PrevSecret signs alongside Secret until PrevUntil, after a rotation.
	PrevSecret string     `json:"previous_secret,omitempty"`
	PrevUntil  *time.Time `json:"grace_until,omitempty"` // not "…secret…": only secrets are named so
}

// subscription is the record as the API shows it: credentials in the URL
// redacted, the secret never.
func (r subRecord) subscription() amigate.Subscription {
	return amigate.Subscription{ID: r.ID, URL: RedactURL(r.URL), Events: slices.Clone(r.Events), Disabled: r.Disabled,
		DisabledReason: r.DisabledReason, DisabledAt: r.DisabledAt, Source: r.Source, CreatedAt: r.CreatedAt,
		PreviousSecretExpiresAt: r.PrevUntil}
}

// sameDelivery reports whether a worker built for r delivers exactly as
// one built for o would: same target, filter and secrets.
func (r subRecord) sameDelivery(o subRecord) bool {
	return r.URL == o.URL && slices.Equal(r.Events, o.Events) && r.Secret == o.Secret &&
		r.PrevSecret == o.PrevSecret && timePtrEqual(r.PrevUntil, o.PrevUntil)
}

func timePtrEqual(a, b *time.Time) bool {
	return a == nil && b == nil || a != nil && b != nil && a.Equal(*b)
}

// normalizeEvents checks an event filter and returns it sorted; every
// call event is "*" (agent and campaign events are never implied: they
// are named).
func normalizeEvents(events []string) ([]string, error) {
	out := make([]string, 0, len(events))
	all := len(events) == 0 || slices.Contains(events, "*")
	if all {
		out = append(out, "*")
	}
	for _, e := range events {
		switch {
		case e == "*":
		case slices.Contains(amigate.EventTypes, e):
			if !all && !slices.Contains(out, e) {
				out = append(out, e)
			}
		case slices.Contains(amigate.AgentEventTypes, e), amigate.IsCampaignEvent(e):
			if !slices.Contains(out, e) {
				out = append(out, e)
			}
		default:
			return nil, &amigate.FieldError{Field: "events", Message: fmt.Sprintf("unknown event %q; want some of %s, %s, %s or * (every call event)",
				e, strings.Join(amigate.EventTypes, ", "), strings.Join(amigate.AgentEventTypes, ", "), strings.Join(amigate.CampaignEventTypes, ", "))}
		}
	}
	sort.Strings(out)
	return out, nil
}

// putSub stores a record, its secrets sealed, and erases the revision it
// replaces.
func (d *Dispatcher) putSub(ctx context.Context, rec subRecord) error {
	b, err := d.encodeSub(rec)
	if err != nil {
		return err
	}
	rev, err := d.st.subs.Put(ctx, rec.ID, b)
	if err != nil {
		return fmt.Errorf("webhooks: store subscription %s: %w", rec.ID, err)
	}
	return d.eraseBefore(ctx, rec.ID, rev)
}

// Create adds a subscription. Its secret is generated when the request has
// none, and is returned only here.
func (d *Dispatcher) Create(ctx context.Context, r amigate.SubscriptionRequest) (amigate.Subscription, error) {
	if d.cfg.Keys == nil {
		return amigate.Subscription{}, errNoKey
	}
	if err := checkURL(ctx, d.cfg.Resolver, d.cfg.AllowPrivate, r.URL); err != nil {
		return amigate.Subscription{}, err
	}
	events, err := normalizeEvents(r.Events)
	if err != nil {
		return amigate.Subscription{}, err
	}
	secret := r.Secret
	if secret == "" {
		if secret, err = signature.NewSecret(); err != nil {
			return amigate.Subscription{}, err
		}
	} else if _, err := signature.ParseSecret(secret); err != nil {
		return amigate.Subscription{}, &amigate.FieldError{Field: "secret", Message: "must be whsec_ followed by base64 of 24 to 64 bytes"}
	}
	var raw [8]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return amigate.Subscription{}, fmt.Errorf("webhooks: subscription id: %w", err)
	}
	rec := subRecord{ID: "wh_" + hex.EncodeToString(raw[:]), URL: r.URL, Events: events, Secret: secret, Source: sourceAPI, CreatedAt: d.cfg.Now().UTC()}
	// The consumer exists before Create returns, so every event published
	// after that reaches the new subscription.
	if _, err := d.st.stream.CreateOrUpdateConsumer(ctx, consumerConfig(rec.ID, events, d.cfg)); err != nil {
		return amigate.Subscription{}, fmt.Errorf("webhooks: create consumer: %w", err)
	}
	if err := d.putSub(ctx, rec); err != nil {
		_ = d.st.stream.DeleteConsumer(context.WithoutCancel(ctx), rec.ID)
		return amigate.Subscription{}, err
	}
	s := rec.subscription()
	s.Secret = secret
	return s, nil
}

// records reads every stored subscription.
func (d *Dispatcher) records(ctx context.Context) ([]subRecord, error) {
	lister, err := d.st.subs.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("webhooks: list subscriptions: %w", err)
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	recs := make([]subRecord, 0, len(keys))
	for _, k := range keys {
		rec, err := d.record(ctx, k)
		if errors.Is(err, amigate.ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		recs = append(recs, rec)
	}
	sort.Slice(recs, func(i, j int) bool {
		if !recs[i].CreatedAt.Equal(recs[j].CreatedAt) {
			return recs[i].CreatedAt.Before(recs[j].CreatedAt)
		}
		return recs[i].ID < recs[j].ID
	})
	return recs, nil
}

func (d *Dispatcher) record(ctx context.Context, id string) (subRecord, error) {
	rec, _, err := d.recordRev(ctx, id)
	return rec, err
}

// recordRev is record with the entry's revision, for a checked update.
func (d *Dispatcher) recordRev(ctx context.Context, id string) (subRecord, uint64, error) {
	if !validID(id) {
		return subRecord{}, 0, amigate.Errorf(amigate.ErrNotFound, "webhook subscription %q not found", id)
	}
	e, err := d.st.subs.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return subRecord{}, 0, amigate.Errorf(amigate.ErrNotFound, "webhook subscription %q not found", id)
	}
	if err != nil {
		return subRecord{}, 0, fmt.Errorf("webhooks: get subscription %s: %w", id, err)
	}
	rec, _, err := d.decodeSub(id, e.Value())
	return rec, e.Revision(), err
}

// validID reports whether id can be a subscription id (and so a key and a
// consumer name); anything else is simply not found.
func validID(id string) bool {
	return id != "" && len(id) <= 64 && token(id) == id
}

// List returns every subscription, oldest first, secrets blanked.
func (d *Dispatcher) List(ctx context.Context) ([]amigate.Subscription, error) {
	recs, err := d.records(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]amigate.Subscription, len(recs))
	for i, r := range recs {
		out[i] = r.subscription()
	}
	return out, nil
}

// Get returns one subscription, secret blanked.
func (d *Dispatcher) Get(ctx context.Context, id string) (amigate.Subscription, error) {
	rec, err := d.record(ctx, id)
	if err != nil {
		return amigate.Subscription{}, err
	}
	return rec.subscription(), nil
}

// Delete removes a subscription created through the API; configuration
// subscriptions are ErrConflict (remove them from the configuration).
func (d *Dispatcher) Delete(ctx context.Context, id string) error {
	rec, err := d.record(ctx, id)
	if err != nil {
		return err
	}
	if rec.Source == sourceConfig {
		return configured(id)
	}
	d.stopWorker(id)
	return d.removeSub(ctx, id)
}

// removeSub erases every revision of the record from the store's files,
// then purges the key: the purge marker, which holds nothing, is what
// every instance's watcher sees.
func (d *Dispatcher) removeSub(ctx context.Context, id string) error {
	if err := d.eraseBefore(ctx, id, 0); err != nil {
		return err
	}
	if err := d.st.subs.Purge(ctx, id); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("webhooks: delete subscription %s: %w", id, err)
	}
	if err := d.st.stream.DeleteConsumer(ctx, id); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return fmt.Errorf("webhooks: delete consumer %s: %w", id, err)
	}
	return nil
}

// disable marks a subscription disabled after a 410 Gone: the receiver
// said it wants nothing more. Its consumer stays, so the events that come
// meanwhile wait in the store and go out in order if it is enabled again.
func (d *Dispatcher) disable(ctx context.Context, id string) error {
	now := d.cfg.Now().UTC()
	_, err := d.updateSub(ctx, id, func(rec *subRecord) error {
		if rec.Disabled {
			return errUnchanged
		}
		rec.Disabled, rec.DisabledReason, rec.DisabledAt = true, amigate.DisabledGone, &now
		return nil
	})
	if err != nil && !errors.Is(err, errUnchanged) {
		return err
	}
	d.park(id)
	return nil
}
