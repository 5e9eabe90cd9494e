package webhooks

import (
	"fmt"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/webhooks/signature"
)

// keyring is how a subscription signs: with its secret, and during the
// grace period after a rotation with the previous one too, so a receiver
// can switch secrets at its own pace. The clock decides per attempt, so
// the previous secret stops signing when its grace ends, not at a restart.
type keyring struct {
	current *signature.Signer
	both    *signature.Signer // current and previous; nil without a grace period
	until   time.Time
}

// signer is the signer of an attempt made at now.
func (k keyring) signer(now time.Time) *signature.Signer {
	if k.both != nil && now.Before(k.until) {
		return k.both
	}
	return k.current
}

// keyring builds a subscription's keyring. Configuration subscriptions
// sign with the configured secrets, which this instance may not have (the
// subscription of another instance's configuration): ok is false then.
func (d *Dispatcher) keyring(rec subRecord) (k keyring, ok bool, err error) {
	secret := rec.Secret
	if rec.Source == sourceConfig {
		d.mu.Lock()
		secret = d.configSecrets[rec.ID]
		d.mu.Unlock()
		if secret == "" {
			return keyring{}, false, nil
		}
	}
	if k.current, err = signature.NewSigner(secret); err != nil {
		return keyring{}, false, fmt.Errorf("webhooks: subscription %s: %w", rec.ID, err)
	}
	if rec.PrevSecret != "" && rec.PrevUntil != nil {
		// The new secret's signature first: receivers that stop at the
		// first match find it there once they switched.
		if k.both, err = signature.NewSigner(secret + " " + rec.PrevSecret); err != nil {
			return keyring{}, false, fmt.Errorf("webhooks: subscription %s: previous secret: %w", rec.ID, err)
		}
		k.until = *rec.PrevUntil
	}
	return k, true, nil
}

// signingKeys is keyring for a request made through the API, which needs
// the keys whatever instance it reached.
func (d *Dispatcher) signingKeys(rec subRecord) (keyring, error) {
	k, ok, err := d.keyring(rec)
	if err != nil {
		return keyring{}, err
	}
	if !ok {
		return keyring{}, amigate.Errorf(amigate.ErrConfigured, "webhook subscription %s comes from another instance's configuration: its secret is not known here", rec.ID)
	}
	return k, nil
}
