// Package dialrules is the one home of the rules for customer numbers: it
// reads what a CRM sends as a phone number in the home region (with
// libphonenumber's metadata), decides whether a click-to-call may dial it,
// so that a stolen token cannot make the PBX call premium-rate or foreign
// destinations, and writes it the way the PBX dials it. It also reads the
// numbers a PBX reports into E.164, the key a CRM matches customers by.
//
// The order is fixed and documented for operators:
//
//  1. Normalise: spaces, dashes, dots and parentheses are removed; a leading
//     "+" is kept; anything else but digits is refused.
//  2. Parse: with a home region, the number is read in it ("8 900 ...",
//     "900 ...", "+7 900 ...", "810 44 ..." are all understood) and must be
//     a possible full number. Without one, only a number given with "+" is
//     parsed; others are kept as typed.
//  3. Number type: a parsed number of a denied type (premium rate by
//     default; shared cost, UAN, personal, satellite, ... as configured)
//     is refused.
//  4. Country: a parsed number outside the allowed countries (by default
//     the home region only) is refused.
//  5. Format: a parsed number is written in the dial format (national by
//     default: as a phone in the home region dials it).
//  6. Rewrite: the first rewrite whose prefix starts the number replaces that
//     prefix, once ("+7" → "8"). Later rewrites are not tried.
//  7. Deny: a number (as rewritten, which is what the PBX dials) that starts
//     with any denied prefix is refused. Deny wins over allow.
//  8. Allow: when allow patterns are configured, the number must match one of
//     them as a whole (patterns are anchored); with none, every number that
//     passed the deny list is allowed.
//  9. Length: the number must have MinDigits..MaxDigits digits.
//  10. Unless the dial format is e164_plus, a leading "+" still there (a
//     number given with "+" and no home region) is dropped: no "+" reaches
//     a dialplan that does not expect one.
package dialrules

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Errors of Normalize and Check, wrapped in an *Error that says which rule
// refused the number and why; the call control service turns that into a
// field error.
var (
	ErrMalformed  = errors.New("dialrules: not a phone number")
	ErrImpossible = errors.New("dialrules: not a possible full number")
	ErrType       = errors.New("dialrules: number of a denied type")
	ErrCountry    = errors.New("dialrules: number of a country not allowed")
	ErrFormat     = errors.New("dialrules: number cannot be written in the dial format")
	ErrDenied     = errors.New("dialrules: number starts with a denied prefix")
	ErrNotAllowed = errors.New("dialrules: number matches no allowed pattern")
	ErrLength     = errors.New("dialrules: number has too few or too many digits")
)

// Rules that can refuse a number (Error.Rule).
const (
	RuleFormat  = "format"  // not a phone number at all
	RuleNumber  = "number"  // not a possible full number in the home region
	RuleType    = "type"    // a denied number type
	RuleCountry = "country" // a country outside the allowed ones
	RulePrefix  = "prefix"  // a denied prefix
	RulePattern = "pattern" // no allowed pattern matches
	RuleLength  = "length"  // too few or too many digits
)

// Error is a refused number: which rule refused it and why, in words a
// CRM developer can act on ("is a premium-rate number, a type the dial
// rules deny (premium_rate)").
type Error struct {
	Rule   string
	Reason string
	err    error
}

func (e *Error) Error() string { return e.err.Error() + ": " + e.Reason }

// Unwrap makes errors.Is(err, ErrType) and the like hold.
func (e *Error) Unwrap() error { return e.err }

func refuse(rule string, sentinel error, format string, args ...any) *Error {
	return &Error{Rule: rule, Reason: fmt.Sprintf(format, args...), err: sentinel}
}

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
	// Region is the home region, an ISO 3166 code ("RU", "US", "DE"):
	// numbers without a country code are read in it. Empty: only numbers
	// given with "+" are parsed, others are kept as typed.
	Region string `yaml:"region"`
	// Format is the dial format: FormatNational (default), FormatE164Digits
	// or FormatE164Plus.
	Format string `yaml:"format"`
	// CallerIDFormat is how the customer number is shown to the agent:
	// CallerIDNational (default) or CallerIDInternational.
	CallerIDFormat string `yaml:"caller_id_format"`
	// DenyTypes are the number types refused (see TypeNames); nil means
	// DefaultDenyTypes, an empty non-nil list none.
	DenyTypes []string `yaml:"deny_types"`
	// Countries are the regions a number may belong to, ISO 3166 codes, or
	// AnyCountry; nil means the home region only (any country without one).
	Countries []string `yaml:"countries"`
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
	phone    phone
	allow    []*regexp.Regexp
	deny     []string
	rewrite  []Rewrite
	min, max int
}

// Compile checks cfg and returns its rules. An error names the list and the
// entry at fault, so that a bad configuration stops start-up clearly.
func Compile(cfg Config) (*Rules, error) {
	r := &Rules{min: cfg.MinDigits, max: cfg.MaxDigits}
	var err error
	if r.phone, err = compilePhone(cfg); err != nil {
		return nil, err
	}
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

// Check reads a number as a request carries it and applies every rule, in
// the order of the package documentation. A refusal is an *Error.
func (r *Rules) Check(s string) (Number, error) {
	n, err := Normalize(s)
	if err != nil {
		return Number{}, &Error{Rule: RuleFormat, Reason: "is not a phone number: " + strings.TrimPrefix(err.Error(), ErrMalformed.Error()+": "), err: err}
	}
	var out Number
	pn, ok, err := r.phone.parse(n)
	switch {
	case err != nil:
		return Number{}, refuse(RuleNumber, ErrImpossible, "is not a phone number%s: %v", r.phone.in(), err)
	case ok:
		if err := r.phone.checkParsed(pn); err != nil {
			return Number{}, err
		}
		dial, shown, fits := r.phone.dial(pn)
		if !fits {
			return Number{}, refuse(RuleNumber, ErrFormat, "cannot be dialled in the national format from %s (several international prefixes): use the e164_digits dial format", r.phone.region)
		}
		out = Number{E164: pn.e164, Display: r.phone.display(pn.num, shown)}
		if r.phone.region != "" {
			n = dial
		} else {
			// Without a home region the prefix rules see the number in
			// E.164, "+" included, as typed numbers with "+" always were:
			// the number the library read ("+7 8 900..." is +7900...), so
			// that what is dialled is what E164 says.
			n = out.E164
		}
	}
	dial, err := r.apply(n)
	if err != nil {
		return Number{}, err
	}
	if r.phone.format != FormatE164Plus {
		dial = strings.TrimPrefix(dial, "+")
	}
	out.Dial = dial
	if out.Display == "" {
		out.Display = dial
	}
	return out, nil
}

// in names the home region in a refusal.
func (p *phone) in() string {
	if p.region == "" {
		return ""
	}
	return " in " + p.region
}

// apply takes a number as it would be dialled through rewrite, deny, allow
// and length, in that order, and returns the number to dial.
func (r *Rules) apply(number string) (string, error) {
	for _, w := range r.rewrite {
		if strings.HasPrefix(number, w.Prefix) {
			number = w.Replace + number[len(w.Prefix):]
			break
		}
	}
	for _, p := range r.deny {
		if strings.HasPrefix(number, p) {
			return "", refuse(RulePrefix, ErrDenied, "is dialled as %s, which starts with %q, a prefix the dial rules deny", number, p)
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
			return "", refuse(RulePattern, ErrNotAllowed, "is dialled as %s, which matches none of the numbers the dial rules allow", number)
		}
	}
	if n := len(strings.TrimPrefix(number, "+")); n < r.min || n > r.max || !isNumberText(number) {
		return "", refuse(RuleLength, ErrLength, "is dialled as %s: want %d to %d digits", number, r.min, r.max)
	}
	return number, nil
}

// Denied returns the denied prefix number starts with, or "". Call control
// also checks transfer targets with it: a transfer context usually reaches
// the outside world too.
func (r *Rules) Denied(number string) string {
	for _, p := range r.deny {
		if strings.HasPrefix(number, p) {
			return p
		}
	}
	return ""
}
