package dialrules

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr error
	}{
		{in: "79001234567", want: "79001234567"},
		{in: "+7 (900) 123-45-67", want: "+79001234567"},
		{in: "8.900.123.45.67", want: "89001234567"},
		{in: " +1 555 0100", want: "+15550100"},
		{in: "(495) 123-4567", want: "4951234567"},
		{in: "", wantErr: ErrMalformed},
		{in: "+", wantErr: ErrMalformed},
		{in: " - ", wantErr: ErrMalformed},
		{in: "7+900", wantErr: ErrMalformed},
		{in: "++7900", wantErr: ErrMalformed},
		{in: "900\r\nAction: Hangup", wantErr: ErrMalformed},
		{in: "900\n", wantErr: ErrMalformed},
		{in: "900\x00", wantErr: ErrMalformed},
		{in: "900#", wantErr: ErrMalformed},
		{in: "900*1", wantErr: ErrMalformed},
		{in: "900/1", wantErr: ErrMalformed},
		{in: "９００", wantErr: ErrMalformed}, // full-width digits are not ASCII digits
		{in: strings.Repeat("1", 65), wantErr: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Normalize(%q) error = %v, want %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// russia is a typical configuration for a Russian office: E.164 input is
// rewritten to the national format, premium and international ranges are
// denied, and only mobile and Moscow numbers are allowed.
var russia = Config{
	Rewrite: []Rewrite{{Prefix: "+7", Replace: "8"}, {Prefix: "+", Replace: "810"}, {Prefix: "7", Replace: "8"}},
	Deny:    []string{"8809", "810", "00"},
	Allow:   []string{`8(9\d{9}|495\d{7}|800\d{7})`, `10[1-5]`},
}

func TestApply(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		in      string
		want    string
		wantErr error
	}{
		{name: "no rules drop the plus", cfg: Config{}, in: "+7 (900) 123-45-67", want: "79001234567"},
		{name: "e164_plus keeps the plus", cfg: Config{Format: FormatE164Plus}, in: "+7 (900) 123-45-67", want: "+79001234567"},
		{name: "no rules plain", cfg: Config{}, in: "79001234567", want: "79001234567"},
		{name: "rewrite +7 to 8", cfg: russia, in: "+7 900 123-45-67", want: "89001234567"},
		{name: "rewrite 7 to 8", cfg: russia, in: "79001234567", want: "89001234567"},
		{name: "national unchanged", cfg: russia, in: "8 (495) 123-45-67", want: "84951234567"},
		{name: "toll free allowed", cfg: russia, in: "8-800-555-35-35", want: "88005553535"},
		{name: "internal allowed", cfg: russia, in: "102", want: "102"},
		{name: "first rewrite wins", cfg: Config{Rewrite: []Rewrite{{"+7", "8"}, {"+", "00"}}}, in: "+79001234567", want: "89001234567"},
		{name: "rewrite applied once", cfg: Config{Rewrite: []Rewrite{{"8", "88"}}}, in: "8123", want: "88123"},
		{name: "rewrite to nothing", cfg: Config{Rewrite: []Rewrite{{"+", ""}}}, in: "+79001234567", want: "79001234567"},

		// Toll fraud: premium and international, typed in every form.
		{name: "premium 8809", cfg: russia, in: "8 809 123-45-67", wantErr: ErrDenied},
		{name: "premium via +7 is a premium-rate number", cfg: russia, in: "+7 809 123 45 67", wantErr: ErrType},
		{name: "premium via 7", cfg: russia, in: "7 (809) 1234567", wantErr: ErrDenied},
		{name: "international 810", cfg: russia, in: "810 44 20 7946 0000", wantErr: ErrDenied},
		{name: "international 00", cfg: russia, in: "00 44 20 7946 0000", wantErr: ErrDenied},
		{name: "international E.164 rewritten to 810", cfg: russia, in: "+44 20 7946 0000", wantErr: ErrDenied},
		{name: "satellite E.164", cfg: russia, in: "+882 1234 5678", wantErr: ErrDenied},
		{name: "deny plus", cfg: Config{Deny: []string{"+"}}, in: "+44 20 7946 0000", wantErr: ErrDenied},
		{name: "deny wins over allow", cfg: Config{Deny: []string{"8809"}, Allow: []string{`8\d{10}`}}, in: "88091234567", wantErr: ErrDenied},
		{name: "not in allow list", cfg: russia, in: "8 (812) 123-45-67", wantErr: ErrNotAllowed},
		{name: "allow is anchored", cfg: Config{Allow: []string{`89\d{9}`}}, in: "8900123456799", wantErr: ErrNotAllowed},
		{name: "allow is anchored at start", cfg: Config{Allow: []string{`10[1-5]`}}, in: "8101", wantErr: ErrNotAllowed},
		{name: "too short", cfg: Config{}, in: "12", wantErr: ErrLength},
		{name: "too long", cfg: Config{}, in: strings.Repeat("1", 21), wantErr: ErrLength},
		{name: "custom length", cfg: Config{MinDigits: 11, MaxDigits: 11}, in: "9001234567", wantErr: ErrLength},
		{name: "malformed", cfg: russia, in: "8900abc", wantErr: ErrMalformed},
		{name: "injection", cfg: Config{}, in: "79001234567\r\nAction: Originate", wantErr: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Compile(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.Check(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Check(%q) error = %v, want %v", tt.in, err, tt.wantErr)
			}
			if got.Dial != tt.want {
				t.Errorf("Check(%q).Dial = %q, want %q", tt.in, got.Dial, tt.want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"bad regexp", Config{Allow: []string{"8(9"}}, "allow[0]"},
		{"deny not digits", Config{Deny: []string{"8x"}}, "deny[0]"},
		{"deny empty", Config{Deny: []string{"810", ""}}, "deny[1]"},
		{"rewrite prefix empty", Config{Rewrite: []Rewrite{{"", "8"}}}, "rewrite[0] prefix"},
		{"rewrite replace bad", Config{Rewrite: []Rewrite{{"+7", "8;"}}}, "rewrite[0] replace"},
		{"bad range", Config{MinDigits: 10, MaxDigits: 5}, "min_digits"},
		{"unknown region", Config{Region: "XX"}, "region \"XX\""},
		{"bad format", Config{Format: "+e164"}, "format"},
		{"bad caller id format", Config{CallerIDFormat: "e164"}, "caller_id_format"},
		{"unknown type", Config{DenyTypes: []string{"premium"}}, "deny_types[0]"},
		{"unknown country", Config{Countries: []string{"RU", "SU"}}, "countries[1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Compile error = %v, want one naming %q", err, tt.want)
			}
		})
	}
}

// BenchmarkCheck measures the rules on a request's number, with and
// without the home region's parsing (run with -benchmem).
func BenchmarkCheck(b *testing.B) {
	for _, bc := range []struct {
		name string
		cfg  Config
	}{
		{"prefix rules only", russia},
		{"region RU", Config{Region: "RU", Deny: []string{"810", "8809"}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r, err := Compile(bc.cfg)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Check("+7 (900) 123-45-67"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
