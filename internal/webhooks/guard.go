package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/amigate/amigate"
)

// ErrAddressRefused is the dial-time refusal of a webhook address that is
// loopback, private, link-local or otherwise not on the public internet.
var ErrAddressRefused = errors.New("webhooks: address not allowed")

// maxURLLen bounds a subscription URL.
const maxURLLen = 2048

// Resolver looks up a host's addresses; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// urlError is a refused subscription URL as the HTTP layer reports it.
func urlError(format string, args ...any) error {
	return &amigate.FieldError{Field: "url", Message: fmt.Sprintf(format, args...)}
}

// parseURL checks a subscription URL's form: absolute http(s) with a host.
func parseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, urlError("is required")
	}
	if len(raw) > maxURLLen {
		return nil, urlError("is longer than %d bytes", maxURLLen)
	}
	if strings.ContainsAny(raw, " \t\r\n\x00") {
		return nil, urlError("contains whitespace or control characters")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, urlError("is not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, urlError("must be http or https")
	}
	if u.Hostname() == "" {
		return nil, urlError("has no host")
	}
	return u, nil
}

// checkURL validates a URL at create time and, unless allowPrivate, refuses
// it when any address its host resolves to is not public. The same check
// runs again at dial time (dialControl), against DNS rebinding.
func checkURL(ctx context.Context, r Resolver, allowPrivate bool, raw string) error {
	return guardURL(ctx, r, allowPrivate, raw, false)
}

// guardURL is checkURL; unresolvedOK lets a host that does not resolve pass.
func guardURL(ctx context.Context, r Resolver, allowPrivate bool, raw string, unresolvedOK bool) error {
	u, err := parseURL(raw)
	if err != nil || allowPrivate {
		return err
	}
	host := u.Hostname()
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		addrs, err = r.LookupNetIP(ctx, "ip", host)
		if err != nil {
			addrs = nil
		}
	}
	if len(addrs) == 0 {
		if unresolvedOK {
			return nil
		}
		return urlError("host %q does not resolve", host)
	}
	for _, a := range addrs {
		if why := refusal(a); why != "" {
			return urlError("host %q resolves to a %s; set AMIGATE_WEBHOOK_ALLOW_PRIVATE=true to allow it", host, why)
		}
	}
	return nil
}

// CheckConfigURL is the guard for a subscription from configuration, at
// `check` and at start-up: a URL the guard would refuse at every delivery
// (loopback, private, link-local, metadata) is a configuration error
// naming AMIGATE_WEBHOOK_ALLOW_PRIVATE, rather than a delivery retried
// for 24 hours. A host that does not resolve now is not an error here:
// DNS may be down at start-up, and the dial-time check still holds.
func CheckConfigURL(ctx context.Context, r Resolver, allowPrivate bool, raw string) error {
	if err := guardURL(ctx, r, allowPrivate, raw, true); err != nil {
		return fmt.Errorf("webhook URL %s: %w", RedactURL(raw), err)
	}
	return nil
}

// dialControl refuses a connection about to be made to a non-public
// address. It runs after DNS, on the address actually dialled, so a name
// that resolved to a public address at create time cannot be rebound to
// an internal one later.
func dialControl(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrAddressRefused, address)
	}
	if why := refusal(ap.Addr()); why != "" {
		return fmt.Errorf("%w: %s is a %s", ErrAddressRefused, ap.Addr(), why)
	}
	return nil
}

// newTransport is the HTTP transport deliveries use: no proxy (a proxy would
// dial for us and bypass the address check), TLS verification on, and
// dialControl unless private addresses are allowed.
func newTransport(allowPrivate bool, maxConnsPerHost int) *http.Transport {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = dialControl
	}
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   10 * time.Second,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   maxConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}
