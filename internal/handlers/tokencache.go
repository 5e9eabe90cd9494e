package handlers

import (
	"sync"
	"time"

	"github.com/amigate/amigate/internal/auth"
)

// Bounds of the token cache: tokens longer than maxCachedToken are
// verified every time, and no entry outlives maxCacheAge even when its
// token does.
const (
	maxCachedToken = 2 << 10
	maxCacheAge    = 5 * time.Minute
)

// tokenCache remembers verified tokens until they expire. A CRM sends the
// same token with every request, and verifying it (base64, JSON, HMAC or a
// signature) is the largest cost of a click-to-call in this layer. Only
// tokens the Verifier accepted are stored, keyed by their exact bytes, so an
// unauthenticated client cannot fill the cache.
type tokenCache struct {
	v   Verifier
	now func() time.Time
	max int

	mu sync.RWMutex
	m  map[string]cachedClaims
}

type cachedClaims struct {
	claims *auth.Claims
	until  time.Time
}

func newTokenCache(v Verifier, size int, now func() time.Time) *tokenCache {
	return &tokenCache{v: v, now: now, max: size, m: make(map[string]cachedClaims, size)}
}

// Verify returns the cached claims of a token verified before and not yet
// expired, and asks the Verifier otherwise.
func (c *tokenCache) Verify(token string) (*auth.Claims, error) {
	now := c.now()
	c.mu.RLock()
	e, ok := c.m[token]
	c.mu.RUnlock()
	if ok && now.Before(e.until) {
		return e.claims, nil
	}
	cl, err := c.v.Verify(token)
	if err != nil || cl == nil || cl.ExpiresAt.IsZero() || len(token) > maxCachedToken {
		return cl, err
	}
	until := now.Add(maxCacheAge)
	if cl.ExpiresAt.Before(until) {
		until = cl.ExpiresAt
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		c.evict(now)
	}
	c.m[token] = cachedClaims{claims: cl, until: until}
	return cl, nil
}

// evict drops the expired entries, or an arbitrary one when none has
// expired. Called with mu held.
func (c *tokenCache) evict(now time.Time) {
	n := len(c.m)
	for k, e := range c.m {
		if !now.Before(e.until) {
			delete(c.m, k)
		}
	}
	if len(c.m) < n {
		return
	}
	for k := range c.m {
		delete(c.m, k)
		return
	}
}
