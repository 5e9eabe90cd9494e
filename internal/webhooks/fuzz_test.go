package webhooks

import (
	"context"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

// FuzzCheckURL: whatever the URL, an accepted one is absolute http(s) and,
// with private addresses not allowed, its host is a public address.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"https://crm.example/h", "http://127.0.0.1/", "http://[::ffff:10.0.0.1]:80/", "http://0x7f000001/", "http://017700000001/", "https://crm.example@127.0.0.1/", "http://[fe80::1%25eth0]/", "HTTP://CRM.EXAMPLE/"} {
		f.Add(s)
	}
	r := fakeResolver{"crm.example": {"93.184.216.34"}, "CRM.EXAMPLE": {"93.184.216.34"}}
	f.Fuzz(func(t *testing.T, raw string) {
		if err := checkURL(context.Background(), r, false, raw); err != nil {
			return
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			t.Fatalf("accepted %q", raw)
		}
		host := u.Hostname()
		if a, err := netip.ParseAddr(host); err == nil && refusal(a) != "" {
			t.Fatalf("accepted %q with a refused address", raw)
		}
		if _, known := r[host]; !known {
			if _, err := netip.ParseAddr(host); err != nil {
				t.Fatalf("accepted %q whose host does not resolve", raw)
			}
		}
	})
}

// FuzzToken: a token is always one valid NATS subject token and key
// segment, the same for the same id.
func FuzzToken(f *testing.F) {
	for _, s := range []string{"evt_0123abcd", "a.b", "", "*", ">", "evt 1", strings.Repeat("x", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		tok := token(id)
		if tok == "" || len(tok) > 128 || strings.ContainsAny(tok, ".*> \t\r\n\x00") {
			t.Fatalf("token(%q) = %q", id, tok)
		}
		if token(id) != tok {
			t.Fatalf("token(%q) is not stable", id)
		}
	})
}
