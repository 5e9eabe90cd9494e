package calls

import (
	"regexp"
	"strings"
	"time"
)

// Config tells the tracker how this PBX names things. The zero value is
// usable: every field has a default, stated in its comment.
type Config struct {
	// TrunkContexts are the dialplan contexts where customer calls enter;
	// a channel created in one of them is the customer's side of an inbound
	// call. Default: from-trunk, from-pstn, from-external.
	TrunkContexts []string
	// AgentChannel is the channel template of an agent's device, "{ext}"
	// standing for the extension: "PJSIP/{ext}", "SIP/{ext}",
	// "Local/{ext}@phones". Several templates may be given comma-separated.
	// It is how agent devices are recognised in channel names
	// (PJSIP/101-0000001a, Local/101@phones-0000000c;1). Default PJSIP/{ext}.
	AgentChannel string
	// ExtensionPattern matches an agent extension. Default: 2 to 6 digits.
	ExtensionPattern *regexp.Regexp
	// Retention is how long an ended call stays readable by Get. Default 15 min.
	Retention time.Duration
	// MaxEnded bounds the ended calls kept for Get, whatever the load; the
	// oldest go first. Default 100,000.
	MaxEnded int
	// ExpectTimeout is how long an expected click-to-call may wait for its
	// first channel before Expire forgets it (the Originate never reached
	// Asterisk). Default 2 min.
	ExpectTimeout time.Duration
	// Numbers reads a reported customer number into E.164 (customer.e164)
	// and a searched one for List; nil: no customer.e164, and a search
	// matches the digits only.
	Numbers Numbers
	// Now is the clock, for tests. Default time.Now.
	Now func() time.Time
}

// Numbers reads phone numbers in the home region (dialrules.Rules).
type Numbers interface {
	// E164 returns "+79001234567" for "89001234567" and the like, or "" when
	// the number cannot be told without guessing.
	E164(number string) string
}

// Defaults.
const (
	DefaultAgentChannel  = "PJSIP/{ext}"
	DefaultRetention     = 15 * time.Minute
	DefaultMaxEnded      = 100_000
	DefaultExpectTimeout = 2 * time.Minute
)

// DefaultTrunkContexts are the contexts where customer calls enter by default.
var DefaultTrunkContexts = []string{"from-trunk", "from-pstn", "from-external"}

var defaultExtensionPattern = regexp.MustCompile(`^[0-9]{2,6}$`)

func (c Config) withDefaults() Config {
	if len(c.TrunkContexts) == 0 {
		c.TrunkContexts = DefaultTrunkContexts
	}
	if strings.TrimSpace(c.AgentChannel) == "" {
		c.AgentChannel = DefaultAgentChannel
	}
	if c.ExtensionPattern == nil {
		c.ExtensionPattern = defaultExtensionPattern
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
	return c
}

// template is one parsed AgentChannel template: what comes before and
// after "{ext}".
type template struct{ prefix, suffix string }

// matcher recognises agent devices and trunk contexts.
type matcher struct {
	templates []template
	ext       *regexp.Regexp
	trunks    map[string]bool
}

func newMatcher(c Config) matcher {
	m := matcher{ext: c.ExtensionPattern, trunks: map[string]bool{}}
	for _, t := range strings.Split(c.AgentChannel, ",") {
		t = strings.TrimSpace(t)
		pre, suf, ok := strings.Cut(t, "{ext}")
		if !ok || pre == "" {
			continue
		}
		m.templates = append(m.templates, template{prefix: pre, suffix: suf})
	}
	for _, ctx := range c.TrunkContexts {
		m.trunks[strings.TrimSpace(ctx)] = true
	}
	return m
}

// deviceName strips what Asterisk appends to a device to name one channel:
// the Local half (";1", ";2"), then the "-0000001a" sequence.
func deviceName(ch string) string {
	if n := len(ch); n > 2 && ch[n-2] == ';' {
		ch = ch[:n-2]
	}
	if i := strings.LastIndexByte(ch, '-'); i > 0 && strings.IndexByte(ch[i:], '/') < 0 {
		ch = ch[:i]
	}
	return ch
}

// agentExt returns the agent extension a channel belongs to, or "" when the
// channel is not an agent's device.
func (m *matcher) agentExt(channel string) string {
	dev := deviceName(channel)
	for _, t := range m.templates {
		if len(dev) <= len(t.prefix)+len(t.suffix) ||
			!strings.EqualFold(dev[:len(t.prefix)], t.prefix) ||
			!strings.EqualFold(dev[len(dev)-len(t.suffix):], t.suffix) {
			continue
		}
		ext := dev[len(t.prefix) : len(dev)-len(t.suffix)]
		if m.ext.MatchString(ext) {
			return ext
		}
	}
	return ""
}

// isExtension reports whether s looks like an agent extension.
func (m *matcher) isExtension(s string) bool { return s != "" && m.ext.MatchString(s) }

// isLocal reports whether a channel is one half of a Local channel pair.
func isLocal(channel string) bool {
	return len(channel) > 6 && strings.EqualFold(channel[:6], "Local/")
}
