package calls

import (
	"log/slog"
	"strings"
	"time"

	"github.com/amigate/amigate/internal/agent"
)

// Config tells the tracker how this PBX names things. The zero value is
// usable: every field has a default, stated in its comment.
type Config struct {
	// TrunkContexts are the dialplan contexts where customer calls enter;
	// a channel created in one of them is the customer's side of an inbound
	// call. Default: from-trunk, from-pstn, from-external.
	TrunkContexts []string
	// Devices are the agents' devices and what an extension is: how agent
	// devices are recognised in channel names (PJSIP/101-0000001a,
	// Local/101@phones-0000000c;1) and queue member interfaces.
	// Default agent.Default().
	Devices *agent.Devices
	// Retention is how long an ended call stays readable by Get. Default 15 min.
	Retention time.Duration
	// MaxEnded bounds the ended calls kept for Get, whatever the load; the
	// oldest go first. Default 100,000.
	MaxEnded int
	// ExpectTimeout is how long an expected click-to-call may wait for its
	// first channel before Expire forgets it (the Originate never reached
	// Asterisk). Default 2 min.
	ExpectTimeout time.Duration
	// Numbers reads a reported customer number into E.164 (customer.e164);
	// nil: no customer.e164.
	Numbers Numbers
	// AtxferTimeout is how long an attended transfer asked for by the API
	// (ExpectAtxfer) may take to start before call.transfer_failed.
	// Default DefaultAtxferTimeout.
	AtxferTimeout time.Duration
	// Now is the clock, for tests. Default time.Now.
	Now func() time.Time
	// Logger warns of what the configuration misses (a customer bridged
	// with no recognised agent). Default: discard.
	Logger *slog.Logger
	// Metrics counts the same. Default: none.
	Metrics Metrics
}

// Numbers reads phone numbers in the home region (dialrules.Rules).
type Numbers interface {
	// E164 returns "+79001234567" for "89001234567" and the like, or "" when
	// the number cannot be told without guessing.
	E164(number string) string
}

// Metrics counts what the correlator could not recognise.
type Metrics interface {
	// UnrecognisedAgent counts a customer connected with a channel that is
	// no recognised agent device (amigate_calls_unrecognised_agent_total).
	UnrecognisedAgent()
}

type noMetrics struct{}

func (noMetrics) UnrecognisedAgent() {}

// Defaults.
const (
	DefaultRetention     = 15 * time.Minute
	DefaultMaxEnded      = 100_000
	DefaultExpectTimeout = 2 * time.Minute
)

// DefaultTrunkContexts are the contexts where customer calls enter by default.
var DefaultTrunkContexts = []string{"from-trunk", "from-pstn", "from-external"}

func (c Config) withDefaults() Config {
	if len(c.TrunkContexts) == 0 {
		c.TrunkContexts = DefaultTrunkContexts
	}
	if c.Devices == nil {
		c.Devices = agent.Default()
	}
	if c.Retention <= 0 {
		c.Retention = DefaultRetention
	}
	if c.MaxEnded <= 0 {
		c.MaxEnded = DefaultMaxEnded
	}
	if c.ExpectTimeout <= 0 {
		c.ExpectTimeout = DefaultExpectTimeout
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.AtxferTimeout <= 0 {
		c.AtxferTimeout = DefaultAtxferTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Metrics == nil {
		c.Metrics = noMetrics{}
	}
	return c
}

// matcher recognises agent devices and trunk contexts.
type matcher struct {
	devices *agent.Devices
	trunks  map[string]bool
}

func newMatcher(c Config) matcher {
	m := matcher{devices: c.Devices, trunks: map[string]bool{}}
	for _, ctx := range c.TrunkContexts {
		m.trunks[strings.TrimSpace(ctx)] = true
	}
	return m
}

// agentExt returns the agent extension a channel belongs to, or "" when the
// channel is not an agent's device.
func (m *matcher) agentExt(channel string) string {
	ext, _ := m.devices.Extension(channel)
	return ext
}

// isExtension reports whether s looks like an agent extension.
func (m *matcher) isExtension(s string) bool { return m.devices.IsExtension(s) }
