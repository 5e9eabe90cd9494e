package calls

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/control/dialrules"
)

// TestRecordedCustomersE164 replays every recorded call with the home
// region of the office (RU): each customer number Asterisk reported gets
// the E.164 a CRM looks the card up by, and numbers that are no customer
// number (an extension) get none.
func TestRecordedCustomersE164(t *testing.T) {
	numbers, err := dialrules.Compile(dialrules.Config{Region: "RU"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"79005550001": "+79005550001", // the trunk's callers, as recorded
		"79005550002": "+79005550002",
		"79005550003": "+79005550003",
		"79001234567": "+79001234567",
		"89001234567": "+79001234567",
		"79009876543": "+79009876543",
		"79001237777": "+79001237777",
		"000123":      "", // a congested test number: no full number
		"203":         "", // an extension
	}
	paths, err := filepath.Glob(filepath.Join(transcripts, "*.in"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	seen := 0
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".in")
		cfg := office
		cfg.Numbers = numbers
		tr := NewTracker(cfg)
		for _, e := range feed(tr, readTranscript(t, name)) {
			c := e.Call.Customer
			if c == nil || c.Number == "" {
				continue
			}
			w, known := want[c.Number]
			if !known {
				t.Errorf("%s: customer %q (e164 %q) is not in the table: add it", name, c.Number, c.E164)
				continue
			}
			seen++
			if c.E164 != w {
				t.Errorf("%s: %s: customer %q e164 = %q, want %q", name, e.Type, c.Number, c.E164, w)
			}
			if got, ok := tr.Get(e.Call.ID); ok && got.Customer != nil && got.Customer.Number == c.Number && got.Customer.E164 != w {
				t.Errorf("%s: Get(%s) e164 = %q, want %q", name, e.Call.ID, got.Customer.E164, w)
			}
		}
	}
	if seen == 0 {
		t.Fatal("no recorded customer number was checked")
	}
}

// TestTransferToNumberE164: a blind transfer to an outside number names
// that number as dialled (to_number) and, read in the home region, in
// E.164 (to_e164); with no rules to read it by there is no to_e164.
func TestTransferToNumberE164(t *testing.T) {
	numbers, err := dialrules.Compile(dialrules.Config{Region: "RU"})
	if err != nil {
		t.Fatal(err)
	}
	direct := func() *script {
		return newScript().
			newchan("PJSIP/trunk-00000001", "6.1", "6.1", "from-trunk", "5550101", "79001112233").
			newchan("PJSIP/101-00000002", "6.2", "6.1", "from-internal", "s", "101").
			dial("6.1", "6.2", "101").ringing("6.2").dialEnd("6.2", "ANSWER").
			enter("b", "6.2").enter("b", "6.1").
			add("BlindTransfer", "Result", "Success", "TransfererUniqueid", "6.2", "TransfererChannel", "PJSIP/101-00000002",
				"TransfereeUniqueid", "6.1", "Extension", "89005556677", "Context", "from-internal").
			leave("b", "6.1").hangup("6.2", 16).
			newchan("PJSIP/trunk-00000003", "6.3", "6.1", "from-internal", "89005556677", "79001112233").
			dial("6.1", "6.3", "89005556677").
			hangup("6.3", 16).hangup("6.1", 16)
	}
	// As the simulated PBX dials it: a Local channel named after the
	// number, whose digits fit the default extension pattern too.
	local := func() *script {
		return newScript().
			newchan("PJSIP/trunk-00000001", "6.1", "6.1", "from-trunk", "5550101", "79001112233").
			newchan("PJSIP/101-00000002", "6.2", "6.1", "from-internal", "s", "101").
			dial("6.1", "6.2", "101").ringing("6.2").dialEnd("6.2", "ANSWER").
			enter("b", "6.2").enter("b", "6.1").
			add("BlindTransfer", "Result", "Success", "TransfererUniqueid", "6.2", "TransfererChannel", "PJSIP/101-00000002",
				"TransfereeUniqueid", "6.1", "Extension", "89005556677", "Context", "from-internal").
			leave("b", "6.1").hangup("6.2", 16).
			newchan("Local/89005556677@pstn-00000003;1", "6.3", "6.1", "pstn", "89005556677", "79001112233").
			dial("6.1", "6.3", "89005556677").
			hangup("6.3", 16).hangup("6.1", 16)
	}
	for _, tt := range []struct {
		name    string
		s       func() *script
		numbers Numbers
		want    string
	}{
		{"RU", direct, numbers, "+79005556677"},
		{"no rules", direct, nil, ""},
		{"RU, a Local channel named after the number", local, numbers, "+79005556677"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Numbers: tt.numbers}
			var x *amigate.Transfer
			for _, e := range feed(NewTracker(cfg), tt.s().out) {
				if e.Type == amigate.EventCallTransferred {
					x = e.Transfer
				}
			}
			if x == nil {
				t.Fatal("no call.transferred")
			}
			if x.ToNumber != "89005556677" || x.ToE164 != tt.want {
				t.Errorf("transfer %+v, want to_number 89005556677, to_e164 %q", x, tt.want)
			}
		})
	}
}
