package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/sealed"
)

// Secrets at rest. The secret of a subscription created through the API is
// stored sealed (package sealed: AES-256-GCM under AMIGATE_SECRETS_KEY, the
// subscription's id and the field as additional data); configuration
// secrets are never stored. A replaced revision of a record is erased from
// the store's files (eraseBefore), and so is every revision when the
// subscription is deleted: no ciphertext is left to open with a leaked key.

// legacySubsBucket is where versions before sealing kept subscriptions, their
// secrets in plain text; openSecrets moves them and deletes it.
const legacySubsBucket = "amigate_subscriptions"

// errNoKey refuses to store a secret without a key.
var errNoKey = amigate.Errorf(amigate.ErrConflict,
	"webhook subscriptions cannot be created through the API: the service has no AMIGATE_SECRETS_KEY to encrypt their secrets with")

// secretFields are the record's secrets by name: the one list encodeSub
// seals and decodeSub opens. The name is part of the additional data.
func (r *subRecord) secretFields() map[string]*string {
	return map[string]*string{"secret": &r.Secret, "previous_secret": &r.PrevSecret}
}

// sealAD binds a sealed secret to its record and field.
func sealAD(id, field string) []byte {
	return []byte("amigate webhook subscription " + id + " " + field)
}

// encodeSub is a record as stored: its secrets sealed.
func (d *Dispatcher) encodeSub(rec subRecord) ([]byte, error) {
	for field, p := range rec.secretFields() {
		if *p == "" {
			continue
		}
		if d.cfg.Keys == nil {
			return nil, errNoKey
		}
		*p = d.cfg.Keys.Seal([]byte(*p), sealAD(rec.ID, field))
	}
	return json.Marshal(rec)
}

// decodeSub reads a stored record and opens its secrets. stale reports a
// secret that needs sealing again: in plain text (an earlier version's) or
// sealed with AMIGATE_SECRETS_KEY_PREVIOUS.
func (d *Dispatcher) decodeSub(key string, b []byte) (rec subRecord, stale bool, err error) {
	if err := json.Unmarshal(b, &rec); err != nil {
		return subRecord{}, false, fmt.Errorf("webhooks: subscription %s: %w", key, err)
	}
	for field, p := range rec.secretFields() {
		if *p == "" {
			continue
		}
		if !sealed.IsSealed(*p) {
			stale = true // plain text: sealed when written again
			continue
		}
		if d.cfg.Keys == nil {
			return subRecord{}, false, fmt.Errorf("webhooks: subscription %s: its secret is encrypted and AMIGATE_SECRETS_KEY is not set", key)
		}
		plain, old, err := d.cfg.Keys.Open(*p, sealAD(rec.ID, field))
		if err != nil {
			return subRecord{}, false, fmt.Errorf("webhooks: subscription %s: %w", key, err)
		}
		*p, stale = string(plain), stale || old
	}
	return rec, stale, nil
}

// eraseBefore overwrites in the store's files every revision of key older
// than rev (all of them with rev 0): the bucket keeps the replaced revision
// (subsHistory) so that it is erased here rather than merely dropped.
func (d *Dispatcher) eraseBefore(ctx context.Context, key string, rev uint64) error {
	hist, err := d.st.subs.History(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("webhooks: history of subscription %s: %w", key, err)
	}
	for _, e := range hist {
		if rev != 0 && e.Revision() >= rev {
			continue
		}
		if err := d.st.subsStream.SecureDeleteMsg(ctx, e.Revision()); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
			// Two writers of one record (instances, or concurrent patches)
			// erase the same revision: the one that comes second finds it
			// gone, which the store reports as a failed deletion.
			if _, gerr := d.st.subsStream.GetMsg(ctx, e.Revision()); errors.Is(gerr, jetstream.ErrMsgNotFound) {
				continue
			}
			return fmt.Errorf("webhooks: erase subscription %s revision %d: %w", key, e.Revision(), err)
		}
	}
	return nil
}

// openSecrets runs at start-up, before the subscriptions are used: it moves
// an earlier version's plain-text bucket here, sealing its secrets, then
// checks that every stored secret opens (naming the subscriptions whose
// secrets do not, rather than skipping them), seals again those sealed with
// the previous key, and erases revisions a crash left behind.
func (d *Dispatcher) openSecrets(ctx context.Context) error {
	if err := d.moveLegacy(ctx); err != nil {
		return err
	}
	lister, err := d.st.subs.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("webhooks: list subscriptions: %w", err)
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	var locked, unopened, resealed []string
	for _, k := range keys {
		e, err := d.st.subs.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("webhooks: get subscription %s: %w", k, err)
		}
		rec, stale, err := d.decodeSub(k, e.Value())
		switch {
		case err != nil && d.cfg.Keys == nil:
			locked = append(locked, k)
			continue
		case err != nil:
			unopened = append(unopened, k)
			continue
		case stale && d.cfg.Keys == nil:
			locked = append(locked, k) // plain text, nothing to seal it with
			continue
		case stale:
			if err := d.putSub(ctx, rec); err != nil {
				return err
			}
			resealed = append(resealed, k)
			continue
		}
		if err := d.eraseBefore(ctx, k, e.Revision()); err != nil {
			return err
		}
	}
	if len(locked) > 0 {
		return fmt.Errorf("webhooks: AMIGATE_SECRETS_KEY is not set and the store holds webhook subscriptions created through the API (%s), whose secrets are stored encrypted with it: set it (to the key they were stored with, or to a new one, generated with openssl rand -base64 32, for secrets of an earlier version stored in plain text)",
			strings.Join(locked, ", "))
	}
	if len(unopened) > 0 {
		return fmt.Errorf("webhooks: AMIGATE_SECRETS_KEY does not open the secrets of webhook subscriptions %s (stored with another key, or altered): set the key they were stored with; when rotating, the new key in AMIGATE_SECRETS_KEY and the old one in AMIGATE_SECRETS_KEY_PREVIOUS",
			strings.Join(unopened, ", "))
	}
	if len(resealed) > 0 {
		d.cfg.Logger.Info("webhooks: subscription secrets encrypted again with AMIGATE_SECRETS_KEY (plain text of an earlier version, or AMIGATE_SECRETS_KEY_PREVIOUS)",
			"subscriptions", resealed)
	}
	return nil
}

// moveLegacy copies the subscriptions of an earlier version's bucket here,
// their secrets sealed, then deletes that bucket: its files, which hold the
// plain-text secrets of every subscription it ever had (deleted ones too),
// go with it. A copy interrupted by a crash is done again at the next start.
func (d *Dispatcher) moveLegacy(ctx context.Context) error {
	old, err := d.st.js.KeyValue(ctx, legacySubsBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("webhooks: open the subscriptions of an earlier version: %w", err)
	}
	lister, err := old.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("webhooks: list the subscriptions of an earlier version: %w", err)
	}
	var recs []subRecord
	var locked []string
	for k := range lister.Keys() {
		e, err := old.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("webhooks: get subscription %s of an earlier version: %w", k, err)
		}
		var rec subRecord
		if err := json.Unmarshal(e.Value(), &rec); err != nil {
			return fmt.Errorf("webhooks: subscription %s of an earlier version: %w", k, err)
		}
		if rec.Secret != "" && d.cfg.Keys == nil {
			locked = append(locked, k)
		}
		recs = append(recs, rec)
	}
	if len(locked) > 0 {
		return fmt.Errorf("webhooks: AMIGATE_SECRETS_KEY is not set and the store holds webhook subscriptions created through the API (%s) by an earlier version, their secrets in plain text: set it (generate one: openssl rand -base64 32) to encrypt them",
			strings.Join(locked, ", "))
	}
	sealedN := 0
	for _, rec := range recs {
		if err := d.putSub(ctx, rec); err != nil {
			return err
		}
		if rec.Secret != "" {
			sealedN++
		}
	}
	if err := d.st.js.DeleteKeyValue(ctx, legacySubsBucket); err != nil && !errors.Is(err, jetstream.ErrBucketNotFound) {
		return fmt.Errorf("webhooks: delete the plain-text subscriptions bucket of an earlier version: %w", err)
	}
	d.cfg.Logger.Info("webhooks: subscriptions of an earlier version moved to the encrypted store; the plain-text bucket and its files are deleted",
		"subscriptions", len(recs), "secrets_encrypted", sealedN)
	return nil
}
