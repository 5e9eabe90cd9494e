package dialrules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Number types, as libphonenumber classifies numbers, plus "satellite", which
// it files under the non-geographic region "001" as mobile or unknown. The
// names are the configuration's (AMIGATE_PHONE_DENY_TYPES).
const (
	TypeFixedLine         = "fixed_line"
	TypeMobile            = "mobile"
	TypeFixedLineOrMobile = "fixed_line_or_mobile"
	TypeTollFree          = "toll_free"
	TypePremiumRate       = "premium_rate"
	TypeSharedCost        = "shared_cost"
	TypeVoIP              = "voip"
	TypePersonalNumber    = "personal_number"
	TypePager             = "pager"
	TypeUAN               = "uan"
	TypeVoicemail         = "voicemail"
	// TypeUnknown is a number of a possible length that matches no range
	// the metadata knows: unassigned, or newer than the library's data.
	TypeUnknown = "unknown"
	// TypeSatellite is any number under the calling codes of satellite
	// services: +870 (Inmarsat), +881 (Global Mobile Satellite System:
	// Iridium, Globalstar, ...) and +882 (international networks, among them
	// Thuraya).
	TypeSatellite = "satellite"
)

// DefaultDenyTypes are the number types refused when the configuration names
// none: premium-rate numbers are the classic toll fraud.
var DefaultDenyTypes = []string{TypePremiumRate}

// typeNames maps libphonenumber's types to the configuration's names.
var typeNames = map[phonenumbers.PhoneNumberType]string{
	phonenumbers.FIXED_LINE:           TypeFixedLine,
	phonenumbers.MOBILE:               TypeMobile,
	phonenumbers.FIXED_LINE_OR_MOBILE: TypeFixedLineOrMobile,
	phonenumbers.TOLL_FREE:            TypeTollFree,
	phonenumbers.PREMIUM_RATE:         TypePremiumRate,
	phonenumbers.SHARED_COST:          TypeSharedCost,
	phonenumbers.VOIP:                 TypeVoIP,
	phonenumbers.PERSONAL_NUMBER:      TypePersonalNumber,
	phonenumbers.PAGER:                TypePager,
	phonenumbers.UAN:                  TypeUAN,
	phonenumbers.VOICEMAIL:            TypeVoicemail,
	phonenumbers.UNKNOWN:              TypeUnknown,
}

// typeText is how a refusal names a type to a person.
var typeText = map[string]string{
	TypeFixedLine:         "a fixed-line number",
	TypeMobile:            "a mobile number",
	TypeFixedLineOrMobile: "a fixed-line or mobile number",
	TypeTollFree:          "a toll-free number",
	TypePremiumRate:       "a premium-rate number",
	TypeSharedCost:        "a shared-cost number",
	TypeVoIP:              "a VoIP number",
	TypePersonalNumber:    "a personal number",
	TypePager:             "a pager number",
	TypeUAN:               "a universal access number (UAN)",
	TypeVoicemail:         "a voicemail access number",
	TypeUnknown:           "a number in no range known to the numbering plan",
	TypeSatellite:         "a satellite number",
}

// TypeNames lists every number type name, sorted.
func TypeNames() []string {
	out := make([]string, 0, len(typeText))
	for n := range typeText {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// satelliteCodes are the calling codes of TypeSatellite.
var satelliteCodes = map[int32]bool{870: true, 881: true, 882: true}

// typeSet is a set of number type names.
type typeSet map[string]bool

func compileTypes(names []string) (typeSet, error) {
	s := typeSet{}
	for i, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		if _, ok := typeText[n]; !ok {
			return nil, fmt.Errorf("dialrules: deny_types[%d] %q: want some of %s", i, names[i], strings.Join(TypeNames(), ", "))
		}
		s[n] = true
	}
	return s, nil
}

// deniedType returns the name of the first denied type that a number is, or
// "": n is the number, region its region (phonenumbers.GetRegionCodeForNumber)
// and nsn its national significant number, which the caller has at hand.
// The satellite test needs no metadata, so it goes first.
func (s typeSet) deniedType(n *phonenumbers.PhoneNumber, region, nsn string) string {
	if len(s) == 0 {
		return ""
	}
	if s[TypeSatellite] && satelliteCodes[n.GetCountryCode()] {
		return TypeSatellite
	}
	if len(s) == 1 && s[TypeSatellite] {
		return ""
	}
	if t := s.classify(n.GetCountryCode(), region, nsn); s[t] {
		return t
	}
	return ""
}
