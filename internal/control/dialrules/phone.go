package dialrules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Dial formats: how a number is written in the Originate's Exten
// (AMIGATE_PHONE_DIAL_FORMAT).
const (
	// FormatNational dials as a phone in the home region does: home numbers
	// in the national format with the national prefix (89001234567 in RU,
	// 02079460018 in GB, 12015550123 in the US), foreign numbers after the
	// home region's international prefix (81044..., 0044..., 01144...), as
	// libphonenumber's FormatOutOfCountryCallingNumber chooses them. The
	// default: it is what a dialplan matching _X. and a local trunk expect.
	FormatNational = "national"
	// FormatE164Digits dials every number as its country code and national
	// number without "+" (79001234567), as many SIP trunks want.
	FormatE164Digits = "e164_digits"
	// FormatE164Plus dials "+79001234567": only for a dialplan whose
	// patterns match a "+".
	FormatE164Plus = "e164_plus"
)

// Caller ID formats: how the customer is shown on the agent's phone during
// a click-to-call (AMIGATE_PHONE_CALLER_ID_FORMAT).
const (
	// CallerIDNational shows home numbers in the national format
	// ("8 (900) 123-45-67") and foreign ones in the international format.
	// The default.
	CallerIDNational = "national"
	// CallerIDInternational shows every number in the international format
	// ("+7 900 123-45-67").
	CallerIDInternational = "international"
)

// AnyCountry in Config.Countries allows every country.
const AnyCountry = "*"

// Number is a customer number that passed the rules.
type Number struct {
	// Dial is what the PBX dials: the Originate's Exten.
	Dial string
	// E164 is the number in E.164 ("+79001234567"): the key a CRM finds the
	// customer's card by. Empty when it cannot be told: no home region is
	// configured and the number was not given with its "+" country code.
	E164 string
	// Display is the number for people, in the configured caller ID format
	// ("8 (900) 123-45-67"); Dial when the number could not be parsed.
	Display string
}

// phone is the compiled phone-number part of the rules.
type phone struct {
	region    string // ISO 3166 home region, "" for none
	code      int    // the home region's calling code
	format    string
	callerID  string
	denyTypes typeSet
	countries map[string]bool // nil: any country
}

func compilePhone(cfg Config) (phone, error) {
	p := phone{region: strings.ToUpper(strings.TrimSpace(cfg.Region)), format: cfg.Format, callerID: cfg.CallerIDFormat}
	if p.region != "" {
		if !phonenumbers.GetSupportedRegions()[p.region] {
			return p, fmt.Errorf("dialrules: region %q: not an ISO 3166 region code libphonenumber knows (like RU, US, GB, DE)", cfg.Region)
		}
		p.code = phonenumbers.GetCountryCodeForRegion(p.region)
	}
	switch p.format {
	case "":
		p.format = FormatNational
	case FormatNational, FormatE164Digits, FormatE164Plus:
	default:
		return p, fmt.Errorf("dialrules: format %q: want %s, %s or %s", cfg.Format, FormatNational, FormatE164Digits, FormatE164Plus)
	}
	switch p.callerID {
	case "":
		p.callerID = CallerIDNational
	case CallerIDNational, CallerIDInternational:
	default:
		return p, fmt.Errorf("dialrules: caller_id_format %q: want %s or %s", cfg.CallerIDFormat, CallerIDNational, CallerIDInternational)
	}
	types := cfg.DenyTypes
	if types == nil {
		types = DefaultDenyTypes
	}
	var err error
	if p.denyTypes, err = compileTypes(types); err != nil {
		return p, err
	}
	countries := cfg.Countries
	if countries == nil && p.region != "" {
		countries = []string{p.region}
	}
	if len(countries) > 0 && !slices.Contains(countries, AnyCountry) {
		p.countries = map[string]bool{}
		regions := phonenumbers.GetSupportedRegions()
		for i, c := range countries {
			c = strings.ToUpper(strings.TrimSpace(c))
			if !regions[c] {
				return p, fmt.Errorf("dialrules: countries[%d] %q: not an ISO 3166 region code libphonenumber knows, nor %q", i, countries[i], AnyCountry)
			}
			p.countries[c] = true
		}
	}
	return p, nil
}

// parsed is a number libphonenumber read, with the forms of it that the
// rules use more than once, written once.
type parsed struct {
	num  *phonenumbers.PhoneNumber
	nsn  string // national significant number
	e164 string // "+79001234567"
}

// parse reads a normalised number ("+79001234567", "89001234567") in the
// home region. ok is false when the number cannot be read without guessing:
// no home region and no "+".
func (p *phone) parse(n string) (pn parsed, ok bool, err error) {
	if p.region == "" && n[0] != '+' {
		return pn, false, nil
	}
	num := &phonenumbers.PhoneNumber{}
	if err := phonenumbers.ParseToNumber(n, p.region, num); err != nil {
		return pn, true, err
	}
	nsn := phonenumbers.GetNationalSignificantNumber(num)
	return parsed{num: num, nsn: nsn, e164: e164From(num.GetCountryCode(), nsn)}, true, nil
}

// possible explains why a parsed number cannot be a full number, or is "".
func (p *phone) possible(pn parsed) string {
	num := pn.num
	where := "number"
	if r := phonenumbers.GetRegionCodeForCountryCode(int(num.GetCountryCode())); r != "" && r != phonenumbers.UNKNOWN_REGION && r != "001" {
		where = r + " number"
	}
	switch phonenumbers.IsPossibleNumberWithReason(num) {
	case phonenumbers.IS_POSSIBLE:
		if ndd, ok := unstable(pn); !ok {
			return "is not a " + where + ": its national part starts with the national prefix " + ndd + " and would read as another number"
		}
		return ""
	case phonenumbers.INVALID_COUNTRY_CODE:
		return "has no valid country code"
	case phonenumbers.TOO_SHORT:
		return "is too short for a " + where
	case phonenumbers.TOO_LONG:
		return "is too long for a " + where
	case phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		return "is a local " + where + " without its area code"
	}
	return "has a length no " + where + " has"
}

// unstable reports whether num, written in E.164, reads back as itself
// (ok), and the national prefix that can make it not. Read with its
// country code, a number's national prefix is dropped: "+44 (0)20..." is
// +4420.... A national part that itself starts with the prefix, which no
// assigned number does, reads as a shorter number the second time
// ("+440000000000" is +44000000000); such a number has no E.164 form a CRM
// could match, and dialling it would reach something else.
func unstable(pn parsed) (ndd string, ok bool) {
	num := pn.num
	ndd = phonenumbers.GetNddPrefixForRegion(phonenumbers.GetRegionCodeForCountryCode(int(num.GetCountryCode())), true)
	if ndd == "" || !strings.HasPrefix(pn.nsn, ndd) {
		return "", true
	}
	back := &phonenumbers.PhoneNumber{}
	if err := phonenumbers.ParseToNumber(pn.e164, "", back); err != nil {
		return ndd, false
	}
	return ndd, back.GetCountryCode() == num.GetCountryCode() && back.GetNationalNumber() == num.GetNationalNumber() &&
		back.GetItalianLeadingZero() == num.GetItalianLeadingZero() && back.GetNumberOfLeadingZeros() == num.GetNumberOfLeadingZeros()
}

// dial writes num in the configured dial format. ok is false when the
// national format cannot say how to reach num from the home region (a
// region with several international prefixes and no preferred one).
func (p *phone) dial(pn parsed) (dial, shown string, ok bool) {
	num := pn.num
	switch p.format {
	case FormatE164Plus:
		return pn.e164, "", true
	case FormatE164Digits:
		return pn.e164[1:], "", true
	}
	if p.region == "" {
		return pn.e164[1:], "", true
	}
	s := phonenumbers.FormatOutOfCountryCallingNumber(num, p.region)
	if strings.HasPrefix(s, "+") {
		return "", "", false
	}
	d := digits(s)
	if int(num.GetCountryCode()) == p.code {
		// The home country's national format is also the readable one.
		return d, s, true
	}
	return d, "", true
}

// display writes num for people in the configured caller ID format; shown
// is the national format when dial already produced it.
func (p *phone) display(num *phonenumbers.PhoneNumber, shown string) string {
	if p.callerID == CallerIDNational && p.region != "" && int(num.GetCountryCode()) == p.code {
		if shown != "" {
			return shown
		}
		return phonenumbers.Format(num, phonenumbers.NATIONAL)
	}
	return phonenumbers.Format(num, phonenumbers.INTERNATIONAL)
}

// digits keeps the ASCII digits of s.
func digits(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			b = append(b, c)
		}
	}
	return string(b)
}

// E164 returns the E.164 form of a number as a PBX or a person wrote it
// ("79005550001", "8 (900) 555-00-01", "+7 900 555 00 01"), read in the
// home region, or "" when that cannot be told without guessing: not a
// number, not a possible full number, or no home region and no "+". It
// applies no dial rule: it is for matching numbers, not for dialling them.
func (r *Rules) E164(s string) string {
	n, err := Normalize(s)
	if err != nil {
		return ""
	}
	pn, ok, err := r.phone.parse(n)
	if !ok || err != nil || r.phone.possible(pn) != "" {
		return ""
	}
	return pn.e164
}

// countryText names a region in a refusal.
func countryText(region string) string {
	switch region {
	case "":
		return "a country the numbering plan cannot tell"
	case "001":
		return "an international service (no country)"
	}
	return region
}

func allowedText(m map[string]bool) string {
	out := make([]string, 0, len(m))
	for c := range m {
		out = append(out, c)
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// checkParsed applies the rules of what a parsed number is: possible, of no
// denied type, in an allowed country.
func (p *phone) checkParsed(pn parsed) error {
	num := pn.num
	if why := p.possible(pn); why != "" {
		return refuse(RuleNumber, ErrImpossible, "%s", why)
	}
	// "001" for non-geographic services (satellite, international
	// networks); "" when the calling code is shared and the number is in
	// no region's ranges.
	var region string
	if len(p.denyTypes) > 0 || p.countries != nil {
		region = phonenumbers.GetRegionCodeForNumber(num)
	}
	if t := p.denyTypes.deniedType(num, region, pn.nsn); t != "" {
		return refuse(RuleType, ErrType, "is %s, a type the dial rules deny (%s)", typeText[t], t)
	}
	if p.countries != nil && !p.countries[region] {
		return refuse(RuleCountry, ErrCountry, "is a number of %s (+%d); the dial rules allow numbers of %s only", countryText(region), num.GetCountryCode(), allowedText(p.countries))
	}
	return nil
}
