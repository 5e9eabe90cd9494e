package tests

import (
	"net/http"
	"strings"
	"testing"
)

// agentLeg returns the name of the ;1 half of the call's agent channel
// for extension ext: what a phone hanging up ends.
func (e *env) agentLeg(t *testing.T, id, ext string) string {
	t.Helper()
	for _, ch := range e.api.getCall(id).Channels {
		if ch.Role == "agent" && strings.HasPrefix(ch.Name, "Local/"+ext+"@phones-") && strings.HasSuffix(ch.Name, ";1") {
			return ch.Name
		}
	}
	t.Fatalf("call %s has no agent channel of %s", id, ext)
	return ""
}

// TestAMIReconnect is issue scenario 7: the AMI connection drops during
// two answered calls and stays down for a while (/readyz 503); call A ends
// meanwhile, unseen. When the PBX takes connections again the service logs
// back in (/readyz 200); B's end, after the reconnect, arrives as usual,
// and the resync (CoreShowChannels) reports A's end. No step is sent twice
// under different ids.
func TestAMIReconnect(t *testing.T) {
	t.Parallel()
	e := start(t, office())
	a := e.api.dial(map[string]any{"from": "101", "to": customerRaw})
	b := e.api.dial(map[string]any{"from": "103", "to": customerRaw})
	e.rcv.waitEvent(wait, a.ID, "call.answered")
	e.rcv.waitEvent(wait, b.ID, "call.answered")
	legA := e.agentLeg(t, a.ID, "101")

	e.pbx.gate.setShut(true)
	e.pbx.DropConnections()
	eventually(t, wait, "/readyz 503 while the PBX is unreachable", func() bool { return e.api.readyz() == http.StatusServiceUnavailable })
	e.pbx.hangupChannel(t, legA) // A ends while the service cannot see it
	e.pbx.gate.setShut(false)
	e.api.waitReady()

	if got := e.api.getCall(b.ID); got.State != "answered" {
		t.Errorf("call B after the reconnect: state %q, want answered", got.State)
	}
	e.hangup(t, b.ID)
	evsB := e.rcv.waitEnded(wait, b.ID)
	checkSteps(t, b.ID, evsB, step{"call.ringing", "103"}, step{"call.answered", "103"}, step{"call.ended", ""})
	if end := last(t, evsB); end.Call.Disposition != "answered" {
		t.Errorf("call B ended: disposition %q, want answered", end.Call.Disposition)
	}

	t.Run("call ended during the outage", func(t *testing.T) {
		e := &env{pbx: e.pbx, rcv: e.rcv.with(t), svc: e.svc, api: e.api.with(t)}
		evsA := e.rcv.waitEnded(wait, a.ID)
		checkSteps(t, a.ID, evsA, step{"call.ringing", "101"}, step{"call.answered", "101"}, step{"call.ended", ""})
		if got := e.api.getCall(a.ID); got.State != "ended" {
			t.Errorf("call A after the resync: state %q, want ended", got.State)
		}
	})
	checkNoForeignDuplicates(t, e.rcv.deliveries())
}
