package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Errors of NewVerifier, Verify and Mint. Verify wraps every refusal in
// ErrInvalidToken (and the library's reason, such as jwt.ErrTokenExpired),
// so the HTTP layer answers 401 for all of them alike.
var (
	ErrInvalidToken = errors.New("auth: invalid token")
	ErrNoKey        = errors.New("auth: neither a secret nor a public key is configured")
	ErrWeakSecret   = errors.New("auth: hmac secret shorter than 32 bytes")
	ErrAlgorithm    = errors.New("auth: algorithm not usable")
	ErrPublicKey    = errors.New("auth: public key not usable")
)

// MinSecretLen is the shortest HMAC secret accepted: RFC 7518 §3.2 requires a
// key at least as long as the hash output, 32 bytes for HS256.
const MinSecretLen = 32

// DefaultLeeway is the clock skew tolerated on exp, nbf and iat when
// Config.Leeway is zero.
const DefaultLeeway = 30 * time.Second

// maxTokenLen bounds the work an unauthenticated request can cause: a bearer
// token longer than this is refused before any decoding.
const maxTokenLen = 8 << 10

// Config says which tokens a Verifier accepts.
type Config struct {
	// Secret is the HMAC key (HS256/384/512). At least MinSecretLen bytes.
	Secret []byte
	// PublicKeyPEM is a PEM public key (PKIX "PUBLIC KEY", PKCS#1 "RSA
	// PUBLIC KEY" or a "CERTIFICATE") for RS*/PS*, ES* or EdDSA tokens.
	PublicKeyPEM []byte
	// Algorithms pins the accepted "alg" values. Default: HS256 when a
	// secret is set, plus RS256, ES256 (ES384/ES512 for those curves) or
	// EdDSA to match the public key's type.
	Algorithms []string
	// Issuer and Audience, when set, must match the iss and aud claims.
	Issuer   string
	Audience string
	// Leeway is the tolerated clock skew; default DefaultLeeway, negative
	// for none.
	Leeway time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Verifier checks bearer tokens. It is safe for concurrent use.
type Verifier struct {
	secret []byte
	pub    crypto.PublicKey
	parser *jwt.Parser
	algs   []string
}

// NewVerifier checks cfg and returns a Verifier for it. Every algorithm
// must have a key of its kind, so that a token can never be checked with a
// key meant for another algorithm (the HMAC-with-public-key confusion).
func NewVerifier(cfg Config) (*Verifier, error) {
	v := &Verifier{}
	if len(cfg.Secret) > 0 {
		if len(cfg.Secret) < MinSecretLen {
			return nil, ErrWeakSecret
		}
		v.secret = slices.Clone(cfg.Secret)
	}
	if len(cfg.PublicKeyPEM) > 0 {
		pub, err := parsePublicKey(cfg.PublicKeyPEM)
		if err != nil {
			return nil, err
		}
		v.pub = pub
	}
	if v.secret == nil && v.pub == nil {
		return nil, ErrNoKey
	}
	v.algs = cfg.Algorithms
	if len(v.algs) == 0 {
		v.algs = defaultAlgorithms(v.secret != nil, v.pub)
	}
	v.algs = slices.Clone(v.algs)
	for _, alg := range v.algs {
		if err := v.usable(alg); err != nil {
			return nil, err
		}
	}
	leeway := cfg.Leeway
	switch {
	case leeway == 0:
		leeway = DefaultLeeway
	case leeway < 0:
		leeway = 0
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(v.algs),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
	}
	if cfg.Now != nil {
		opts = append(opts, jwt.WithTimeFunc(cfg.Now))
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	v.parser = jwt.NewParser(opts...)
	return v, nil
}

// Algorithms returns the pinned algorithms, for the start-up log.
func (v *Verifier) Algorithms() []string { return slices.Clone(v.algs) }

// Verify checks a token's signature and claims and returns what it grants.
// Every refusal wraps ErrInvalidToken.
func (v *Verifier) Verify(token string) (*Claims, error) {
	if len(token) > maxTokenLen {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrInvalidToken, maxTokenLen)
	}
	var tc tokenClaims
	if _, err := v.parser.ParseWithClaims(token, &tc, v.key); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	c := &Claims{Subject: tc.Subject, Scopes: []string(tc.Scope), Ext: string(tc.Ext)}
	if tc.ExpiresAt != nil {
		c.ExpiresAt = tc.ExpiresAt.Time
	}
	return c, nil
}

// key picks the verification key by the kind of the token's algorithm, which
// the parser has already checked against the pinned list.
func (v *Verifier) key(t *jwt.Token) (any, error) {
	switch t.Method.(type) {
	case *jwt.SigningMethodHMAC:
		if v.secret == nil {
			return nil, ErrAlgorithm
		}
		return v.secret, nil
	case *jwt.SigningMethodRSA, *jwt.SigningMethodRSAPSS:
		if k, ok := v.pub.(*rsa.PublicKey); ok {
			return k, nil
		}
	case *jwt.SigningMethodECDSA:
		if k, ok := v.pub.(*ecdsa.PublicKey); ok {
			return k, nil
		}
	case *jwt.SigningMethodEd25519:
		if k, ok := v.pub.(ed25519.PublicKey); ok {
			return k, nil
		}
	}
	return nil, ErrAlgorithm
}

// usable reports whether alg is known and has a key of its kind.
func (v *Verifier) usable(alg string) error {
	var ok bool
	switch alg {
	case "HS256", "HS384", "HS512":
		ok = v.secret != nil
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		_, ok = v.pub.(*rsa.PublicKey)
	case "ES256", "ES384", "ES512":
		_, ok = v.pub.(*ecdsa.PublicKey)
	case "EdDSA":
		_, ok = v.pub.(ed25519.PublicKey)
	default:
		return fmt.Errorf("%w: %q is not supported", ErrAlgorithm, alg)
	}
	if !ok {
		return fmt.Errorf("%w: no key of the kind %s needs", ErrAlgorithm, alg)
	}
	return nil
}

func defaultAlgorithms(secret bool, pub crypto.PublicKey) []string {
	var algs []string
	if secret {
		algs = append(algs, "HS256")
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		algs = append(algs, "RS256")
	case *ecdsa.PublicKey:
		switch k.Curve.Params().BitSize {
		case 384:
			algs = append(algs, "ES384")
		case 521:
			algs = append(algs, "ES512")
		default:
			algs = append(algs, "ES256")
		}
	case ed25519.PublicKey:
		algs = append(algs, "EdDSA")
	}
	return algs
}
