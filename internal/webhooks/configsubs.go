package webhooks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/amigate/amigate/internal/webhooks/signature"
)

// configID is stable across restarts and instances, so every instance
// with the same configuration shares the subscription's consumer.
func configID(url string, events []string) string {
	sum := sha256.Sum256([]byte(url + "\n" + strings.Join(events, ",")))
	return "cfg_" + hex.EncodeToString(sum[:8])
}

// registerConfig upserts the configuration's subscriptions (enabled again
// at each start, so a restart is how an operator re-enables one disabled
// by 410 Gone) and removes the records of ones no longer configured.
func (d *Dispatcher) registerConfig(ctx context.Context) error {
	keep := make(map[string]bool)
	for i, cs := range d.cfg.Subscriptions {
		if err := CheckConfigURL(ctx, d.cfg.Resolver, d.cfg.AllowPrivate, cs.URL); err != nil {
			return fmt.Errorf("webhooks: subscription %d: %w", i, err)
		}
		if _, err := signature.NewSigner(cs.Secret); err != nil {
			return fmt.Errorf("webhooks: subscription %d (%s): %w", i, RedactURL(cs.URL), err)
		}
		events, err := normalizeEvents(cs.Events)
		if err != nil {
			return fmt.Errorf("webhooks: subscription %d (%s): %w", i, RedactURL(cs.URL), err)
		}
		rec := subRecord{ID: configID(cs.URL, events), URL: cs.URL, Events: events, Source: sourceConfig, CreatedAt: d.cfg.Now().UTC()}
		if e, err := d.st.subs.Get(ctx, rec.ID); err == nil {
			var old subRecord
			if json.Unmarshal(e.Value(), &old) == nil {
				rec.CreatedAt = old.CreatedAt
			}
		}
		if _, err := d.st.stream.CreateOrUpdateConsumer(ctx, consumerConfig(rec.ID, events, d.cfg)); err != nil {
			return fmt.Errorf("webhooks: consumer for %s: %w", rec.ID, err)
		}
		if err := d.putSub(ctx, rec); err != nil {
			return err
		}
		d.configSecrets[rec.ID] = cs.Secret
		keep[rec.ID] = true
	}
	recs, err := d.records(ctx)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if r.Source == sourceConfig && !keep[r.ID] {
			d.removeSub(ctx, r.ID)
		}
	}
	return nil
}
