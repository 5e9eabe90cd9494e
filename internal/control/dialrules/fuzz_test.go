package dialrules

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzConfigs are the home regions and formats the fuzzer reads numbers
// with, picked by the input's first argument: without prefix rules, so that
// what comes out is what the numbering plan made of the input.
var fuzzConfigs = []Config{
	{Region: "RU"},
	{Region: "US", Format: FormatE164Digits},
	{Region: "GB", Countries: []string{AnyCountry}, DenyTypes: []string{TypePremiumRate, TypeSatellite}},
	{Region: "DE", Countries: []string{AnyCountry}, Format: FormatE164Plus, CallerIDFormat: CallerIDInternational},
	{},
	{Countries: []string{AnyCountry}, DenyTypes: []string{}},
}

var knownRules = map[string]bool{
	RuleFormat: true, RuleNumber: true, RuleType: true, RuleCountry: true,
	RulePrefix: true, RulePattern: true, RuleLength: true,
}

// FuzzCheck reads whatever a request may carry as a phone number, in
// several home regions, and holds the promises call control and the
// history rely on: a refusal is an *Error naming a known rule with a
// printable reason; an accepted number is dialled as digits (a leading "+"
// only in the e164_plus format) within the digit bounds; its E.164 is
// "+digits" and reads back as itself, and dialling it
// dials the same string; E164 of the input agrees with Check's:
//
//	go test -run '^$' -fuzz FuzzCheck -fuzztime 30s ./internal/control/dialrules/
//
// Interesting inputs are kept in testdata/fuzz/FuzzCheck.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		"+7 (900) 123-45-67", "8 900 123 45 67", "900.123.4567", "+44 (0)20 7946 0018",
		"810 44 20 7946 0018", "+881 6 312 34567", "+7 809 123 45 67", "101", "",
		"+", "++7", "900\r\nAction: Hangup", "９００", "+800 1234 5678",
	} {
		f.Add(uint8(0), s)
	}
	rules := make([]*Rules, len(fuzzConfigs))
	for i, c := range fuzzConfigs {
		r, err := Compile(c)
		if err != nil {
			f.Fatal(err)
		}
		rules[i] = r
	}
	f.Fuzz(func(t *testing.T, which uint8, in string) {
		cfg := fuzzConfigs[int(which)%len(fuzzConfigs)]
		r := rules[int(which)%len(rules)]
		e164 := r.E164(in)
		if e164 != "" && !isE164(e164) {
			t.Fatalf("E164(%q) = %q: not +digits", in, e164)
		}
		got, err := r.Check(in)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Check(%q) error %v is no *Error", in, err)
			}
			if !knownRules[e.Rule] || e.Reason == "" || !printable(e.Reason) {
				t.Fatalf("Check(%q) refused by rule %q with reason %q", in, e.Rule, e.Reason)
			}
			if got != (Number{}) {
				t.Fatalf("Check(%q) refused (%v) but returned %+v", in, err, got)
			}
			return
		}
		dial := got.Dial
		if cfg.Format == FormatE164Plus {
			dial = strings.TrimPrefix(dial, "+")
		}
		if !isNumberText(dial) || strings.HasPrefix(dial, "+") || len(dial) < DefaultMinDigits || len(dial) > DefaultMaxDigits {
			t.Fatalf("Check(%q).Dial = %q: want %d to %d digits", in, got.Dial, DefaultMinDigits, DefaultMaxDigits)
		}
		if got.Display == "" || !printable(got.Display) || strings.ContainsAny(got.Display, "\"\\<>") {
			t.Fatalf("Check(%q).Display = %q: unfit for a CallerID", in, got.Display)
		}
		if got.E164 == "" {
			if cfg.Region != "" {
				t.Fatalf("Check(%q) accepted %+v in %s without an E.164 form", in, got, cfg.Region)
			}
			return
		}
		if !isE164(got.E164) {
			t.Fatalf("Check(%q).E164 = %q: not +digits", in, got.E164)
		}
		if e164 != got.E164 {
			t.Fatalf("E164(%q) = %q, but Check says %q", in, e164, got.E164)
		}
		if again := r.E164(got.E164); again != got.E164 {
			t.Fatalf("E164(%q) = %q: the E.164 form does not read back as itself", got.E164, again)
		}
		again, err := r.Check(got.E164)
		if err != nil || again != got {
			t.Fatalf("Check(%q) = %+v, %v; want %+v as for %q", got.E164, again, err, got, in)
		}
	})
}

// isE164 reports whether s is "+" and 2 to 20 digits: E.164 says 15 at
// most, but libphonenumber's possible lengths go further (German numbers
// have up to 15 digits after +49), and so does what a PBX dials.
func isE164(s string) bool {
	return len(s) >= 3 && len(s) <= 1+DefaultMaxDigits && s[0] == '+' && isNumberText(s)
}

// printable reports whether s is UTF-8 without control characters.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r == '\u2028' || r == '\u2029' {
			return false
		}
	}
	return true
}
