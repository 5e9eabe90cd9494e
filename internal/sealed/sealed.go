// Package sealed encrypts small secrets for storage (webhook secrets in the
// event store) with AES-256-GCM under a key from configuration
// (AMIGATE_SECRETS_KEY). A sealed value is text:
//
//	sealed:v1:<base64url, no padding, of nonce (12 bytes) ‖ ciphertext ‖ tag>
//
// The version lets the format change later; the caller's additional data
// (a record's id) is authenticated, so a sealed value copied to another
// record does not open. A previous key may be given during a key rotation:
// values sealed with it still open, and the caller re-seals them.
//
// The package imports only the standard library, so that configuration can
// check a key with the very rule that reads it.
package sealed

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length of a key: AES-256.
const KeySize = 32

// prefix marks a sealed value and its format's version.
const prefix = "sealed:v1:"

// ErrOpen is a sealed value that no key opens: sealed with another key,
// altered, or moved to another record.
var ErrOpen = errors.New("sealed: cannot open (another key, or altered)")

// ParseKey reads a key as configured: 32 bytes in standard or URL-safe
// base64, padded or not (`openssl rand -base64 32` makes one). Errors never
// quote the text, which is a secret.
func ParseKey(text string) ([]byte, error) {
	text = strings.TrimSpace(text)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(text); err == nil {
			if len(b) != KeySize {
				return nil, fmt.Errorf("decodes to %d bytes, want %d (generate one: openssl rand -base64 32)", len(b), KeySize)
			}
			return b, nil
		}
	}
	return nil, errors.New("not base64 of 32 bytes (generate one: openssl rand -base64 32)")
}

// NewKeyText returns a random key in the form ParseKey reads.
func NewKeyText() string {
	b := make([]byte, KeySize)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.StdEncoding.EncodeToString(b)
}

// Keys seals with the current key and opens with it or the previous one.
type Keys struct {
	current  cipher.AEAD
	previous cipher.AEAD // nil without a rotation under way
}

// New returns the keys for the configured texts; previous may be empty.
func New(current, previous string) (*Keys, error) {
	k := &Keys{}
	var err error
	if k.current, err = aead(current); err != nil {
		return nil, fmt.Errorf("AMIGATE_SECRETS_KEY: %w", err)
	}
	if previous != "" {
		if k.previous, err = aead(previous); err != nil {
			return nil, fmt.Errorf("AMIGATE_SECRETS_KEY_PREVIOUS: %w", err)
		}
	}
	return k, nil
}

func aead(text string) (cipher.AEAD, error) {
	key, err := ParseKey(text)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Seal encrypts plain bound to ad, with a fresh random nonce.
func (k *Keys) Seal(plain, ad []byte) string {
	nonce := make([]byte, k.current.NonceSize(), k.current.NonceSize()+len(plain)+k.current.Overhead())
	_, _ = rand.Read(nonce) // never fails (crypto/rand)
	return prefix + base64.RawURLEncoding.EncodeToString(k.current.Seal(nonce, nonce, plain, ad))
}

// Open decrypts a sealed value bound to ad. stale reports that the
// previous key opened it: the caller should seal it again.
func (k *Keys) Open(text string, ad []byte) (plain []byte, stale bool, err error) {
	body, ok := strings.CutPrefix(text, prefix)
	if !ok {
		return nil, false, errors.New("sealed: not a sealed value (or a newer format)")
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(raw) < k.current.NonceSize()+k.current.Overhead() {
		return nil, false, ErrOpen
	}
	nonce, ct := raw[:k.current.NonceSize()], raw[k.current.NonceSize():]
	if plain, err := k.current.Open(nil, nonce, ct, ad); err == nil {
		return plain, false, nil
	}
	if k.previous != nil {
		if plain, err := k.previous.Open(nil, nonce, ct, ad); err == nil {
			return plain, true, nil
		}
	}
	return nil, false, ErrOpen
}

// IsSealed reports whether text is in a sealed form (of any version).
func IsSealed(text string) bool { return strings.HasPrefix(text, "sealed:") }
