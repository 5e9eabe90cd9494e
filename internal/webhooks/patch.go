package webhooks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/webhooks/signature"
)

// Bounds of the grace period during which a rotated-out secret still signs.
const (
	DefaultSecretGrace = 24 * time.Hour
	MaxSecretGrace     = 7 * 24 * time.Hour
)

// maxUpdateTries bounds the read-modify-write rounds of one update when
// other instances keep changing the same subscription.
const maxUpdateTries = 10

// errUnchanged is returned by an update function that has nothing to write.
var errUnchanged = errors.New("webhooks: subscription unchanged")

// updateSub changes a stored subscription with fn, checked against the
// revision it read: an instance that changed it meanwhile makes it read
// and apply fn again, so no change is lost to a concurrent one.
func (d *Dispatcher) updateSub(ctx context.Context, id string, fn func(*subRecord) error) (subRecord, error) {
	for range maxUpdateTries {
		rec, rev, err := d.recordRev(ctx, id)
		if err != nil {
			return subRecord{}, err
		}
		if err := fn(&rec); err != nil {
			return rec, err
		}
		b, err := d.encodeSub(rec) // seals a copy: rec keeps its secrets in plain text
		if err != nil {
			return subRecord{}, err
		}
		rev, err = d.st.subs.Update(ctx, id, b, rev)
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			continue
		}
		if err != nil {
			return subRecord{}, fmt.Errorf("webhooks: update subscription %s: %w", id, err)
		}
		return rec, d.eraseBefore(ctx, id, rev)
	}
	return subRecord{}, fmt.Errorf("webhooks: update subscription %s: changed concurrently %d times: %w", id, maxUpdateTries, amigate.ErrConflict)
}

// Patch changes a subscription made through the API (configuration ones
// are ErrConfigured). Enabling one that was disabled resumes its delivery
// where it stopped, in order: the event the receiver answered 410 to is
// sent again first. Rotating the secret returns the new one, only here;
// the previous one keeps signing alongside it for the grace period.
func (d *Dispatcher) Patch(ctx context.Context, id string, p amigate.SubscriptionPatch) (amigate.Subscription, error) {
	if p.Empty() {
		return amigate.Subscription{}, amigate.Errorf(amigate.ErrInvalid, "the patch changes nothing: give url, events, enabled or rotate_secret")
	}
	grace := DefaultSecretGrace
	if p.SecretGrace != nil {
		if !p.RotateSecret {
			return amigate.Subscription{}, &amigate.FieldError{Field: "secret_grace_seconds", Message: "only with rotate_secret"}
		}
		if grace = *p.SecretGrace; grace < 0 || grace > MaxSecretGrace {
			return amigate.Subscription{}, &amigate.FieldError{Field: "secret_grace_seconds", Message: fmt.Sprintf("must be 0 to %d", int(MaxSecretGrace/time.Second))}
		}
	}
	cur, err := d.record(ctx, id)
	if err != nil {
		return amigate.Subscription{}, err
	}
	if cur.Source == sourceConfig {
		return amigate.Subscription{}, configured(id)
	}
	if p.URL != nil {
		if err := checkURL(ctx, d.cfg.Resolver, d.cfg.AllowPrivate, *p.URL); err != nil {
			return amigate.Subscription{}, err
		}
	}
	var events []string
	if p.Events != nil {
		if events, err = normalizeEvents(*p.Events); err != nil {
			return amigate.Subscription{}, err
		}
	}
	var secret string
	if p.RotateSecret {
		if secret, err = signature.NewSecret(); err != nil {
			return amigate.Subscription{}, err
		}
	}
	// A disabled subscription's consumer holds its events; one disabled
	// before consumers were kept has none, and its worker needs one to start
	// on when the record says it is enabled.
	if p.Enabled != nil && *p.Enabled && cur.Disabled {
		want := cur.Events
		if events != nil {
			want = events
		}
		if _, err := d.st.stream.CreateOrUpdateConsumer(ctx, consumerConfig(id, want, d.cfg)); err != nil {
			return amigate.Subscription{}, fmt.Errorf("webhooks: update consumer %s: %w", id, err)
		}
	}
	now := d.cfg.Now().UTC()
	rec, err := d.updateSub(ctx, id, func(rec *subRecord) error {
		if rec.Source == sourceConfig {
			return configured(id)
		}
		if p.URL != nil {
			rec.URL = *p.URL
		}
		if events != nil {
			rec.Events = events
		}
		if p.Enabled != nil {
			switch {
			case *p.Enabled:
				rec.Disabled, rec.DisabledReason, rec.DisabledAt = false, "", nil
			case !rec.Disabled:
				rec.Disabled, rec.DisabledReason, rec.DisabledAt = true, amigate.DisabledOperator, &now
			}
		}
		if p.RotateSecret {
			rec.PrevSecret, rec.PrevUntil = "", nil
			if grace > 0 {
				until := now.Add(grace)
				rec.PrevSecret, rec.PrevUntil = rec.Secret, &until
			}
			rec.Secret = secret
		} else if rec.PrevUntil != nil && !now.Before(*rec.PrevUntil) {
			rec.PrevSecret, rec.PrevUntil = "", nil // its grace is over: forget it
		}
		return nil
	})
	if err != nil {
		return amigate.Subscription{}, err
	}
	if events != nil && !slices.Equal(events, cur.Events) {
		// The filter changes in the record first, then in the consumer: the
		// workers take the added event types before the consumer sends
		// them (and drop the removed ones it still sends).
		if _, err := d.st.stream.CreateOrUpdateConsumer(ctx, consumerConfig(id, rec.Events, d.cfg)); err != nil {
			return amigate.Subscription{}, fmt.Errorf("webhooks: update consumer %s: %w", id, err)
		}
	}
	s := rec.subscription()
	if p.RotateSecret {
		s.Secret = secret
	}
	return s, nil
}

func configured(id string) error {
	return amigate.Errorf(amigate.ErrConfigured, "webhook subscription %s comes from configuration: change it there", id)
}
