package presence

import (
	"strings"
	"testing"
)

// fakeDevices recognises the device templates the tests use; the product's
// one definition is wired in cmd/api.
type fakeDevices struct{ templates []string }

func testDevices(t testing.TB, templates []string) Devices {
	return fakeDevices{templates}
}

func (d fakeDevices) Extension(name string) (string, bool) {
	for _, tmpl := range d.templates {
		prefix, suffix, _ := strings.Cut(tmpl, "{ext}")
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok {
			continue
		}
		if i := strings.LastIndexByte(rest, ';'); i > 0 {
			rest = rest[:i]
		}
		ctx, _, _ := strings.Cut(suffix, "/") // "@from-queue/n": channels and devices omit "/n"
		for _, s := range []string{suffix, ctx} {
			if s == "" {
				if i := strings.LastIndexByte(rest, '-'); i > 0 {
					rest = rest[:i]
				}
				if digits(rest) {
					return rest, true
				}
				continue
			}
			if i := strings.Index(rest, s); i > 0 && digits(rest[:i]) {
				after := rest[i+len(s):]
				if after == "" || after[0] == '-' || s == suffix {
					return rest[:i], true
				}
			}
		}
	}
	return "", false
}

func (d fakeDevices) Member(iface, name string) (string, bool) {
	if ext, ok := d.Extension(iface); ok {
		return ext, true
	}
	return d.Extension(name)
}

func digits(s string) bool {
	if len(s) < 2 || len(s) > 15 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func TestFakeDevices(t *testing.T) {
	d := fakeDevices{office}
	for name, want := range map[string]string{
		"Local/101@phones": "101", "Local/101@phones-0000001c;1": "101", "Local/101@from-queue/n": "101",
		"Local/101@from-queue": "101", "Local/101@from-queue-00000003;2": "101", "PJSIP/203": "203",
		"PJSIP/203-00000003": "203", "PJSIP/trunk": "", "Queue:support_pause_Local/101@phones": "",
		"Local/5550300@from-trunk": "", "Local/79001234567@pstn-0000000a;1": "",
	} {
		if got, _ := d.Extension(name); got != want {
			t.Errorf("Extension(%q) = %q, want %q", name, got, want)
		}
	}
}
