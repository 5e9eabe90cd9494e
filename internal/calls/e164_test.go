package calls

import (
	"path/filepath"
	"strings"
	"testing"

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
