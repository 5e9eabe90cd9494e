package dialrules

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// TestCheckRegions reads real formats in several home regions with the
// default rules (national dial format, premium rate denied, home country
// only) and the configuration's prefix defaults: what is accepted, what is
// dialled, what the CRM gets as E.164, and why a number is refused.
func TestCheckRegions(t *testing.T) {
	defaultDeny := []string{"00", "810", "8809"}
	tests := []struct {
		region  string
		cfg     Config // Region and Deny are set from the row
		in      string
		dial    string
		e164    string
		display string
		rule    string // the refusing rule, "" when accepted
		reason  string // a part of the refusal's reason
	}{
		// Russia: the README's example, and every way a Russian number is written.
		{region: "RU", in: "+7 (900) 123-45-67", dial: "89001234567", e164: "+79001234567", display: "8 (900) 123-45-67"},
		{region: "RU", in: "8 900 123 45 67", dial: "89001234567", e164: "+79001234567", display: "8 (900) 123-45-67"},
		{region: "RU", in: "79001234567", dial: "89001234567", e164: "+79001234567", display: "8 (900) 123-45-67"},
		{region: "RU", in: "900.123.45.67", dial: "89001234567", e164: "+79001234567", display: "8 (900) 123-45-67"},
		{region: "RU", in: "+74951234567", dial: "84951234567", e164: "+74951234567", display: "8 (495) 123-45-67"},
		{region: "RU", in: "8-800-555-35-35", dial: "88005553535", e164: "+78005553535", display: "8 (800) 555-35-35"},
		{region: "RU", in: "+7 809 123 45 67", rule: RuleType, reason: "premium-rate"},
		{region: "RU", in: "+44 20 7946 0018", rule: RuleCountry, reason: "GB"},
		{region: "RU", in: "810 44 20 7946 0018", rule: RuleCountry, reason: "GB"},
		{region: "RU", in: "+7 701 234 5678", rule: RuleCountry, reason: "KZ"}, // shares +7 with Russia
		{region: "RU", in: "+881 6 312 34567", rule: RuleCountry, reason: "international service"},
		{region: "RU", in: "900 123 45", rule: RuleNumber, reason: "RU number"},
		{region: "RU", in: "+7 900 123", rule: RuleNumber, reason: "too short"},
		{region: "RU", in: "+7 900 123 45 67 89 01", dial: "90012345678901", e164: "+790012345678901", display: "90012345678901"}, // possible, in no known range
		{region: "RU", cfg: Config{DenyTypes: []string{TypePremiumRate, TypeUnknown}}, in: "+7 900 123 45 67 89 01", rule: RuleType, reason: "no range known"},
		{region: "RU", in: "8 900 abc", rule: RuleFormat, reason: "not a phone number"},
		// Foreign numbers, once allowed, go after Russia's international prefix.
		{region: "RU", cfg: Config{Countries: []string{"RU", "GB"}, Deny: []string{"8809"}}, in: "+44 20 7946 0018", dial: "810442079460018", e164: "+442079460018", display: "+44 20 7946 0018"},
		// ... which the configuration's default prefix rules still deny.
		{region: "RU", cfg: Config{Countries: []string{"RU", "GB"}}, in: "+44 20 7946 0018", rule: RulePrefix, reason: `"810"`},
		{region: "RU", cfg: Config{Format: FormatE164Digits}, in: "8 900 123 45 67", dial: "79001234567", e164: "+79001234567", display: "8 (900) 123-45-67"},
		{region: "RU", cfg: Config{Format: FormatE164Plus}, in: "8 900 123 45 67", dial: "+79001234567", e164: "+79001234567", display: "8 (900) 123-45-67"},
		{region: "RU", cfg: Config{CallerIDFormat: CallerIDInternational}, in: "89001234567", dial: "89001234567", e164: "+79001234567", display: "+7 900 123-45-67"},
		{region: "RU", cfg: Config{DenyTypes: []string{TypeTollFree}}, in: "8 800 555 35 35", rule: RuleType, reason: "toll-free"},
		{region: "RU", cfg: Config{Countries: []string{AnyCountry}, DenyTypes: []string{TypeSatellite}}, in: "+881 6 312 34567", rule: RuleType, reason: "satellite"},

		// United States: 1 + ten digits inside NANPA, 011 abroad.
		{region: "US", in: "(201) 555-0123", dial: "12015550123", e164: "+12015550123", display: "1 (201) 555-0123"},
		{region: "US", in: "201.555.0123", dial: "12015550123", e164: "+12015550123", display: "1 (201) 555-0123"},
		{region: "US", in: "+1 201 555 0123", dial: "12015550123", e164: "+12015550123", display: "1 (201) 555-0123"},
		{region: "US", in: "1-900-234-5678", rule: RuleType, reason: "premium-rate"},
		{region: "US", in: "+1 416 555 0123", rule: RuleCountry, reason: "CA"},
		{region: "US", in: "555-0123", rule: RuleNumber, reason: "local US number"},
		{region: "US", cfg: Config{Countries: []string{"US", "CA", "GB"}}, in: "+1 416 555 0123", dial: "14165550123", e164: "+14165550123", display: "1 (416) 555-0123"},
		{region: "US", cfg: Config{Countries: []string{"US", "GB"}}, in: "+44 20 7946 0018", dial: "011442079460018", e164: "+442079460018", display: "+44 20 7946 0018"},

		// United Kingdom: 0 + national number, 00 abroad.
		{region: "GB", in: "020 7946 0018", dial: "02079460018", e164: "+442079460018", display: "020 7946 0018"},
		{region: "GB", in: "+44 (0)20 7946 0018", dial: "02079460018", e164: "+442079460018", display: "020 7946 0018"},
		{region: "GB", in: "07400 123456", dial: "07400123456", e164: "+447400123456", display: "07400 123456"},
		{region: "GB", in: "0901 123 4567", rule: RuleType, reason: "premium-rate"},
		{region: "GB", cfg: Config{DenyTypes: []string{TypePremiumRate, TypeSharedCost, TypePersonalNumber, TypeUAN}}, in: "0300 123 4567", rule: RuleType, reason: "universal access"},
		{region: "GB", cfg: Config{DenyTypes: []string{TypePremiumRate, TypeSharedCost, TypePersonalNumber, TypeUAN}}, in: "070 1234 5678", rule: RuleType, reason: "personal"},
		{region: "GB", in: "+49 30 123456", rule: RuleCountry, reason: "DE"},
		{region: "GB", in: "+44 20", rule: RuleNumber, reason: "too short for a GB number"},
		{region: "GB", in: "020 79", rule: RuleNumber, reason: "local GB number"},
		// Its national part starts with the trunk prefix 0 again: read back
		// from E.164 it would be another, shorter number (found by FuzzCheck).
		{region: "GB", in: "+44 (0)00 0000 0000", rule: RuleNumber, reason: "national prefix 0"},

		// Germany: 0 + area code, 00 abroad (denied by the default prefixes).
		{region: "DE", in: "030 123456", dial: "030123456", e164: "+4930123456", display: "030 123456"},
		{region: "DE", in: "+49 (0)30 123456", dial: "030123456", e164: "+4930123456", display: "030 123456"},
		{region: "DE", in: "0151 23456789", dial: "015123456789", e164: "+4915123456789", display: "01512 3456789"},
		{region: "DE", in: "0900 1 234567", rule: RuleType, reason: "premium-rate"},
		{region: "DE", cfg: Config{DenyTypes: []string{TypePremiumRate, TypeSharedCost}}, in: "01805 123456", rule: RuleType, reason: "shared-cost"},
		{region: "DE", in: "+7 900 123 45 67", rule: RuleCountry, reason: "RU"},
		{region: "DE", cfg: Config{Countries: []string{"DE", "RU"}}, in: "+7 900 123 45 67", rule: RulePrefix, reason: `"00"`},
		{region: "DE", cfg: Config{Countries: []string{"DE", "RU"}, Deny: []string{"0900"}}, in: "+7 900 123 45 67", dial: "0079001234567", e164: "+79001234567", display: "+7 900 123-45-67"},
	}
	for _, tt := range tests {
		name := tt.region + " " + tt.in
		if tt.cfg.Format != "" || tt.cfg.Countries != nil || tt.cfg.DenyTypes != nil || tt.cfg.CallerIDFormat != "" {
			name += " (configured)"
		}
		t.Run(name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Region = tt.region
			if cfg.Deny == nil {
				cfg.Deny = defaultDeny
			}
			r, err := Compile(cfg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.Check(tt.in)
			if tt.rule != "" {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("Check(%q) = %+v, %v; want a refusal by rule %s", tt.in, got, err, tt.rule)
				}
				if e.Rule != tt.rule || !strings.Contains(e.Reason, tt.reason) {
					t.Fatalf("Check(%q) refused by %s: %q; want rule %s and a reason with %q", tt.in, e.Rule, e.Reason, tt.rule, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("Check(%q): %v", tt.in, err)
			}
			want := Number{Dial: tt.dial, E164: tt.e164, Display: tt.display}
			if got != want {
				t.Errorf("Check(%q) = %+v, want %+v", tt.in, got, want)
			}
		})
	}
}

// TestCheckWithoutRegion: with no home region a number given with "+" is
// still classified, and numbers reach Exten as digits (the README's
// dialplan matches _X.), the "+" kept only when configured.
func TestCheckWithoutRegion(t *testing.T) {
	tests := []struct {
		cfg        Config
		in         string
		dial, e164 string
		wantErr    error
	}{
		{in: "+7 (900) 123-45-67", dial: "79001234567", e164: "+79001234567"},
		{in: "8 900 123 45 67", dial: "89001234567"},
		{in: "+44 20 7946 0018", dial: "442079460018", e164: "+442079460018"},
		{in: "+7 809 123 45 67", wantErr: ErrType},
		// The trunk prefix typed after the country code is not dialled:
		// what is dialled is the number E164 names (found by FuzzCheck).
		{in: "+7 8 900 123 45 67", dial: "79001234567", e164: "+79001234567"},
		{in: "+999 123", wantErr: ErrImpossible},
		{cfg: Config{Format: FormatE164Plus}, in: "+7 (900) 123-45-67", dial: "+79001234567", e164: "+79001234567"},
		{cfg: Config{Countries: []string{"RU"}}, in: "+44 20 7946 0018", wantErr: ErrCountry},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := Compile(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.Check(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Check(%q) error = %v, want %v", tt.in, err, tt.wantErr)
			}
			if got.Dial != tt.dial || got.E164 != tt.e164 {
				t.Errorf("Check(%q) = %+v, want dial %q, e164 %q", tt.in, got, tt.dial, tt.e164)
			}
			if strings.Contains(got.Dial, "+") && tt.cfg.Format != FormatE164Plus {
				t.Errorf("a + reached the dial string %q", got.Dial)
			}
		})
	}
}

// TestE164 reads numbers as a PBX reports them (the recorded callers among
// them) and as a CRM searches for them.
func TestE164(t *testing.T) {
	tests := []struct {
		region, in, want string
	}{
		{"RU", "79005550001", "+79005550001"}, // testdata/ami: a trunk's caller
		{"RU", "89005550001", "+79005550001"},
		{"RU", "9005550001", "+79005550001"},
		{"RU", "+7 900 555-00-01", "+79005550001"},
		{"RU", "101", ""},     // an extension
		{"RU", "5550100", ""}, // a DID, no full number
		{"RU", "anonymous", ""},
		{"RU", "", ""},
		{"US", "2015550123", "+12015550123"},
		{"US", "12015550123", "+12015550123"},
		{"GB", "02079460018", "+442079460018"},
		{"DE", "030123456", "+4930123456"},
		{"DE", "004930123456", "+4930123456"},
		{"", "+79005550001", "+79005550001"},
		{"", "79005550001", ""},           // no home region: cannot tell
		{"GB", "+44 (0)00 0000 0000", ""}, // +440000000000 would read back as +44000000000: no E.164 to match by
	}
	for _, tt := range tests {
		t.Run(tt.region+" "+tt.in, func(t *testing.T) {
			r, err := Compile(Config{Region: tt.region})
			if err != nil {
				t.Fatal(err)
			}
			if got := r.E164(tt.in); got != tt.want {
				t.Errorf("E164(%q) in %q = %q, want %q", tt.in, tt.region, got, tt.want)
			}
		})
	}
}

func BenchmarkE164(b *testing.B) {
	r, err := Compile(Config{Region: "RU"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if r.E164("79005550001") == "" {
			b.Fatal("not parsed")
		}
	}
}

// TestMetadataLoadsOnce: reading a number allocates what one parse does,
// not libphonenumber's metadata (tens of thousands of allocations), which
// loads once per process.
func TestMetadataLoadsOnce(t *testing.T) {
	r, err := Compile(Config{Region: "RU"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Check("+7 (900) 123-45-67"); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(20, func() {
		if _, err := r.Check("+7 (900) 123-45-67"); err != nil {
			t.Fatal(err)
		}
		if r.E164("8 (900) 555-00-01") == "" {
			t.Fatal("no E.164")
		}
	})
	if allocs > 400 {
		t.Fatalf("Check and E164 allocate %.0f times: is the metadata loaded per call?", allocs)
	}
}

// TestClassifyAsLibrary holds the rules' number types to libphonenumber's
// GetNumberType: every type's example number of every region and
// non-geographic service, and the same numbers with the last digit
// changed (which often leaves the type's range), classify the same, with
// every type denied (the full classification) and with one type alone
// denied (where the classification stops early).
func TestClassifyAsLibrary(t *testing.T) {
	var nums []*phonenumbers.PhoneNumber
	add := func(n *phonenumbers.PhoneNumber) {
		if n == nil {
			return
		}
		nums = append(nums, n)
		for _, d := range "09" {
			m := &phonenumbers.PhoneNumber{}
			nsn := phonenumbers.GetNationalSignificantNumber(n)
			if err := phonenumbers.ParseToNumber(e164From(n.GetCountryCode(), nsn[:len(nsn)-1]+string(d)), "", m); err == nil {
				nums = append(nums, m)
			}
		}
	}
	for region := range phonenumbers.GetSupportedRegions() {
		for typ := range typeNames {
			add(phonenumbers.GetExampleNumberForType(region, typ))
		}
	}
	for cc := range phonenumbers.GetSupportedGlobalNetworkCallingCodes() {
		add(phonenumbers.GetExampleNumberForNonGeoEntity(cc))
	}
	if len(nums) < 3000 {
		t.Fatalf("only %d example numbers: is the metadata there?", len(nums))
	}
	all := typeSet{}
	for name := range typeText {
		if name != TypeSatellite {
			all[name] = true
		}
	}
	names := slices.Sorted(maps.Keys(all))
	seen := map[string]int{}
	for i, n := range nums {
		want := typeNames[phonenumbers.GetNumberType(n)]
		region, nsn := phonenumbers.GetRegionCodeForNumber(n), phonenumbers.GetNationalSignificantNumber(n)
		if got := all.classify(n.GetCountryCode(), region, nsn); got != want {
			t.Fatalf("+%d %s: classified %q, libphonenumber says %q", n.GetCountryCode(), nsn, got, want)
		}
		seen[want]++
		// Its own type alone denied, and another type (in turn) alone.
		if got := (typeSet{want: true}).deniedType(n, region, nsn); got != want {
			t.Fatalf("+%d %s (%s) with only %s denied: deniedType = %q", n.GetCountryCode(), nsn, want, want, got)
		}
		if other := names[i%len(names)]; other != want {
			if got := (typeSet{other: true}).deniedType(n, region, nsn); got != "" {
				t.Fatalf("+%d %s (%s) with only %s denied: deniedType = %q", n.GetCountryCode(), nsn, want, other, got)
			}
		}
	}
	for name := range all {
		if seen[name] == 0 && name != TypeVoicemail && name != TypePager {
			t.Errorf("no example number is %s: the comparison did not cover it", name)
		}
	}
	t.Logf("%d numbers compared; by type: %v", len(nums), seen)
}
