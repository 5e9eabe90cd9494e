package dialrules

import (
	"regexp"
	"strconv"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// The number type is libphonenumber's classification (GetNumberType),
// decided from the library's own metadata in the library's own order, but
// stopping as soon as no denied type can follow. The library's
// GetNumberType tests a number against up to eleven patterns, building
// each pattern's string and looking it up in a locked cache every time;
// with premium rate denied (the default) two patterns decide, from
// regexps compiled once. TestClassifyAsLibrary holds the two to the same
// answers over every region's example numbers.

// special are the types decided before fixed line and mobile, in the order
// libphonenumber tests them: a number is the first that matches.
var special = []struct {
	name string
	desc func(*phonenumbers.PhoneMetadata) *phonenumbers.PhoneNumberDesc
}{
	{TypePremiumRate, (*phonenumbers.PhoneMetadata).GetPremiumRate},
	{TypeTollFree, (*phonenumbers.PhoneMetadata).GetTollFree},
	{TypeSharedCost, (*phonenumbers.PhoneMetadata).GetSharedCost},
	{TypeVoIP, (*phonenumbers.PhoneMetadata).GetVoip},
	{TypePersonalNumber, (*phonenumbers.PhoneMetadata).GetPersonalNumber},
	{TypePager, (*phonenumbers.PhoneMetadata).GetPager},
	{TypeUAN, (*phonenumbers.PhoneMetadata).GetUan},
	{TypeVoicemail, (*phonenumbers.PhoneMetadata).GetVoicemail},
}

// classify returns the type name of the number with calling code cc, region
// and national significant number nsn, as libphonenumber would, except that
// it returns "" once the types still possible are none that s denies.
func (s typeSet) classify(cc int32, region, nsn string) string {
	md := metadataFor(cc, region)
	if md == nil || !matchesDesc(nsn, md.GetGeneralDesc()) {
		return TypeUnknown
	}
	left := len(s)
	if s[TypeSatellite] {
		left-- // decided by the calling code, before this
	}
	for _, t := range special {
		if left == 0 {
			return ""
		}
		if matchesDesc(nsn, t.desc(md)) {
			return t.name
		}
		if s[t.name] {
			left--
		}
	}
	if left == 0 {
		return ""
	}
	same := md.GetSameMobileAndFixedLinePattern()
	switch {
	case matchesDesc(nsn, md.GetFixedLine()):
		if same || matchesDesc(nsn, md.GetMobile()) {
			return TypeFixedLineOrMobile
		}
		return TypeFixedLine
	case !same && matchesDesc(nsn, md.GetMobile()):
		return TypeMobile
	}
	return TypeUnknown
}

// matchesDesc is libphonenumber's test of a national number against a
// number description: one of its possible lengths, when it lists any, and
// the whole number matching its pattern.
func matchesDesc(nsn string, d *phonenumbers.PhoneNumberDesc) bool {
	if d == nil || d.GetNationalNumberPattern() == "" {
		return false
	}
	if lengths := d.GetPossibleLength(); len(lengths) > 0 {
		found := false
		for _, l := range lengths {
			if int(l) == len(nsn) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return descPattern(d).MatchString(nsn)
}

// descPatterns holds each description's pattern compiled once, keyed by
// the description (the metadata is loaded once and never changes).
var descPatterns sync.Map // *phonenumbers.PhoneNumberDesc → *regexp.Regexp

func descPattern(d *phonenumbers.PhoneNumberDesc) *regexp.Regexp {
	if re, ok := descPatterns.Load(d); ok {
		return re.(*regexp.Regexp)
	}
	// The metadata's patterns are libphonenumber's, which compile; one
	// that did not would match nothing rather than stop the service.
	re, err := regexp.Compile("^(?:" + d.GetNationalNumberPattern() + ")$")
	if err != nil {
		re = regexp.MustCompile(`$^`)
	}
	actual, _ := descPatterns.LoadOrStore(d, re)
	return actual.(*regexp.Regexp)
}

// metadataKey names one region's metadata; non-geographic services (region
// "001") have one per calling code.
type metadataKey struct {
	cc     int32
	region string
}

// metadataIndex is libphonenumber's metadata by calling code and region,
// read once from the library.
var metadataIndex = sync.OnceValue(func() map[metadataKey]*phonenumbers.PhoneMetadata {
	out := map[metadataKey]*phonenumbers.PhoneMetadata{}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return out // every number then reads as unknown
	}
	for _, md := range coll.GetMetadata() {
		out[metadataKey{md.GetCountryCode(), md.GetId()}] = md
	}
	return out
})

// metadataFor is the metadata libphonenumber classifies a number of calling
// code cc and region by, or nil.
func metadataFor(cc int32, region string) *phonenumbers.PhoneMetadata {
	if region == "" {
		return nil
	}
	return metadataIndex()[metadataKey{cc, region}]
}

// e164From writes a number as "+<country code><national significant
// number>", as libphonenumber's E164 format does.
func e164From(cc int32, nsn string) string {
	return "+" + strconv.Itoa(int(cc)) + nsn
}
