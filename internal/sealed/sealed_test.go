package sealed

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

var (
	key1 = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	key2 = base64.StdEncoding.EncodeToString([]byte("fedcba9876543210fedcba9876543210"))
)

func mustKeys(t *testing.T, cur, prev string) *Keys {
	t.Helper()
	k, err := New(cur, prev)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestParseKey(t *testing.T) {
	raw := []byte("\xff\xfe0123456789abcdef0123456789abcd") // has + and / in base64
	tests := []struct {
		name, text, err string
	}{
		{name: "std", text: base64.StdEncoding.EncodeToString(raw)},
		{name: "std unpadded", text: base64.RawStdEncoding.EncodeToString(raw)},
		{name: "url", text: base64.URLEncoding.EncodeToString(raw)},
		{name: "url unpadded", text: base64.RawURLEncoding.EncodeToString(raw)},
		{name: "trailing newline", text: base64.StdEncoding.EncodeToString(raw) + "\n"},
		{name: "generated", text: NewKeyText()},
		{name: "short", text: base64.StdEncoding.EncodeToString(raw[:16]), err: "decodes to 16 bytes, want 32"},
		{name: "hex", text: strings.Repeat("ab", 32), err: "decodes to 48 bytes"},
		{name: "not base64", text: "hunter2!", err: "not base64 of 32 bytes"},
		{name: "empty", text: "", err: "decodes to 0 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ParseKey(tt.text)
			if tt.err == "" {
				if err != nil || len(b) != KeySize {
					t.Fatalf("ParseKey = %d bytes, %v", len(b), err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("ParseKey error %v, want %q", err, tt.err)
			}
			if tt.text != "" && strings.Contains(err.Error(), strings.TrimSpace(tt.text)) {
				t.Errorf("error quotes the key: %v", err)
			}
		})
	}
}

func TestSealOpen(t *testing.T) {
	k := mustKeys(t, key1, "")
	const secret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	s := k.Seal([]byte(secret), []byte("wh_1"))
	if !IsSealed(s) || !strings.HasPrefix(s, "sealed:v1:") || strings.Contains(s, secret) {
		t.Fatalf("sealed form %q", s)
	}
	if s2 := k.Seal([]byte(secret), []byte("wh_1")); s2 == s {
		t.Error("two seals of one value are equal: the nonce is not fresh")
	}
	flip := func(s string, i int) string {
		body := strings.TrimPrefix(s, "sealed:v1:")
		raw, _ := base64.RawURLEncoding.DecodeString(body)
		raw[i] ^= 1
		return "sealed:v1:" + base64.RawURLEncoding.EncodeToString(raw)
	}
	tests := []struct {
		name  string
		keys  *Keys
		text  string
		ad    string
		stale bool
		err   error
	}{
		{name: "round trip", keys: k, text: s, ad: "wh_1"},
		{name: "flipped nonce byte", keys: k, text: flip(s, 0), ad: "wh_1", err: ErrOpen},
		{name: "flipped ciphertext byte", keys: k, text: flip(s, 20), ad: "wh_1", err: ErrOpen},
		{name: "flipped tag byte", keys: k, text: flip(s, len(secret)+12+15), ad: "wh_1", err: ErrOpen},
		{name: "moved to another record", keys: k, text: s, ad: "wh_2", err: ErrOpen},
		{name: "truncated", keys: k, text: s[:20], ad: "wh_1", err: ErrOpen},
		{name: "wrong key", keys: mustKeys(t, key2, ""), text: s, ad: "wh_1", err: ErrOpen},
		{name: "previous key opens, stale", keys: mustKeys(t, key2, key1), text: s, ad: "wh_1", stale: true},
		{name: "current key first", keys: mustKeys(t, key1, key2), text: s, ad: "wh_1"},
		{name: "plain text", keys: k, text: secret, ad: "wh_1", err: errors.New("not a sealed value")},
		{name: "newer version", keys: k, text: "sealed:v2:AAAA", ad: "wh_1", err: errors.New("not a sealed value")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plain, stale, err := tt.keys.Open(tt.text, []byte(tt.ad))
			switch {
			case tt.err == nil && err != nil:
				t.Fatalf("Open: %v", err)
			case tt.err == nil:
				if string(plain) != secret || stale != tt.stale {
					t.Fatalf("Open = %q stale %v, want the secret, stale %v", plain, stale, tt.stale)
				}
			case err == nil:
				t.Fatalf("Open = %q, want error %v", plain, tt.err)
			case !errors.Is(err, tt.err) && !strings.Contains(err.Error(), tt.err.Error()):
				t.Fatalf("Open error %v, want %v", err, tt.err)
			}
		})
	}
}

func TestNewNamesTheKey(t *testing.T) {
	if _, err := New("short", ""); err == nil || !strings.HasPrefix(err.Error(), "AMIGATE_SECRETS_KEY:") {
		t.Errorf("bad current key: %v", err)
	}
	if _, err := New(key1, "short"); err == nil || !strings.HasPrefix(err.Error(), "AMIGATE_SECRETS_KEY_PREVIOUS:") {
		t.Errorf("bad previous key: %v", err)
	}
}
