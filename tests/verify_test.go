package tests

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Errors of the webhook verifier.
var (
	errNoSignature = errors.New("verify: no valid v1 signature")
	errTimestamp   = errors.New("verify: timestamp out of tolerance")
	errHeaders     = errors.New("verify: missing or malformed webhook headers")
)

// tolerance is how far a webhook-timestamp may be from the receiver's
// clock (Standard Webhooks: 5 minutes).
const tolerance = 5 * time.Minute

// verifier checks Standard Webhooks signatures. It is written from the
// specification, independently of the product's signing code, so that a
// bug there cannot hide itself here: HMAC-SHA256 keyed with the base64
// part of "whsec_<base64>", over "<webhook-id>.<webhook-timestamp>.<body>",
// base64-encoded, sent as one of the space-separated "v1,<sig>" entries.
type verifier struct {
	key []byte
	now func() time.Time
}

func newVerifier(secret string) (*verifier, error) {
	b64, ok := strings.CutPrefix(secret, "whsec_")
	if !ok {
		return nil, fmt.Errorf("verify: secret %q lacks the whsec_ prefix", secret)
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("verify: secret: %w", err)
	}
	return &verifier{key: key, now: time.Now}, nil
}

// sign returns the v1 signature of a message, as a sender computes it.
func (v *verifier) sign(id, ts string, body []byte) string {
	m := hmac.New(sha256.New, v.key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// verify checks the headers and body of one delivery.
func (v *verifier) verify(h http.Header, body []byte) error {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return errHeaders
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %q", errHeaders, ts)
	}
	if d := v.now().Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: %v off", errTimestamp, d)
	}
	want := []byte(v.sign(id, ts, body))
	for _, s := range strings.Fields(sigs) {
		got, ok := strings.CutPrefix(s, "v1,")
		if ok && hmac.Equal([]byte(got), want) {
			return nil
		}
	}
	return errNoSignature
}
