package calls

import (
	"regexp"
	"testing"
)

func TestAgentExt(t *testing.T) {
	tests := []struct {
		template string
		pattern  string
		channel  string
		want     string
	}{
		{"", "", "PJSIP/101-0000001a", "101"},
		{"", "", "PJSIP/trunk-0000001a", ""},
		{"", "", "SIP/101-0000001a", ""},
		{"", "", "PJSIP/1-0000001a", ""}, // too short for the default pattern
		{"SIP/{ext}", "", "SIP/101-00000793", "101"},
		{"sip/{ext}", "", "SIP/101-00000793", "101"},
		{"Local/{ext}@phones", "", "Local/101@phones-0000000c;1", "101"},
		{"Local/{ext}@phones", "", "Local/101@phones-0000000c;2", "101"},
		{"Local/{ext}@phones", "", "Local/79001234567@pstn-0000000d;1", ""},
		{"Local/{ext}@phones", "", "Local/5550101@from-trunk-0000000f;2", ""},
		{"Local/{ext}@phones", "", "PJSIP/201-00000004", ""},
		{"Local/{ext}@phones, PJSIP/{ext}", "", "PJSIP/201-00000004", "201"},
		{"PJSIP/{ext}", `^[0-9]{3,4}$`, "PJSIP/12345-00000004", ""},
		{"PJSIP/{ext}", `^[a-z]+[0-9]+$`, "PJSIP/anna42-00000004", "anna42"},
		{"nothing", "", "PJSIP/101-0000001a", ""},
	}
	for _, tt := range tests {
		cfg := Config{AgentChannel: tt.template}
		if tt.pattern != "" {
			cfg.ExtensionPattern = regexp.MustCompile(tt.pattern)
		}
		m := newMatcher(cfg.withDefaults())
		if got := m.agentExt(tt.channel); got != tt.want {
			t.Errorf("agentExt(%q) with %q = %q, want %q", tt.channel, tt.template, got, tt.want)
		}
	}
}

func TestDefaults(t *testing.T) {
	c := Config{}.withDefaults()
	if c.AgentChannel != "PJSIP/{ext}" || c.Retention != DefaultRetention || c.MaxEnded != DefaultMaxEnded ||
		len(c.TrunkContexts) != 3 || c.Now == nil || c.ExtensionPattern == nil {
		t.Errorf("defaults = %+v", c)
	}
}
