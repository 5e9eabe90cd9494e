package pbxsim

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/amigate/amigate/internal/ami"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestGoldenLists pins the exact wire form of the list and info actions on
// an idle PBX with a fixed clock; regenerate with -update after reviewing
// the change against testdata/ami.
func TestGoldenLists(t *testing.T) {
	at := time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC)
	p := New(Config{Office: DefaultOffice(), Now: func() time.Time { return at }})
	t.Cleanup(func() { p.Close() })
	addr, err := p.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := login(t, addr, "crm", "crmsecret", "off")
	actions := []*ami.Action{
		ami.NewAction("QueueSummary"),
		ami.NewAction("QueueStatus").Add("Queue", "support"),
		ami.NewAction("CoreShowChannels"),
		ami.NewAction("Status"),
		ami.NewAction("Command").Add("Command", "core show uptime"),
		ami.NewAction("Getvar").Add("Variable", "NOPE"),
	}
	for i, a := range actions {
		c.response(a, "g"+string(rune('0'+i)))
	}
	c.sync()
	var got bytes.Buffer
	for _, m := range c.messages() {
		got.WriteString(m.String())
	}
	path := filepath.Join("testdata", "lists.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("list actions changed; got:\n%s", got.String())
	}
}
