package calls

import (
	"testing"

	"github.com/amigate/amigate"
)

func TestLifecycleRefuse(t *testing.T) {
	type step struct{ typ, agent, want string }
	const (
		ring  = amigate.EventCallRinging
		ans   = amigate.EventCallAnswered
		xfer  = amigate.EventCallTransferred
		ended = amigate.EventCallEnded
	)
	tests := []struct {
		name  string
		steps []step
	}{
		{"a plain call", []step{{ring, "101", ""}, {ring, "102", ""}, {ans, "101", ""}, {ended, "", ""}}},
		{"ringing after the agent's answer", []step{{ring, "101", ""}, {ans, "101", ""}, {ring, "101", "call.ringing after the agent's call.answered"}}},
		{"another agent rings after the answer (attended transfer)", []step{{ans, "101", ""}, {ring, "102", ""}, {ans, "102", ""}, {xfer, "", ""}}},
		{"the call comes back after a transfer", []step{{ans, "101", ""}, {xfer, "", ""}, {ans, "102", ""}, {ring, "101", ""}}},
		{"nothing after call.ended", []step{{ring, "101", ""}, {ended, "", ""}, {ring, "102", "after call.ended"}, {ans, "101", "after call.ended"}, {ended, "", "after call.ended"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &call{}
			for i, s := range tt.steps {
				if got := c.refuse(s.typ, s.agent); got != s.want {
					t.Errorf("step %d %s agent=%s: refuse = %q, want %q", i, s.typ, s.agent, got, s.want)
				}
			}
		})
	}
}
