package amigate

import "testing"

func TestWants(t *testing.T) {
	for _, tt := range []struct {
		filter []string
		typ    string
		want   bool
	}{
		{nil, EventCallRinging, true},
		{nil, EventAgentStateChanged, false},
		{[]string{"*"}, EventCallEnded, true},
		{[]string{"*"}, EventAgentPaused, false},
		{[]string{"*", EventAgentPaused}, EventAgentPaused, true},
		{[]string{EventCallEnded}, EventCallRinging, false},
		{[]string{EventAgentStateChanged}, EventAgentStateChanged, true},
		{[]string{EventAgentStateChanged}, EventCallEnded, false},
	} {
		if got := Wants(tt.filter, tt.typ); got != tt.want {
			t.Errorf("Wants(%v, %s) = %v, want %v", tt.filter, tt.typ, got, tt.want)
		}
	}
}
