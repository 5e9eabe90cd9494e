// Package chanvar is the one rule for the channel variables a request may
// set on the call it places. Asterisk acts on many variables by name
// (MONITOR_EXEC runs a program, SIPADDHEADER adds SIP headers,
// TRANSFER_CONTEXT picks where a transfer goes) and copies a variable
// whose name starts with "_" or "__" onto every channel the call creates,
// so no list of forbidden names can be complete: a request may set only
// names the configured pattern allows (default CRM_…), never an inherited
// one, never the service's own (AMIGATE_…). The HTTP layer checks the form
// of a name (WellFormed); call control checks it against the configured
// Rule.
package chanvar

import (
	"fmt"
	"regexp"
	"strings"
)

// DefaultPattern is what AMIGATE_DIAL_VARIABLE_PATTERN is when unset:
// CRM_DEAL_ID, CRM_TICKET and the like.
const DefaultPattern = `CRM_[A-Za-z0-9_]+`

// MaxName bounds a variable name's length.
const MaxName = 64

// Own is the prefix of the service's own channel variables
// (AMIGATE_CALL_ID); no request may set a name starting with it, in any
// case.
const Own = "AMIGATE_"

// The service's own channel variables, set by call control on every call
// it places (CallID) and every campaign call (the rest): one home, since
// the correlator reads CallID back off the channel and the README's
// dialplan examples use all of them.
const (
	CallID         = Own + "CALL_ID"         // the call's id, as the API answered it
	CampaignID     = Own + "CAMPAIGN_ID"     // the campaign of a campaign call
	Contact        = Own + "CONTACT"         // the contact's index in its campaign
	CustomerNumber = Own + "CUSTOMER_NUMBER" // the number dialled, after the dial rules
)

// Form says in words what WellFormed checks, for error messages.
const Form = "a letter, then letters, digits and _ (no leading _, at most 64, not AMIGATE_…)"

// WellFormed reports whether name has the form every request variable must
// have whatever the pattern: a letter first (a leading "_" makes Asterisk
// copy the variable onto every channel the call creates), then ASCII
// letters, digits and "_" (parentheses would make it a dialplan function
// such as SHELL(), "=" or "," a second variable), at most MaxName bytes,
// and not the service's own prefix.
func WellFormed(name string) bool {
	if name == "" || len(name) > MaxName || !isLetter(name[0]) {
		return false
	}
	for i := 1; i < len(name); i++ {
		if c := name[i]; !isLetter(c) && !(c >= '0' && c <= '9') && c != '_' {
			return false
		}
	}
	return !(len(name) >= len(Own) && strings.EqualFold(name[:len(Own)], Own))
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// actedOn are variables Asterisk (or a common dialplan) acts on: a pattern
// that allows any of them is refused as configuration. This is a check on
// the operator's pattern, not the protection itself, which is that only
// what the pattern allows gets through.
var actedOn = []string{
	"MONITOR_EXEC", "MONITOR_EXEC_ARGS", "MONITOR_FILENAME", "MIXMONITOR_FILENAME",
	"TOUCH_MONITOR", "TOUCH_MIXMONITOR", "TOUCH_MONITOR_FORMAT", "TOUCH_MIXMONITOR_FORMAT",
	"AUDIOHOOK_INHERIT", "SIPADDHEADER01", "SIPADDHEADER", "PJSIP_HEADER",
	"TRANSFER_CONTEXT", "GOTO_ON_BLINDXFR", "FORWARD_CONTEXT", "DYNAMIC_FEATURES",
	"BRIDGE_FEATURES", "OUTBOUND_GROUP", "OUTBOUND_GROUP_ONCE", "MACRO_CONTEXT",
	"GOSUB_RESULT", "LIMIT_PLAYAUDIO_CALLER", "LIMIT_WARNING_FILE", "ATTENDED_TRANSFER_COMPLETE_SOUND",
	"CHANNEL", "CALLERID", "SHELL", "SYSTEM", "FILE", "ODBC", "DB", "CDR",
}

// Rule is the configured allow-list. It is immutable and safe for
// concurrent use.
type Rule struct {
	re      *regexp.Regexp
	pattern string
}

// New compiles pattern, an RE2 expression a name must match as a whole;
// empty means DefaultPattern. A pattern that allows a variable Asterisk
// acts on is refused, naming it.
func New(pattern string) (*Rule, error) {
	if strings.TrimSpace(pattern) == "" {
		pattern = DefaultPattern
	}
	re, err := regexp.Compile(`^(?:` + pattern + `)$`)
	if err != nil {
		return nil, fmt.Errorf("variable pattern %q: %w", pattern, err)
	}
	r := &Rule{re: re, pattern: pattern}
	var bad []string
	for _, name := range actedOn {
		if r.re.MatchString(name) {
			bad = append(bad, name)
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("variable pattern %q allows %s, which Asterisk acts on: allow your own prefix only, like %s", pattern, strings.Join(bad, ", "), DefaultPattern)
	}
	return r, nil
}

// Default is the rule with DefaultPattern.
func Default() *Rule {
	r, err := New("")
	if err != nil {
		panic(err)
	}
	return r
}

// Allows reports whether a request may set the variable name: it is
// WellFormed and matches the pattern whole.
func (r *Rule) Allows(name string) bool { return WellFormed(name) && r.re.MatchString(name) }

// String says the rule, for the error that refuses a name.
func (r *Rule) String() string {
	return "must match " + r.pattern + " (AMIGATE_DIAL_VARIABLE_PATTERN) and be " + Form
}

// Pattern is the configured pattern.
func (r *Rule) Pattern() string { return r.pattern }
