package webhooks

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/amigate/amigate"
)

// fakeResolver answers from a map; unknown hosts fail.
type fakeResolver map[string][]string

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	ss, ok := f[host]
	if !ok {
		return nil, errors.New("no such host")
	}
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out, nil
}

var _ Resolver = fakeResolver(nil)

func TestRefusal(t *testing.T) {
	tests := []struct {
		addr    string
		refused bool
	}{
		{"93.184.216.34", false},
		{"2606:4700::1111", false},
		{"127.0.0.1", true},
		{"127.255.0.9", true},
		{"::1", true},
		{"10.1.2.3", true},
		{"172.16.0.1", true},
		{"172.31.255.255", true},
		{"172.32.0.1", false},
		{"192.168.1.1", true},
		{"169.254.169.254", true}, // AWS/GCP/Azure metadata
		{"100.100.100.200", true}, // Alibaba metadata, CGNAT range
		{"fd00:ec2::254", true},   // AWS IPv6 metadata
		{"fe80::1", true},
		{"fc00::1", true},
		{"0.0.0.0", true},
		{"::", true},
		{"224.0.0.1", true},
		{"255.255.255.255", true},
		{"::ffff:127.0.0.1", true},    // IPv4-mapped
		{"64:ff9b::7f00:1", true},     // NAT64 of 127.0.0.1
		{"2002:a00:1::1", true},       // 6to4 of 10.0.0.1
		{"64:ff9b::5db8:d822", false}, // NAT64 of a public address
		{"198.18.0.1", true},
		{"240.0.0.1", true},
		{"168.63.129.16", true}, // Azure host endpoint
		{"192.0.2.1", true},
		{"203.0.113.7", true},
		{"fec0::1", true},
		{"fe80::1%eth0", true},
		// Every IPv6 form that carries an IPv4 address is judged by it.
		{"::127.0.0.1", true},                           // IPv4-compatible
		{"::169.254.169.254", true},                     // IPv4-compatible metadata
		{"::10.0.0.1", true},                            // IPv4-compatible private
		{"::93.184.216.34", false},                      // IPv4-compatible public
		{"::ffff:169.254.169.254", true},                // IPv4-mapped metadata
		{"::ffff:93.184.216.34", false},                 // IPv4-mapped public
		{"::ffff:0:127.0.0.1", true},                    // SIIT IPv4-translated
		{"::ffff:0:93.184.216.34", false},               // SIIT public
		{"64:ff9b::169.254.169.254", true},              // NAT64 well-known prefix
		{"64:ff9b::168.63.129.16", true},                // NAT64 of Azure's metadata
		{"64:ff9b:1::7f00:1", true},                     // NAT64 local-use: refused whole
		{"64:ff9b:1:5db8:d8:2200::", true},              // ... at the /48 position too
		{"2002:7f00:1::", true},                         // 6to4 of 127.0.0.1
		{"2002:a9fe:a9fe::1", true},                     // 6to4 of 169.254.169.254
		{"2002:5db8:d822::1", false},                    // 6to4 of a public address
		{"2001:0:4136:e378:8000:63bf:a247:27dd", false}, // Teredo: public server, public client 93.184.216.34
		{"2001:0:4136:e378:8000:63bf:80ff:fffe", true},  // Teredo client 127.0.0.1 (obfuscated)
		{"2001:0:4136:e378:8000:63bf:5601:5601", true},  // Teredo client 169.254.169.254 (obfuscated)
		{"2001:0:a00:1:8000:63bf:a247:27dd", true},      // Teredo server 10.0.0.1
		{"2001:0:7f00:1:8000:63bf:a247:27dd", true},     // Teredo server 127.0.0.1
		{"2001:2::1", true},                             // benchmarking
		{"3fff::1", true},                               // documentation
		{"100::1", true},                                // discard
	}
	for _, tt := range tests {
		if got := refusal(netip.MustParseAddr(tt.addr)) != ""; got != tt.refused {
			t.Errorf("refusal(%s): got refused=%v, want %v", tt.addr, got, tt.refused)
		}
	}
}

func TestCheckURL(t *testing.T) {
	r := fakeResolver{
		"crm.example":              {"93.184.216.34"},
		"localhost":                {"127.0.0.1", "::1"},
		"internal.example":         {"10.0.0.5"},
		"mixed.example":            {"93.184.216.34", "192.168.0.10"},
		"metadata.google.internal": {"169.254.169.254"},
	}
	tests := []struct {
		url          string
		allowPrivate bool
		ok           bool
	}{
		{"https://crm.example/hooks", false, true},
		{"http://crm.example:8080/hooks?x=1", false, true},
		{"http://localhost:9000/", false, false},
		{"http://localhost:9000/", true, true},
		{"http://127.0.0.1/", false, false},
		{"http://[::1]/", false, false},
		{"http://169.254.169.254/latest/meta-data/", false, false},
		{"http://metadata.google.internal/", false, false},
		{"https://internal.example/", false, false},
		{"https://mixed.example/", false, false},
		{"https://nxdomain.example/", false, false},
		{"ftp://crm.example/", false, false},
		{"crm.example/hooks", false, false},
		{"https:///nohost", false, false},
		{"", false, false},
		{"https://crm.example/\r\nX-Injected: 1", true, false},
		{"http://[::127.0.0.1]/", false, false},
		{"http://[::169.254.169.254]/latest/meta-data/", false, false},
		{"http://[64:ff9b:1::a9fe:a9fe]/", false, false},
		{"http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", false, false},
		{"http://168.63.129.16/machine?comp=goalstate", false, false},
		{"http://[::ffff:7f00:1]:8080/", false, false},
		{"http://[2606:4700::1111]/hooks", false, true},
	}
	for _, tt := range tests {
		err := checkURL(context.Background(), r, tt.allowPrivate, tt.url)
		if (err == nil) != tt.ok {
			t.Errorf("checkURL(%q, allowPrivate=%v): got %v, want ok=%v", tt.url, tt.allowPrivate, err, tt.ok)
			continue
		}
		if err != nil {
			var fe *amigate.FieldError
			if !errors.As(err, &fe) || fe.Field != "url" || !errors.Is(err, amigate.ErrInvalid) {
				t.Errorf("checkURL(%q): got %#v, want a FieldError on url", tt.url, err)
			}
		}
	}
}

// TestDialTimeRefusal sends through the real guarded transport to a
// loopback receiver: the connection must be refused after DNS, which is
// what protects against a name rebound to an internal address.
func TestDialTimeRefusal(t *testing.T) {
	hit := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit = true }))
	defer srv.Close()
	tr := newTransport(false, 4)
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodPost, srv.URL, nil)
	_, err := tr.RoundTrip(req)
	if !errors.Is(err, ErrAddressRefused) {
		t.Fatalf("got %v, want ErrAddressRefused", err)
	}
	if hit {
		t.Fatal("receiver was reached")
	}
	open := newTransport(true, 4)
	defer open.CloseIdleConnections()
	req, _ = http.NewRequest(http.MethodPost, srv.URL, nil)
	resp, err := open.RoundTrip(req)
	if err != nil {
		t.Fatalf("allowPrivate: %v", err)
	}
	resp.Body.Close()
}

// TestCheckConfigURL: a configured URL the guard would refuse at every
// delivery is an error naming AMIGATE_WEBHOOK_ALLOW_PRIVATE, without its
// credentials; a host that does not resolve at start-up is not.
func TestCheckConfigURL(t *testing.T) {
	r := fakeResolver{"crm.example": {"93.184.216.34"}, "intranet.example": {"10.0.0.5"}}
	tests := []struct {
		url          string
		allowPrivate bool
		ok           bool
	}{
		{"https://crm.example/hooks", false, true},
		{"https://nxdomain.example/hooks", false, true},
		{"https://intranet.example/hooks", false, false},
		{"https://intranet.example/hooks", true, true},
		{"http://u:s3cret@127.0.0.1:9000/", false, false},
		{"http://[::127.0.0.1]/", false, false},
		{"ftp://crm.example/", true, false},
	}
	for _, tt := range tests {
		err := CheckConfigURL(context.Background(), r, tt.allowPrivate, tt.url)
		if (err == nil) != tt.ok {
			t.Errorf("CheckConfigURL(%q, %v): got %v, want ok=%v", tt.url, tt.allowPrivate, err, tt.ok)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("CheckConfigURL(%q): %v shows the password", tt.url, err)
		}
		if err != nil && !tt.allowPrivate && !strings.Contains(err.Error(), "AMIGATE_WEBHOOK_ALLOW_PRIVATE=true") {
			t.Errorf("CheckConfigURL(%q): %v does not name AMIGATE_WEBHOOK_ALLOW_PRIVATE", tt.url, err)
		}
	}
}
