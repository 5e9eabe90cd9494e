// Package auth verifies the API's bearer tokens (JWT) and mints them for
// operators: pinned algorithms, required expiry, issuer and audience when
// configured, scopes and the ext claim that ties a token to one extension.
package auth

import (
	"slices"
	"time"
)

// Scopes a token may carry.
const (
	ScopeCallsRead      = "calls:read"
	ScopeCallsWrite     = "calls:write"
	ScopeQueuesRead     = "queues:read"
	ScopeQueuesWrite    = "queues:write"
	ScopeWebhooksAdmin  = "webhooks:admin"
	ScopeAgentsRead     = "agents:read"
	ScopeAgentsWrite    = "agents:write"
	ScopeCampaignsRead  = "campaigns:read"
	ScopeCampaignsWrite = "campaigns:write"
)

// Claims is what a verified token grants.
type Claims struct {
	Subject   string
	Scopes    []string
	Ext       string // when set, the token acts only for this extension
	ExpiresAt time.Time
}

// HasScope reports whether the token carries scope s.
func (c *Claims) HasScope(s string) bool { return slices.Contains(c.Scopes, s) }
