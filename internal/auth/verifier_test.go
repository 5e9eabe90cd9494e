package auth

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
)

var (
	testSecret = []byte("0123456789abcdef0123456789abcdef")
	testNow    = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
)

func clock() time.Time { return testNow }

// sign makes a token with any algorithm and claims, as an attacker or a
// foreign issuer could.
func sign(t *testing.T, m jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, claims).SignedString(key)
	if err != nil {
		t.Fatalf("sign %s: %v", m.Alg(), err)
	}
	return s
}

// unsigned makes an "alg: none" style token with the given alg header.
func unsigned(alg string, claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"`+alg+`","typ":"JWT"}`)) + "." + enc([]byte(claims)) + "."
}

// valid returns claims that pass every check at testNow.
func valid(extra jwt.MapClaims) jwt.MapClaims {
	c := jwt.MapClaims{
		"sub":   "crm",
		"scope": "calls:read calls:write",
		"exp":   testNow.Add(time.Hour).Unix(),
		"iat":   testNow.Add(-time.Minute).Unix(),
	}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

func TestVerify(t *testing.T) {
	k := loadKeys(t)
	hs := Config{Secret: testSecret, Now: clock}
	rs := Config{PublicKeyPEM: k.rsaPEM, Now: clock}
	both := Config{Secret: testSecret, PublicKeyPEM: k.rsaPEM, Now: clock}
	issAud := Config{Secret: testSecret, Issuer: "https://crm.example", Audience: "amigate", Now: clock}
	hs512 := Config{Secret: testSecret, Algorithms: []string{"HS512"}, Now: clock}
	ps := Config{PublicKeyPEM: k.rsaPKCS, Algorithms: []string{"PS256"}, Now: clock}

	tests := []struct {
		name  string
		cfg   Config
		token string
		want  *Claims
		why   error // also wrapped, besides ErrInvalidToken
	}{
		{name: "hs256 good", cfg: hs, token: sign(t, jwt.SigningMethodHS256, testSecret, valid(nil)),
			want: &Claims{Subject: "crm", Scopes: []string{"calls:read", "calls:write"}, ExpiresAt: testNow.Add(time.Hour)}},
		{name: "scope as array", cfg: hs, token: sign(t, jwt.SigningMethodHS256, testSecret, valid(jwt.MapClaims{"scope": []string{"queues:read", "calls:read"}})),
			want: &Claims{Subject: "crm", Scopes: []string{"queues:read", "calls:read"}, ExpiresAt: testNow.Add(time.Hour)}},
		{name: "no scope", cfg: hs, token: sign(t, jwt.SigningMethodHS256, testSecret, valid(jwt.MapClaims{"scope": nil})),
			want: &Claims{Subject: "crm", ExpiresAt: testNow.Add(time.Hour)}},
		{name: "ext string", cfg: hs, token: sign(t, jwt.SigningMethodHS256, testSecret, valid(jwt.MapClaims{"ext": "101"})),
			want: &Claims{Subject: "crm", Scopes: []string{"calls:read", "calls:write"}, Ext: "101", ExpiresAt: testNow.Add(time.Hour)}},
		{name: "ext number", cfg: hs, token: sign(t, jwt.SigningMethodHS256, testSecret, valid(jwt.MapClaims{"ext": 102})),
			want: &Claims{Subject: "crm", Scopes: []string{"calls:read", "calls:write"}, Ext: "102", ExpiresAt: testNow.Add(time.Hour)}},
		{name: "ext empty", cfg: hs, token: sign(t, jwt.SigningMethodHS256, testSecret, valid(jwt.MapClaims{"ext": ""}))},
		{name: "ext blank", cfg: hs, token: sign(t, jwt.SigningMethodHS256, testSecret, valid(jwt.MapClaims{"ext": " "}))},
		{name: "exp as a string", cfg: hs, token: sign(t, jwt.SigningMethodHS256, testSecret, valid(jwt.MapClaims{"exp": strconv.FormatInt(testNow.Add(time.Hour).Unix(), 10)}))},
		{name: "nbf as a string", cfg: hs, token: sign(t, jwt.SigningMethodHS256, testSecret, valid(jwt.MapClaims{"nbf": strconv.FormatInt(testNow.Unix(), 10)}))},
		{name: "iat as a string", cfg: hs, token: sign(t, jwt.SigningMethodHS256, testSecret, valid(jwt.MapClaims{"iat": strconv.FormatInt(testNow.Unix(), 10)}))},
		{name: "exp fractional", cfg: hs, token: sign(t, jwt.SigningMethodHS256, testSecret, valid(jwt.MapClaims{"exp": float64(testNow.Add(time.Hour).Unix()) + 0.5})),
			want: &Claims{Subject: "crm", Scopes: []string{"calls:read", "calls:write"}, ExpiresAt: testNow.Add(time.Hour)}}, // to the second, as jwt.TimePrecision
		{name: "ext object", cfg: hs, token: sign(t, jwt.SigningMethodHS256, testSecret, valid(jwt.MapClaims{"ext": map[string]int{"a": 1}}))},
		{name: "scope number", cfg: hs, token: sign(t, jwt.SigningMethodHS256, testSecret, valid(jwt.MapClaims{"scope": 7}))},
		{name: "expired", cfg: hs, token: sign(t, jwt.SigningMethodHS256, testSecret, valid(jwt.MapClaims{"exp": testNow.Add(-time.Minute).Unix()})), why: jwt.ErrTokenExpired},
		{name: "expired within leeway", cfg: hs, token: sign(t, jwt.SigningMethodHS256, testSecret, valid(jwt.MapClaims{"exp": testNow.Add(-10 * time.Second).Unix()})),
			want: &Claims{Subject: "crm", Scopes: []string{"calls:read", "calls:write"}, ExpiresAt: testNow.Add(-10 * time.Second)}},
		{name: "missing exp", cfg: hs, token: sign(t, jwt.SigningMethodHS256, testSecret, valid(jwt.MapClaims{"exp": nil})), why: jwt.ErrTokenRequiredClaimMissing},
		{name: "nbf in the future", cfg: hs, token: sign(t, jwt.SigningMethodHS256, testSecret, valid(jwt.MapClaims{"nbf": testNow.Add(time.Minute).Unix()})), why: jwt.ErrTokenNotValidYet},
		{name: "nbf within leeway", cfg: hs, token: sign(t, jwt.SigningMethodHS256, testSecret, valid(jwt.MapClaims{"nbf": testNow.Add(10 * time.Second).Unix()})),
			want: &Claims{Subject: "crm", Scopes: []string{"calls:read", "calls:write"}, ExpiresAt: testNow.Add(time.Hour)}},
		{name: "iat in the future", cfg: hs, token: sign(t, jwt.SigningMethodHS256, testSecret, valid(jwt.MapClaims{"iat": testNow.Add(time.Minute).Unix()})), why: jwt.ErrTokenUsedBeforeIssued},
		{name: "wrong secret", cfg: hs, token: sign(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-xx"), valid(nil)), why: jwt.ErrTokenSignatureInvalid},
		{name: "wrong algorithm hs384", cfg: hs, token: sign(t, jwt.SigningMethodHS384, testSecret, valid(nil)), why: jwt.ErrTokenSignatureInvalid},
		{name: "pinned hs512 refuses hs256", cfg: hs512, token: sign(t, jwt.SigningMethodHS256, testSecret, valid(nil)), why: jwt.ErrTokenSignatureInvalid},
		{name: "pinned hs512 good", cfg: hs512, token: sign(t, jwt.SigningMethodHS512, testSecret, valid(nil)),
			want: &Claims{Subject: "crm", Scopes: []string{"calls:read", "calls:write"}, ExpiresAt: testNow.Add(time.Hour)}},
		{name: "rs256 to hmac verifier", cfg: hs, token: sign(t, jwt.SigningMethodRS256, k.rsa, valid(nil)), why: jwt.ErrTokenSignatureInvalid},
		{name: "alg none", cfg: hs, token: unsigned("none", `{"sub":"crm","scope":"calls:write","exp":9999999999}`), why: jwt.ErrTokenSignatureInvalid},
		{name: "alg None", cfg: both, token: unsigned("None", `{"sub":"crm","scope":"calls:write","exp":9999999999}`)},
		{name: "alg none with library", cfg: hs, token: sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, valid(nil))},
		{name: "rs256 good", cfg: rs, token: sign(t, jwt.SigningMethodRS256, k.rsa, valid(nil)),
			want: &Claims{Subject: "crm", Scopes: []string{"calls:read", "calls:write"}, ExpiresAt: testNow.Add(time.Hour)}},
		{name: "rs256 with both keys", cfg: both, token: sign(t, jwt.SigningMethodRS256, k.rsa, valid(nil)),
			want: &Claims{Subject: "crm", Scopes: []string{"calls:read", "calls:write"}, ExpiresAt: testNow.Add(time.Hour)}},
		{name: "hs/rs confusion, public key only", cfg: rs, token: sign(t, jwt.SigningMethodHS256, k.rsaPEM, valid(nil)), why: jwt.ErrTokenSignatureInvalid},
		{name: "hs/rs confusion, both keys", cfg: both, token: sign(t, jwt.SigningMethodHS256, k.rsaPEM, valid(nil)), why: jwt.ErrTokenSignatureInvalid},
		{name: "hs/rs confusion, der key", cfg: both, token: sign(t, jwt.SigningMethodHS256, derOf(k.rsaPEM), valid(nil)), why: jwt.ErrTokenSignatureInvalid},
		{name: "ps256 pinned, pkcs1 key", cfg: ps, token: sign(t, jwt.SigningMethodPS256, k.rsa, valid(nil)),
			want: &Claims{Subject: "crm", Scopes: []string{"calls:read", "calls:write"}, ExpiresAt: testNow.Add(time.Hour)}},
		{name: "ps256 pinned refuses rs256", cfg: ps, token: sign(t, jwt.SigningMethodRS256, k.rsa, valid(nil)), why: jwt.ErrTokenSignatureInvalid},
		{name: "es256 good", cfg: Config{PublicKeyPEM: k.ecPEM, Now: clock}, token: sign(t, jwt.SigningMethodES256, k.ec, valid(nil)),
			want: &Claims{Subject: "crm", Scopes: []string{"calls:read", "calls:write"}, ExpiresAt: testNow.Add(time.Hour)}},
		{name: "eddsa good", cfg: Config{PublicKeyPEM: k.edPEM, Now: clock}, token: sign(t, jwt.SigningMethodEdDSA, k.ed, valid(nil)),
			want: &Claims{Subject: "crm", Scopes: []string{"calls:read", "calls:write"}, ExpiresAt: testNow.Add(time.Hour)}},
		{name: "iss and aud good", cfg: issAud, token: sign(t, jwt.SigningMethodHS256, testSecret, valid(jwt.MapClaims{"iss": "https://crm.example", "aud": []string{"other", "amigate"}})),
			want: &Claims{Subject: "crm", Scopes: []string{"calls:read", "calls:write"}, ExpiresAt: testNow.Add(time.Hour)}},
		{name: "wrong iss", cfg: issAud, token: sign(t, jwt.SigningMethodHS256, testSecret, valid(jwt.MapClaims{"iss": "https://evil.example", "aud": "amigate"})), why: jwt.ErrTokenInvalidIssuer},
		{name: "missing iss", cfg: issAud, token: sign(t, jwt.SigningMethodHS256, testSecret, valid(jwt.MapClaims{"aud": "amigate"})), why: jwt.ErrTokenRequiredClaimMissing},
		{name: "wrong aud", cfg: issAud, token: sign(t, jwt.SigningMethodHS256, testSecret, valid(jwt.MapClaims{"iss": "https://crm.example", "aud": "grafana"})), why: jwt.ErrTokenInvalidAudience},
		{name: "missing aud", cfg: issAud, token: sign(t, jwt.SigningMethodHS256, testSecret, valid(jwt.MapClaims{"iss": "https://crm.example"})), why: jwt.ErrTokenRequiredClaimMissing},
		{name: "malformed", cfg: hs, token: "not.a.token", why: jwt.ErrTokenMalformed},
		{name: "empty", cfg: hs, token: "", why: jwt.ErrTokenMalformed},
		{name: "too long", cfg: hs, token: strings.Repeat("a", maxTokenLen+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewVerifier(tt.cfg)
			if err != nil {
				t.Fatalf("NewVerifier: %v", err)
			}
			got, err := v.Verify(tt.token)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("Verify accepted the token: %+v", got)
				}
				if !errors.Is(err, ErrInvalidToken) {
					t.Errorf("got error %v, want one wrapping ErrInvalidToken", err)
				}
				if tt.why != nil && !errors.Is(err, tt.why) {
					t.Errorf("got error %v, want one wrapping %v", err, tt.why)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("claims (-want +got):\n%s", diff)
			}
		})
	}
}

func derOf(p []byte) []byte {
	b, _ := pem.Decode(p)
	return b.Bytes
}

func TestNewVerifierConfig(t *testing.T) {
	k := loadKeys(t)
	priv := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k.rsa)})
	tests := []struct {
		name     string
		cfg      Config
		wantErr  error
		wantAlgs []string
	}{
		{name: "no key", cfg: Config{}, wantErr: ErrNoKey},
		{name: "short secret", cfg: Config{Secret: []byte("short")}, wantErr: ErrWeakSecret},
		{name: "alg none", cfg: Config{Secret: testSecret, Algorithms: []string{"none"}}, wantErr: ErrAlgorithm},
		{name: "unknown alg", cfg: Config{Secret: testSecret, Algorithms: []string{"HS1"}}, wantErr: ErrAlgorithm},
		{name: "rs256 without key", cfg: Config{Secret: testSecret, Algorithms: []string{"HS256", "RS256"}}, wantErr: ErrAlgorithm},
		{name: "hs256 without secret", cfg: Config{PublicKeyPEM: k.rsaPEM, Algorithms: []string{"HS256"}}, wantErr: ErrAlgorithm},
		{name: "es256 with rsa key", cfg: Config{PublicKeyPEM: k.rsaPEM, Algorithms: []string{"ES256"}}, wantErr: ErrAlgorithm},
		{name: "private key", cfg: Config{PublicKeyPEM: priv}, wantErr: ErrPublicKey},
		{name: "not pem", cfg: Config{PublicKeyPEM: []byte("ssh-rsa AAAA")}, wantErr: ErrPublicKey},
		{name: "broken pem", cfg: Config{PublicKeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte("x")})}, wantErr: ErrPublicKey},
		{name: "secret default", cfg: Config{Secret: testSecret}, wantAlgs: []string{"HS256"}},
		{name: "rsa default", cfg: Config{Secret: testSecret, PublicKeyPEM: k.rsaPEM}, wantAlgs: []string{"HS256", "RS256"}},
		{name: "ec default", cfg: Config{PublicKeyPEM: k.ecPEM}, wantAlgs: []string{"ES256"}},
		{name: "ed default", cfg: Config{PublicKeyPEM: k.edPEM}, wantAlgs: []string{"EdDSA"}},
		{name: "pinned", cfg: Config{Secret: testSecret, Algorithms: []string{"HS384", "HS512"}}, wantAlgs: []string{"HS384", "HS512"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewVerifier(tt.cfg)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got error %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewVerifier: %v", err)
			}
			if diff := cmp.Diff(tt.wantAlgs, v.Algorithms()); diff != "" {
				t.Errorf("algorithms (-want +got):\n%s", diff)
			}
		})
	}
}

// TestVerifierCopiesSecret checks that changing the caller's slice later does
// not change what the Verifier accepts.
func TestVerifierCopiesSecret(t *testing.T) {
	secret := append([]byte(nil), testSecret...)
	v, err := NewVerifier(Config{Secret: secret, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	tok := sign(t, jwt.SigningMethodHS256, testSecret, valid(nil))
	secret[0] ^= 0xff
	if _, err := v.Verify(tok); err != nil {
		t.Fatalf("got %v after the caller changed its slice, want the token accepted", err)
	}
}

func BenchmarkVerifyHS256(b *testing.B) {
	v, err := NewVerifier(Config{Secret: testSecret, Now: clock})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := Mint(testSecret, MintParams{Subject: "crm", Scopes: Scopes, Ext: "101", TTL: time.Hour, Now: clock})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}
