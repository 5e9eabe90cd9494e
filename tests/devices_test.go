package tests

import (
	"testing"
	"time"

	"github.com/amigate/amigate/internal/pbxsim"
)

// mixedOffice is the office with a FreePBX-style queue besides the plain
// one: fpq's members are Local/10X@from-queue/n, whose other half dials
// the phone (Local/10X@phones), so the agent's device is two bridges away
// from the customer, as in freepbx_queue.txt.
func mixedOffice() pbxsim.Office {
	o := office()
	o.AgentTalk = 300 * time.Millisecond // the agent ends the conversation
	o.Queues = append(o.Queues, pbxsim.Queue{Name: "fpq", Timeout: 150 * time.Millisecond, Retry: 50 * time.Millisecond,
		Members: []pbxsim.Member{{Exten: "101", Name: "Agent 101", FreePBX: true}, {Exten: "102", Name: "Agent 102", FreePBX: true}}})
	o.DIDs = append(o.DIDs, pbxsim.DID{Exten: "5550300", Queue: "fpq"})
	return o
}

// TestMixedAgentDevices: one configuration lists every kind of device of
// the office (the SIP phones first, as an office that clicks to call on
// them would), and calls through Local queue members and through Local
// phones on one simulated PBX each give one call, one call.ringing per
// agent rung and the right disposition. The from-queue members are in no
// template: they are recognised through the Local chain to the phone.
func TestMixedAgentDevices(t *testing.T) {
	t.Parallel()
	e := start(t, mixedOffice(), "AMIGATE_DIAL_AGENT_CHANNEL=PJSIP/{ext},Local/{ext}@phones")

	fpq := e.incomingCall(t, "5550300", 0)
	direct := e.incomingCall(t, "5550101", 0)

	answered := e.rcv.waitEvent(wait, fpq, "call.answered")
	who := ext(answered.Agent)
	if who != "101" && who != "102" {
		t.Fatalf("fpq answered by %q, want 101 or 102", who)
	}
	evs := e.rcv.waitEnded(wait, fpq)
	checkSteps(t, fpq, evs, step{"call.ringing", "101"}, step{"call.ringing", "102"}, step{"call.answered", who}, step{"call.ended", ""})
	checkInbound(t, evs, "5550300", "fpq")
	if end := last(t, evs); end.Call.Disposition != "answered" || end.Call.AnsweredAt == nil || end.Call.Agent == nil || end.Call.Agent.Extension != who {
		t.Errorf("fpq call.ended: disposition %q answered at %v agent %+v, want answered by %s", end.Call.Disposition, end.Call.AnsweredAt, end.Call.Agent, who)
	}

	evs = e.rcv.waitEnded(wait, direct)
	checkSteps(t, direct, evs, step{"call.ringing", "101"}, step{"call.answered", "101"}, step{"call.ended", ""})
	if end := last(t, evs); end.Call.Disposition != "answered" {
		t.Errorf("direct call.ended: disposition %q, want answered", end.Call.Disposition)
	}
}
