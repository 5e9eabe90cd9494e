package control

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/amigate/amigate/internal/agent"
	"github.com/amigate/amigate/internal/chanvar"
	"github.com/amigate/amigate/internal/control/dialrules"
)

// Blind transfer methods (Config.BlindMethod).
const (
	// BlindTransferAction sends AMI BlindTransfer on the agent's bridged
	// channel: Asterisk 12+, no feature configuration needed, and Asterisk
	// reports it with an Event: BlindTransfer the correlator can use.
	BlindTransferAction = "blindtransfer"
	// BlindRedirect sends AMI Redirect of the customer's channel: works on
	// any Asterisk, but no transfer event is raised.
	BlindRedirect = "redirect"
)

// Config is call control's configuration. Zero fields take the defaults
// documented on each field; DefaultConfig returns them all.
type Config struct {
	// Devices are the agents' devices and what an extension is
	// (AMIGATE_DIAL_AGENT_CHANNEL, AMIGATE_DIAL_EXTENSION_PATTERN; default
	// agent.Default()): click-to-call rings the extension's first device,
	// "from" and a transfer's "to" must be extensions, and agent channels
	// are told apart from the customer's by them.
	Devices *agent.Devices
	// DialContext is where the customer number is dialled
	// (AMIGATE_DIAL_CONTEXT, default "from-internal").
	DialContext string
	// TransferContext is where transfers go (AMIGATE_TRANSFER_CONTEXT,
	// default DialContext).
	TransferContext string
	// CampaignContext is where an answered campaign customer goes when
	// the campaign's target is a queue: the queue's name is the extension
	// (AMIGATE_CAMPAIGN_CONTEXT, default "amigate-campaign").
	CampaignContext string
	// Rules are the dial rules for customer numbers (AMIGATE_DIAL_ALLOW,
	// AMIGATE_DIAL_DENY, AMIGATE_DIAL_REWRITE; see package dialrules).
	// DefaultConfig denies "00", "810" and "8809".
	Rules dialrules.Config
	// Variables are the channel variables a request may set
	// (AMIGATE_DIAL_VARIABLE_PATTERN; default chanvar.Default(): CRM_…).
	Variables *chanvar.Rule
	// DefaultTimeout is how long the agent's phone rings when a request
	// sets no timeout (default 30s); MaxTimeout bounds what a request may
	// set (default 120s, at most TimeoutLimit). A request may set no less
	// than MinTimeout.
	DefaultTimeout, MaxTimeout time.Duration
	// BlindMethod is BlindTransferAction (default) or BlindRedirect.
	BlindMethod string
	// IdempotencyTTL is how long an Idempotency-Key is remembered (default
	// 24h); IdempotencyMaxKeys bounds how many are (default 100000; the
	// oldest is forgotten first).
	IdempotencyTTL     time.Duration
	IdempotencyMaxKeys int
	// HangupCause is the Q.850 cause sent with Hangup (default 16, normal
	// clearing).
	HangupCause int

	// Now and NewID are for tests: the clock (default time.Now) and the
	// call id generator (default a random UUID).
	Now   func() time.Time
	NewID func() string
}

// DefaultConfig returns the configuration with every default set, the dial
// rules included: a starting point for cmd/api.
func DefaultConfig() Config {
	c := Config{Rules: dialrules.Config{Deny: []string{"00", "810", "8809"}}}
	c.setDefaults()
	return c
}

func (c *Config) setDefaults() {
	if c.Devices == nil {
		c.Devices = agent.Default()
	}
	if c.Variables == nil {
		c.Variables = chanvar.Default()
	}
	if c.DialContext == "" {
		c.DialContext = "from-internal"
	}
	if c.TransferContext == "" {
		c.TransferContext = c.DialContext
	}
	if c.CampaignContext == "" {
		c.CampaignContext = "amigate-campaign"
	}
	if c.DefaultTimeout == 0 {
		c.DefaultTimeout = 30 * time.Second
	}
	if c.MaxTimeout == 0 {
		c.MaxTimeout = 120 * time.Second
	}
	if c.BlindMethod == "" {
		c.BlindMethod = BlindTransferAction
	}
	if c.IdempotencyTTL == 0 {
		c.IdempotencyTTL = 24 * time.Hour
	}
	if c.IdempotencyMaxKeys == 0 {
		c.IdempotencyMaxKeys = 100000
	}
	if c.HangupCause == 0 {
		c.HangupCause = 16
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.NewID == nil {
		c.NewID = newUUID
	}
}

// contextName is what a dialplan context may be called here: a
// configuration value, but it still goes into AMI headers.
var contextName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$`)

// ValidContext reports whether name may be used as a dialplan context
// (AMIGATE_DIAL_CONTEXT, AMIGATE_TRANSFER_CONTEXT, AMIGATE_TRUNK_CONTEXTS):
// the one rule, which configuration checks use too.
func ValidContext(name string) bool { return contextName.MatchString(name) }

// compiled is the part of the configuration that needs checking once.
type compiled struct {
	rules *dialrules.Rules
}

// Validate checks the configuration after defaults and names the field at
// fault, so that a bad configuration stops start-up with a clear message.
func (c Config) Validate() error {
	c.setDefaults()
	_, err := c.compile()
	return err
}

func (c *Config) compile() (compiled, error) {
	var out compiled
	var errs []error
	for _, f := range [...]struct{ name, v string }{{"DialContext", c.DialContext}, {"TransferContext", c.TransferContext}, {"CampaignContext", c.CampaignContext}} {
		if !contextName.MatchString(f.v) {
			errs = append(errs, fmt.Errorf("control: %s %q: not a dialplan context name", f.name, f.v))
		}
	}
	rules, err := dialrules.Compile(c.Rules)
	if err != nil {
		errs = append(errs, fmt.Errorf("control: Rules: %w", err))
	}
	out.rules = rules
	if c.DefaultTimeout < MinTimeout || c.DefaultTimeout > c.MaxTimeout || c.MaxTimeout > TimeoutLimit {
		errs = append(errs, fmt.Errorf("control: timeouts: want MinTimeout %v <= DefaultTimeout %v <= MaxTimeout %v <= %v", MinTimeout, c.DefaultTimeout, c.MaxTimeout, TimeoutLimit))
	}
	if c.BlindMethod != BlindTransferAction && c.BlindMethod != BlindRedirect {
		errs = append(errs, fmt.Errorf("control: BlindMethod %q: want %q or %q", c.BlindMethod, BlindTransferAction, BlindRedirect))
	}
	if c.IdempotencyTTL < 0 || c.IdempotencyMaxKeys < 0 {
		errs = append(errs, errors.New("control: IdempotencyTTL and IdempotencyMaxKeys must not be negative"))
	}
	if c.HangupCause < 0 || c.HangupCause > 127 {
		errs = append(errs, fmt.Errorf("control: HangupCause %d: not a Q.850 cause", c.HangupCause))
	}
	return out, errors.Join(errs...)
}
