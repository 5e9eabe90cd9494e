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

// TestListByCustomer finds a call by its customer in any format.
func TestListByCustomer(t *testing.T) {
	numbers, err := dialrules.Compile(dialrules.Config{Region: "RU"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := office
	cfg.Numbers = numbers
	tr := NewTracker(cfg)
	feed(tr, newScript().newchan("PJSIP/trunk-00000001", "1.1", "1.1", "from-trunk", "5550101", "79005550001").out)
	if got := tr.List(amigate.CallFilter{}); len(got) != 1 || got[0].Customer == nil || got[0].Customer.E164 != "+79005550001" {
		t.Fatalf("List() = %+v, want the trunk call with e164 +79005550001", got)
	}
	for _, q := range []string{"+7 (900) 555-00-01", "8 900 555 00 01", "9005550001", "79005550001"} {
		if got := tr.List(amigate.CallFilter{Customer: q}); len(got) != 1 {
			t.Errorf("List(customer %q) = %d calls, want 1", q, len(got))
		}
	}
	for _, q := range []string{"+7 900 555 00 02", "5550101", "101"} {
		if got := tr.List(amigate.CallFilter{Customer: q}); len(got) != 0 {
			t.Errorf("List(customer %q) = %d calls, want none", q, len(got))
		}
	}
}
