package agent

import "testing"

func TestLocalHalf(t *testing.T) {
	for _, tt := range []struct {
		name  string
		local bool
		half  int
	}{
		{"Local/101@phones-0000000c;1", true, 1},
		{"Local/101@phones-0000000c;2", true, 2},
		{"LOCAL/101@phones-0000000c;2", true, 2}, // the technology in any case, as Extension reads it
		{"local/5550300@from-trunk-00000001;1", true, 1},
		{"Local/101@from-queue/n", true, 0}, // an interface, no half
		{"Local/", false, 0},
		{"PJSIP/101-0000001a", false, 0},
		{"PJSIP/trunk-00000004;2", false, 0},
		{"Localx/101@phones;1", false, 0},
		{"", false, 0},
	} {
		if got := IsLocal(tt.name); got != tt.local {
			t.Errorf("IsLocal(%q) = %v, want %v", tt.name, got, tt.local)
		}
		if got := LocalHalf(tt.name); got != tt.half {
			t.Errorf("LocalHalf(%q) = %d, want %d", tt.name, got, tt.half)
		}
	}
}
