package auth

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Errors of Mint.
var (
	ErrNoSubject    = errors.New("auth: subject is required")
	ErrNoTTL        = errors.New("auth: ttl must be positive: tokens always expire")
	ErrUnknownScope = errors.New("auth: unknown scope")
)

// Scopes lists every scope the API knows, in the order of api.md.
var Scopes = []string{ScopeCallsRead, ScopeCallsWrite, ScopeQueuesRead, ScopeQueuesWrite, ScopeWebhooksAdmin, ScopeAgentsRead, ScopeAgentsWrite, ScopeCampaignsRead, ScopeCampaignsWrite}

// MintParams describes a token to mint.
type MintParams struct {
	Subject  string
	Scopes   []string // each one of Scopes; a typo is an error, not a useless token
	Ext      string   // optional: ties the token to one extension
	TTL      time.Duration
	Issuer   string // optional iss
	Audience string // optional aud
	Now      func() time.Time
}

// Mint returns an HS256 token signed with secret: what `api token` prints
// for operators and the quick start. A CRM with its own issuer mints its
// own tokens instead.
func Mint(secret []byte, p MintParams) (string, error) {
	if len(secret) < MinSecretLen {
		return "", ErrWeakSecret
	}
	if strings.TrimSpace(p.Subject) == "" {
		return "", ErrNoSubject
	}
	if p.TTL <= 0 {
		return "", ErrNoTTL
	}
	for _, s := range p.Scopes {
		if !slices.Contains(Scopes, s) {
			return "", fmt.Errorf("%w %q (known: %s)", ErrUnknownScope, s, strings.Join(Scopes, " "))
		}
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	t := now().Truncate(time.Second)
	c := tokenClaims{
		RegisteredClaims: jwt.RegisteredClaims{Subject: p.Subject, Issuer: p.Issuer},
		IssuedAt:         newDateClaim(t),
		NotBefore:        newDateClaim(t),
		ExpiresAt:        newDateClaim(t.Add(p.TTL)),
		Scope:            scopeClaim(p.Scopes),
		Ext:              extClaim(p.Ext),
	}
	if p.Audience != "" {
		c.Audience = jwt.ClaimStrings{p.Audience}
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(secret)
}
