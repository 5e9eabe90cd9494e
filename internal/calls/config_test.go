package calls

import (
	"testing"

	"github.com/amigate/amigate/internal/agent"
)

// The correlator recognises agents by package agent's rule (tested there);
// here, that it uses the configured devices.
func TestAgentExt(t *testing.T) {
	tests := []struct {
		templates []string
		channel   string
		want      string
	}{
		{nil, "PJSIP/101-0000001a", "101"},
		{nil, "PJSIP/trunk-0000001a", ""},
		{[]string{"Local/{ext}@phones", "PJSIP/{ext}"}, "PJSIP/201-00000004", "201"},
		{[]string{"Local/{ext}@phones", "PJSIP/{ext}"}, "Local/101@phones-0000000c;2", "101"},
		{[]string{"Local/{ext}@phones"}, "Local/79001234567@pstn-0000000d;1", ""},
	}
	for _, tt := range tests {
		m := newMatcher(Config{Devices: agent.MustNew(tt.templates, "")}.withDefaults())
		if got := m.agentExt(tt.channel); got != tt.want {
			t.Errorf("agentExt(%q) with %q = %q, want %q", tt.channel, tt.templates, got, tt.want)
		}
	}
}

func TestDefaults(t *testing.T) {
	c := Config{}.withDefaults()
	if c.Devices == nil || c.Retention != DefaultRetention || c.MaxEnded != DefaultMaxEnded ||
		len(c.TrunkContexts) != 3 || c.Now == nil {
		t.Errorf("defaults = %+v", c)
	}
}
