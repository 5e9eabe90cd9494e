// Package signature signs webhook deliveries the Standard Webhooks way:
// webhook-signature carries "v1,<base64 HMAC-SHA256>" of
// "<webhook-id>.<webhook-timestamp>.<body>", keyed with the bytes behind a
// "whsec_" secret. It is a package of its own so that receivers (tests, the
// demo, a CRM written in Go) can verify exactly what the dispatcher signs.
package signature

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Prefix starts every secret, as the Standard Webhooks specification names it.
const Prefix = "whsec_"

// Key sizes the specification recommends: at least 24 bytes, at most 64.
const (
	MinKeyLen = 24
	MaxKeyLen = 64
	genKeyLen = 32
)

// Tolerance is how far a receiver lets webhook-timestamp stray from its clock.
const Tolerance = 5 * time.Minute

// Errors of parsing and verification.
var (
	ErrSecret    = errors.New("signature: secret must be whsec_ followed by base64 of 24 to 64 bytes")
	ErrNoSecret  = errors.New("signature: no secret")
	ErrTimestamp = errors.New("signature: timestamp missing or too far from now")
	ErrMismatch  = errors.New("signature: no signature matches")
)

// ParseSecret returns the key bytes of a "whsec_..." secret.
func ParseSecret(s string) ([]byte, error) {
	b64, ok := strings.CutPrefix(s, Prefix)
	if !ok {
		return nil, ErrSecret
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSecret, err)
	}
	if len(key) < MinKeyLen || len(key) > MaxKeyLen {
		return nil, ErrSecret
	}
	return key, nil
}

// NewSecret generates a random secret for a subscription created without one.
func NewSecret() (string, error) {
	key := make([]byte, genKeyLen)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("signature: generate secret: %w", err)
	}
	return Prefix + base64.StdEncoding.EncodeToString(key), nil
}

// Signer signs with one or more keys: during a secret rotation both the old
// and the new secret sign, so receivers can switch at their own pace.
type Signer struct {
	keys [][]byte
}

// NewSigner parses space-separated secrets ("whsec_old whsec_new").
func NewSigner(secrets string) (*Signer, error) {
	fields := strings.Fields(secrets)
	if len(fields) == 0 {
		return nil, ErrNoSecret
	}
	s := &Signer{keys: make([][]byte, 0, len(fields))}
	for _, f := range fields {
		key, err := ParseSecret(f)
		if err != nil {
			return nil, err
		}
		s.keys = append(s.keys, key)
	}
	return s, nil
}

// Sign returns the webhook-signature header value for one attempt: one
// "v1,<base64>" per key, space-separated.
func (s *Signer) Sign(id string, timestamp int64, body []byte) string {
	ts := strconv.FormatInt(timestamp, 10)
	var b strings.Builder
	for i, key := range s.keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("v1,")
		b.WriteString(base64.StdEncoding.EncodeToString(mac(key, id, ts, body)))
	}
	return b.String()
}

func mac(key []byte, id, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a delivery as a receiver should: the timestamp within
// Tolerance of now and at least one v1 signature made with secret.
func Verify(secret, id, timestamp, header string, body []byte, now time.Time) error {
	key, err := ParseSecret(secret)
	if err != nil {
		return err
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return ErrTimestamp
	}
	if d := now.Sub(time.Unix(sec, 0)); d > Tolerance || d < -Tolerance {
		return ErrTimestamp
	}
	want := mac(key, id, timestamp, body)
	for _, sig := range strings.Fields(header) {
		b64, ok := strings.CutPrefix(sig, "v1,")
		if !ok {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrMismatch
}
