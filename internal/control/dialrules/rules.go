// Package dialrules decides which customer numbers a click-to-call may dial:
// it normalises what a CRM sends, rewrites prefixes and applies the allow and
// deny lists of the configuration, so that a stolen token cannot make the PBX
// call premium or international destinations.
//
// The order is fixed and documented for operators:
//
//  1. Normalise: spaces, dashes, dots and parentheses are removed; a leading
//     "+" is kept; anything else but digits is refused.
//  2. Rewrite: the first rewrite whose prefix starts the number replaces that
//     prefix, once ("+7" → "8"). Later rewrites are not tried.
//  3. Deny: a number (as rewritten, which is what the PBX dials) that starts
//     with any denied prefix is refused. Deny wins over allow.
//  4. Allow: when allow patterns are configured, the number must match one of
//     them as a whole (patterns are anchored); with none, every number that
//     passed the deny list is allowed.
//  5. Length: the number must have MinDigits..MaxDigits digits.
package dialrules

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Errors of Normalize and Apply; the call control service turns them into a
// field error on "to".
var (
	ErrMalformed  = errors.New("dialrules: not a phone number")
	ErrDenied     = errors.New("dialrules: number starts with a denied prefix")
	ErrNotAllowed = errors.New("dialrules: number matches no allowed pattern")
	ErrLength     = errors.New("dialrules: number has too few or too many digits")
)

// Default bounds on the digits of a number: E.164 allows 15 digits, and
// national access codes (810, 00) add a few.
const (
	DefaultMinDigits = 3
	DefaultMaxDigits = 20
)

// maxInput bounds the raw text accepted before normalisation.
const maxInput = 64

// Config is the operator's dial plan for customer numbers.
type Config struct {
	// Allow lists regular expressions (RE2 syntax) a rewritten number must
	// match as a whole; empty means any number the deny list lets through.
	Allow []string `yaml:"allow"`
	// Deny lists prefixes refused after rewriting, e.g. "8809" (premium),
	// "810" and "00" (international), "+" (any number left in E.164 form).
	Deny []string `yaml:"deny"`
	// Rewrite lists prefix rewrites; the first match wins and is applied once.
	Rewrite []Rewrite `yaml:"rewrite"`
	// MinDigits and MaxDigits bound the digits of the rewritten number;
	// zero means DefaultMinDigits and DefaultMaxDigits.
	MinDigits int `yaml:"min_digits"`
	MaxDigits int `yaml:"max_digits"`
}

// Rewrite replaces a number's leading Prefix with Replace.
type Rewrite struct {
	Prefix  string `yaml:"prefix"`
	Replace string `yaml:"replace"`
}

// Rules is a compiled Config, safe for concurrent use.
type Rules struct {
	allow    []*regexp.Regexp
	deny     []string
	rewrite  []Rewrite
	min, max int
}

// Compile checks cfg and returns its rules. An error names the list and the
// entry at fault, so that a bad configuration stops start-up clearly.
func Compile(cfg Config) (*Rules, error) {
	r := &Rules{min: cfg.MinDigits, max: cfg.MaxDigits}
	if r.min == 0 {
		r.min = DefaultMinDigits
	}
	if r.max == 0 {
		r.max = DefaultMaxDigits
	}
	if r.min < 1 || r.max < r.min {
		return nil, fmt.Errorf("dialrules: min_digits %d and max_digits %d are not a range", cfg.MinDigits, cfg.MaxDigits)
	}
	for i, p := range cfg.Allow {
		re, err := regexp.Compile(`^(?:` + p + `)$`)
		if err != nil {
			return nil, fmt.Errorf("dialrules: allow[%d] %q: %w", i, p, err)
		}
		r.allow = append(r.allow, re)
	}
	for i, p := range cfg.Deny {
		if !isPrefix(p) {
			return nil, fmt.Errorf("dialrules: deny[%d] %q: prefix must be digits with an optional leading +", i, p)
		}
		r.deny = append(r.deny, p)
	}
	for i, w := range cfg.Rewrite {
		if !isPrefix(w.Prefix) {
			return nil, fmt.Errorf("dialrules: rewrite[%d] prefix %q: must be digits with an optional leading +", i, w.Prefix)
		}
		if w.Replace != "" && !isPrefix(w.Replace) {
			return nil, fmt.Errorf("dialrules: rewrite[%d] replace %q: must be digits with an optional leading +", i, w.Replace)
		}
		r.rewrite = append(r.rewrite, w)
	}
	return r, nil
}

// isNumberText reports whether s is a non-empty run of digits with an
// optional leading "+".
func isNumberText(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isPrefix is isNumberText that also accepts a lone "+".
func isPrefix(s string) bool { return s == "+" || isNumberText(s) }

// Normalize strips the separators people type into phone numbers (spaces,
// dashes, dots, parentheses) and keeps a leading "+". Anything else but
// digits, including CR, LF and NUL, is ErrMalformed.
func Normalize(s string) (string, error) {
	if len(s) > maxInput {
		return "", fmt.Errorf("%w: longer than %d characters", ErrMalformed, maxInput)
	}
	// Fast path: already normalised text is returned without allocating.
	clean := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' || c == '+' && i == 0 {
			continue
		}
		clean = false
		break
	}
	if clean {
		if s == "" || s == "+" {
			return "", fmt.Errorf("%w: no digits", ErrMalformed)
		}
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			b = append(b, c)
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
		case c == '+' && len(b) == 0 && strings.TrimLeft(s[:i], " -.()") == "":
			b = append(b, c)
		default:
			return "", fmt.Errorf("%w: unexpected %q", ErrMalformed, c)
		}
	}
	if len(b) == 0 || len(b) == 1 && b[0] == '+' {
		return "", fmt.Errorf("%w: no digits", ErrMalformed)
	}
	return string(b), nil
}

// Apply takes a normalised number through rewrite, deny, allow and length, in
// that order, and returns the number to dial.
func (r *Rules) Apply(number string) (string, error) {
	for _, w := range r.rewrite {
		if strings.HasPrefix(number, w.Prefix) {
			number = w.Replace + number[len(w.Prefix):]
			break
		}
	}
	for _, p := range r.deny {
		if strings.HasPrefix(number, p) {
			return "", fmt.Errorf("%w %q", ErrDenied, p)
		}
	}
	if len(r.allow) > 0 {
		ok := false
		for _, re := range r.allow {
			if re.MatchString(number) {
				ok = true
				break
			}
		}
		if !ok {
			return "", ErrNotAllowed
		}
	}
	if n := len(strings.TrimPrefix(number, "+")); n < r.min || n > r.max || !isNumberText(number) {
		return "", fmt.Errorf("%w: want %d to %d digits", ErrLength, r.min, r.max)
	}
	return number, nil
}

// Denied reports whether number starts with a denied prefix. Call control
// also checks transfer targets with it: a transfer context usually reaches
// the outside world too.
func (r *Rules) Denied(number string) bool {
	for _, p := range r.deny {
		if strings.HasPrefix(number, p) {
			return true
		}
	}
	return false
}

// Dialable normalises s and applies the rules: what a request's "to" becomes.
func (r *Rules) Dialable(s string) (string, error) {
	n, err := Normalize(s)
	if err != nil {
		return "", err
	}
	return r.Apply(n)
}
