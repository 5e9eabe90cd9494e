package webhooks

import (
	"net/url"
	"strings"
)

// redacted replaces a credential in a URL shown.
const redacted = "xxxxx"

// credentialParams are the query parameters whose values RedactURL hides,
// compared without case: the usual names of a token or signature that a
// receiver reads from its own URL. Other parameters are shown as they are.
var credentialParams = map[string]bool{
	"token": true, "access_token": true, "auth": true,
	"key": true, "api_key": true, "apikey": true,
	"secret": true, "password": true,
	"sig": true, "signature": true,
}

// RedactURL is a URL as responses and logs show it, the one rule for both:
// the user information (user:pass@, or a token as the user) and the values
// of credentialParams are replaced by "xxxxx". Deliveries use the URL as
// given. A URL that does not parse is not shown at all.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	if u.User != nil {
		u.User = url.User(redacted)
	}
	if u.RawQuery != "" {
		// Parameter by parameter, in place: url.Values would reorder them.
		parts := strings.Split(u.RawQuery, "&")
		for i, p := range parts {
			name, _, hasValue := strings.Cut(p, "=")
			if n, err := url.QueryUnescape(name); err == nil && hasValue && credentialParams[strings.ToLower(n)] {
				parts[i] = name + "=" + redacted
			}
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	return u.String()
}
