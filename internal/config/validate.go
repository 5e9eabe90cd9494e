package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/agent"
	"github.com/amigate/amigate/internal/chanvar"
	"github.com/amigate/amigate/internal/control"
	"github.com/amigate/amigate/internal/sealed"
)

// NoSecretsKeyWarning is the start-up and `check` warning without
// AMIGATE_SECRETS_KEY: the service runs, but cannot store the secret of a
// subscription created through the API.
const NoSecretsKeyWarning = "AMIGATE_SECRETS_KEY is not set: webhook subscriptions cannot be created through the API " +
	"(their secrets are stored encrypted with it), and start-up refuses a store that holds some; generate one: openssl rand -base64 32"

// minJWTSecret is RFC 7518 §3.2's minimum for HS256, as package auth
// enforces; checking it here names the key.
const minJWTSecret = 32

var (
	// numberPrefix is a dial rule prefix: digits with an optional "+".
	numberPrefix = regexp.MustCompile(`^\+?[0-9]*$`)
	algorithms   = []string{"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
	// eventTypes are what a subscription may name: the model's event types.
	eventTypes = slices.Concat([]string{"*"}, amigate.EventTypes, amigate.AgentEventTypes, amigate.CampaignEventTypes)
)

// resolve fills the defaults that depend on other settings, reads the files
// the configuration names and checks everything, naming each key at fault.
func (c *Config) resolve(p purpose) error {
	if c.Dial.TransferContext == "" {
		c.Dial.TransferContext = c.Dial.Context
	}
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, a...)))
	}
	positive := func(key string, d time.Duration) {
		if d <= 0 {
			bad(key, "must be a positive duration, got %v", d)
		}
	}

	// HTTP.
	if _, _, err := net.SplitHostPort(c.HTTP.Addr); err != nil {
		bad("AMIGATE_HTTP_ADDR", "%q is not host:port or :port", c.HTTP.Addr)
	}
	positive("AMIGATE_HTTP_READ_HEADER_TIMEOUT", c.HTTP.ReadHeaderTimeout)
	positive("AMIGATE_HTTP_READ_TIMEOUT", c.HTTP.ReadTimeout)
	positive("AMIGATE_HTTP_WRITE_TIMEOUT", c.HTTP.WriteTimeout)
	positive("AMIGATE_HTTP_IDLE_TIMEOUT", c.HTTP.IdleTimeout)
	positive("AMIGATE_SHUTDOWN_TIMEOUT", c.HTTP.ShutdownTimeout)

	for _, o := range c.HTTP.CORSOrigins {
		if o == "*" {
			if len(c.HTTP.CORSOrigins) > 1 {
				bad("AMIGATE_CORS_ORIGINS", "\"*\" alone or a list of origins")
			}
			continue
		}
		if u, err := url.Parse(o); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
			bad("AMIGATE_CORS_ORIGINS", "%q: want an origin like https://crm.example.com: scheme, host, optional port, no path (browsers send no trailing /)", o)
		}
	}

	// AMI. In demo mode the service connects to its own simulated PBX.
	switch {
	case c.AMI.Addr == "" && p == minting:
	case c.AMI.Addr == "" && !c.Demo:
		bad("AMIGATE_AMI_ADDR", "required unless --demo")
	case c.AMI.Addr != "":
		if host, port, err := net.SplitHostPort(c.AMI.Addr); err != nil || host == "" || port == "" {
			bad("AMIGATE_AMI_ADDR", "%q is not host:port (the manager port is usually 5038)", c.AMI.Addr)
		}
		if c.AMI.Username == "" {
			bad("AMIGATE_AMI_USERNAME", "required with AMIGATE_AMI_ADDR")
		}
		if c.AMI.Secret == "" {
			bad("AMIGATE_AMI_SECRET", "required with AMIGATE_AMI_ADDR")
		}
	}
	if strings.ContainsAny(c.AMI.Username+c.AMI.Secret, "\r\n\x00") {
		bad("AMIGATE_AMI_USERNAME/AMIGATE_AMI_SECRET", "contain CR, LF or NUL")
	}
	if c.AMI.Auth != AuthMD5 && c.AMI.Auth != AuthPlain {
		bad("AMIGATE_AMI_AUTH", "%q: want %s or %s", c.AMI.Auth, AuthMD5, AuthPlain)
	}
	if !c.AMI.TLS && c.AMI.TLSCAFile != "" {
		bad("AMIGATE_AMI_TLS_CA_FILE", "set but AMIGATE_AMI_TLS is false")
	}
	if !c.AMI.TLS && c.AMI.TLSServerName != "" {
		bad("AMIGATE_AMI_TLS_SERVER_NAME", "set but AMIGATE_AMI_TLS is false")
	}
	if c.AMI.TLSCAFile != "" {
		pem, err := readFile(c.AMI.TLSCAFile)
		switch {
		case err != nil:
			bad("AMIGATE_AMI_TLS_CA_FILE", "%v", err)
		case !strings.Contains(string(pem), "-----BEGIN CERTIFICATE-----"):
			bad("AMIGATE_AMI_TLS_CA_FILE", "%s holds no PEM certificate", c.AMI.TLSCAFile)
		default:
			c.AMI.TLSCAPEM = pem
		}
	}
	positive("AMIGATE_AMI_DIAL_TIMEOUT", c.AMI.DialTimeout)
	positive("AMIGATE_AMI_ACTION_TIMEOUT", c.AMI.ActionTimeout)
	positive("AMIGATE_AMI_PING_INTERVAL", c.AMI.PingInterval)
	positive("AMIGATE_AMI_RECONNECT_MIN", c.AMI.ReconnectMin)
	if c.AMI.ReconnectMax < c.AMI.ReconnectMin {
		bad("AMIGATE_AMI_RECONNECT_MAX", "%v is less than AMIGATE_AMI_RECONNECT_MIN %v", c.AMI.ReconnectMax, c.AMI.ReconnectMin)
	}
	if c.AMI.EventBuffer < 100 {
		bad("AMIGATE_AMI_EVENT_BUFFER", "%d: want at least 100", c.AMI.EventBuffer)
	}
	if c.HTTP.MaxStreams < 1 {
		bad("AMIGATE_SSE_MAX_STREAMS", "%d: want at least 1", c.HTTP.MaxStreams)
	}
	if c.HTTP.MaxStreamsPerSubject < 1 || c.HTTP.MaxStreamsPerSubject > c.HTTP.MaxStreams {
		bad("AMIGATE_SSE_MAX_STREAMS_PER_SUBJECT", "%d: want 1 to AMIGATE_SSE_MAX_STREAMS (%d)", c.HTTP.MaxStreamsPerSubject, c.HTTP.MaxStreams)
	}
	if c.AMI.EventBufferBytes < 1<<20 {
		bad("AMIGATE_AMI_EVENT_BUFFER_BYTES", "%d: want at least 1048576 (1 MiB)", c.AMI.EventBufferBytes)
	}

	// JWT. In demo mode cmd/api generates a secret when none is set.
	if c.JWT.Secret == "" && p == minting {
		bad("AMIGATE_JWT_SECRET", "required to mint tokens (try: openssl rand -base64 48)")
	}
	if c.JWT.Secret == "" && c.JWT.PublicKeyFile == "" && !c.Demo && p == serving {
		bad("AMIGATE_JWT_SECRET", "required unless AMIGATE_JWT_PUBLIC_KEY_FILE is set (try: openssl rand -base64 48)")
	}
	if c.JWT.Secret != "" && len(c.JWT.Secret) < minJWTSecret {
		bad("AMIGATE_JWT_SECRET", "%d bytes: want at least %d", len(c.JWT.Secret), minJWTSecret)
	}
	if c.JWT.PublicKeyFile != "" {
		pem, err := readFile(c.JWT.PublicKeyFile)
		if err != nil {
			bad("AMIGATE_JWT_PUBLIC_KEY_FILE", "%v", err)
		} else {
			c.JWT.PublicKeyPEM = pem
		}
	}
	for _, a := range c.JWT.Algorithms {
		if !slices.Contains(algorithms, a) {
			bad("AMIGATE_JWT_ALGORITHMS", "%q: want some of %s", a, strings.Join(algorithms, ", "))
		}
	}
	if c.JWT.Leeway < 0 || c.JWT.Leeway > 5*time.Minute {
		bad("AMIGATE_JWT_LEEWAY", "%v: want 0 to 5m", c.JWT.Leeway)
	}
	positive("AMIGATE_TOKEN_MAX_TTL", c.JWT.TokenMaxTTL)

	// Dial.
	// The device templates and the extension pattern are package agent's to
	// judge; each is checked alone so that the error names its key.
	if len(c.Dial.AgentChannels) == 0 {
		bad("AMIGATE_DIAL_AGENT_CHANNEL", "want at least one device template, like PJSIP/{ext} or Local/{ext}@phones")
	} else if _, err := agent.New(c.Dial.AgentChannels, ""); err != nil {
		bad("AMIGATE_DIAL_AGENT_CHANNEL", "%v", err)
	}
	if !control.ValidContext(c.Dial.Context) {
		bad("AMIGATE_DIAL_CONTEXT", "%q is not a dialplan context name", c.Dial.Context)
	}
	if !control.ValidContext(c.Dial.TransferContext) {
		bad("AMIGATE_TRANSFER_CONTEXT", "%q is not a dialplan context name", c.Dial.TransferContext)
	}
	if !control.ValidContext(c.Dial.CampaignContext) {
		bad("AMIGATE_CAMPAIGN_CONTEXT", "%q is not a dialplan context name", c.Dial.CampaignContext)
	}
	if _, err := agent.New(nil, c.Dial.ExtensionPattern); err != nil || c.Dial.ExtensionPattern == "" {
		bad("AMIGATE_DIAL_EXTENSION_PATTERN", "%q is not a regular expression", c.Dial.ExtensionPattern)
	}
	if _, err := chanvar.New(c.Dial.VariablePattern); err != nil || c.Dial.VariablePattern == "" {
		if err == nil {
			err = errors.New("empty")
		}
		bad("AMIGATE_DIAL_VARIABLE_PATTERN", "%v", err)
	}
	for i, p := range c.Dial.Allow {
		if _, err := regexp.Compile(`^(?:` + p + `)$`); err != nil {
			bad("AMIGATE_DIAL_ALLOW", "pattern %d %q: %v", i+1, p, err)
		}
	}
	for _, p := range c.Dial.Deny {
		if p == "" || !numberPrefix.MatchString(p) {
			bad("AMIGATE_DIAL_DENY", "%q: a prefix is digits with an optional leading +", p)
		}
	}
	for _, r := range c.Dial.Rewrite {
		if r.Prefix == "" || !numberPrefix.MatchString(r.Prefix) || !numberPrefix.MatchString(r.Replace) {
			bad("AMIGATE_DIAL_REWRITE", "%q=%q: prefixes are digits with an optional leading +", r.Prefix, r.Replace)
		}
	}
	if c.Dial.MinDigits < 1 || c.Dial.MaxDigits < c.Dial.MinDigits {
		bad("AMIGATE_DIAL_MIN_DIGITS/AMIGATE_DIAL_MAX_DIGITS", "%d..%d is not a range", c.Dial.MinDigits, c.Dial.MaxDigits)
	}
	if c.Dial.DefaultTimeout < control.MinTimeout || c.Dial.DefaultTimeout > c.Dial.MaxTimeout {
		bad("AMIGATE_DIAL_TIMEOUT", "%v: want %v to AMIGATE_DIAL_MAX_TIMEOUT (%v)", c.Dial.DefaultTimeout, control.MinTimeout, c.Dial.MaxTimeout)
	}
	if c.Dial.BlindTransfer != control.BlindTransferAction && c.Dial.BlindTransfer != control.BlindRedirect {
		bad("AMIGATE_BLIND_TRANSFER", "%q: want %s or %s", c.Dial.BlindTransfer, control.BlindTransferAction, control.BlindRedirect)
	}

	// Phone: the region, types and countries are checked against
	// libphonenumber's metadata where the rules are compiled (cmd/api).
	if f := c.Phone.DialFormat; f != "national" && f != "e164_digits" && f != "e164_plus" {
		bad("AMIGATE_PHONE_DIAL_FORMAT", "%q: want national, e164_digits or e164_plus", f)
	}
	if f := c.Phone.CallerIDFormat; f != "national" && f != "international" {
		bad("AMIGATE_PHONE_CALLER_ID_FORMAT", "%q: want national or international", f)
	}
	if slices.Contains(c.Phone.DenyTypes, PhoneNoTypes) && len(c.Phone.DenyTypes) > 1 {
		bad("AMIGATE_PHONE_DENY_TYPES", "%q alone or a list of types", PhoneNoTypes)
	}

	// Calls.
	if len(c.Calls.TrunkContexts) == 0 {
		bad("AMIGATE_TRUNK_CONTEXTS", "want at least one context")
	}
	for _, t := range c.Calls.TrunkContexts {
		if !control.ValidContext(t) {
			bad("AMIGATE_TRUNK_CONTEXTS", "%q is not a dialplan context name", t)
		}
	}
	if c.Calls.Retention < 15*time.Minute {
		bad("AMIGATE_CALLS_RETENTION", "%v: ended calls stay readable at least 15m", c.Calls.Retention)
	}

	if e := c.Campaign.Enabled; e != "auto" && e != "true" && e != "false" {
		bad("AMIGATE_CAMPAIGNS", "%q: auto, true or false", e)
	}
	if c.Campaign.Tick < 10*time.Millisecond || c.Campaign.Tick > time.Minute {
		bad("AMIGATE_CAMPAIGN_TICK", "%v: between 10ms and 1m", c.Campaign.Tick)
	}
	if c.Campaign.ResolveTimeout < time.Second {
		bad("AMIGATE_CAMPAIGN_RESOLVE_TIMEOUT", "%v: at least 1s", c.Campaign.ResolveTimeout)
	}
	if c.Campaign.Lease < time.Second || c.Campaign.Lease > 5*time.Minute {
		bad("AMIGATE_CAMPAIGN_LEASE", "%v: between 1s and 5m", c.Campaign.Lease)
	}
	if a := c.Campaign.AdvertiseURL; a != "" {
		if u, err := url.Parse(a); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.User != nil {
			bad("AMIGATE_CAMPAIGN_ADVERTISE_URL", "%q: an http:// URL of this instance's API", a)
		}
	}
	if c.History.Retention < time.Hour {
		bad("AMIGATE_HISTORY_RETENTION", "%v: the call history keeps calls at least 1h", c.History.Retention)
	}

	// Webhooks.
	if c.Webhooks.URL == "" && (c.Webhooks.Secret != "" || len(c.Webhooks.Events) > 0) {
		bad("AMIGATE_WEBHOOK_URL", "required with AMIGATE_WEBHOOK_SECRET or AMIGATE_WEBHOOK_EVENTS")
	}
	if c.Webhooks.URL != "" {
		checkSubscription(bad, [3]string{"AMIGATE_WEBHOOK_URL", "AMIGATE_WEBHOOK_SECRET", "AMIGATE_WEBHOOK_EVENTS"},
			Subscription{URL: c.Webhooks.URL, Secret: c.Webhooks.Secret, Events: c.Webhooks.Events})
	}
	for i, s := range c.Webhooks.Subscriptions {
		p := fmt.Sprintf("webhooks.subscriptions[%d].", i)
		checkSubscription(bad, [3]string{p + "url", p + "secret", p + "events"}, s)
	}
	positive("AMIGATE_WEBHOOK_TIMEOUT", c.Webhooks.Timeout)

	// Store.
	if c.Store.NATSURL == "" && c.Store.DataDir == "" {
		bad("AMIGATE_DATA_DIR", "required unless AMIGATE_NATS_URL is set")
	}
	if c.Store.NATSURL != "" {
		if u, err := url.Parse(c.Store.NATSURL); err != nil || u.Host == "" {
			bad("AMIGATE_NATS_URL", "not a URL like nats://host:4222")
		}
	}
	if c.Store.SecretsKey != "" {
		if _, err := sealed.ParseKey(c.Store.SecretsKey); err != nil {
			bad("AMIGATE_SECRETS_KEY", "%v", err)
		}
	}
	switch k := c.Store.SecretsKeyPrevious; {
	case k == "":
	case c.Store.SecretsKey == "":
		bad("AMIGATE_SECRETS_KEY_PREVIOUS", "set without AMIGATE_SECRETS_KEY, the key that replaces it")
	case strings.TrimSpace(k) == strings.TrimSpace(c.Store.SecretsKey):
		bad("AMIGATE_SECRETS_KEY_PREVIOUS", "the same as AMIGATE_SECRETS_KEY")
	default:
		if _, err := sealed.ParseKey(k); err != nil {
			bad("AMIGATE_SECRETS_KEY_PREVIOUS", "%v", err)
		}
	}
	// The demo makes a key for its throw-away store; a store that outlives
	// the process needs the operator's.
	if c.Store.SecretsKey == "" && p == serving && (!c.Demo || c.Store.NATSURL != "") {
		c.Warnings = append(c.Warnings, NoSecretsKeyWarning)
	}
	return errors.Join(errs...)
}

// checkSubscription checks one webhook subscription from configuration. A
// secret is required: one generated here would be shown nowhere. names are
// the keys of its url, secret and events.
func checkSubscription(bad func(key, format string, a ...any), names [3]string, s Subscription) {
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad(names[0], "want an absolute http or https URL")
	}
	if s.Secret == "" {
		bad(names[1], "required: whsec_ followed by base64 of 24 to 64 random bytes")
	}
	for _, sec := range strings.Fields(s.Secret) {
		b64, ok := strings.CutPrefix(sec, "whsec_")
		raw, err := base64.StdEncoding.DecodeString(b64)
		if !ok || err != nil || len(raw) < 24 || len(raw) > 64 {
			bad(names[1], "want whsec_ followed by base64 of 24 to 64 random bytes")
		}
	}
	for _, e := range s.Events {
		if !slices.Contains(eventTypes, e) {
			bad(names[2], "%q: want some of %s", e, strings.Join(eventTypes, ", "))
		}
	}
}
