package tests

import (
	"testing"
	"time"

	"github.com/amigate/amigate/internal/pbxsim"
)

// caller is the customer of the incoming-call tests.
var caller = pbxsim.Incoming{From: "79005550001", Name: "Ivan Petrov"}

// incomingCall places a customer call on did and returns the id the
// service gave it, from its first webhook (matched by Linkedid).
func (e *env) incomingCall(t *testing.T, did string, hangupAfter time.Duration) string {
	t.Helper()
	in := caller
	in.DID, in.HangupAfter = did, hangupAfter
	return e.callByLinkedid(t, e.pbx.incoming(t, in))
}

// checkInbound asserts every event describes the inbound call from the
// test's caller on did (and queue, when set).
func checkInbound(t *testing.T, evs []event, did, queue string) {
	t.Helper()
	checkCustomer(t, evs, caller.From)
	for _, e := range evs {
		c := e.Call
		if c.Direction != "inbound" || c.DID != did || c.Queue != queue || c.Customer == nil || c.Customer.Name != caller.Name {
			t.Errorf("%s seq %d: direction %q did %q queue %q customer %+v, want inbound on %s queue %q from %q",
				e.Type, e.Sequence, c.Direction, c.DID, c.Queue, c.Customer, did, queue, caller.Name)
		}
	}
}

// TestQueueRingAll is issue scenario 2: a customer calls DID 5550100,
// queue support rings both members (101 and 102) at once: one call.ringing
// per agent, then call.answered by the one who answered first, and
// call.ended when that agent hangs up.
func TestQueueRingAll(t *testing.T) {
	t.Parallel()
	o := office()
	o.AgentTalk = 200 * time.Millisecond // the agent ends the conversation
	e := start(t, o)
	id := e.incomingCall(t, "5550100", 0)

	answered := e.rcv.waitEvent(wait, id, "call.answered")
	who := ext(answered.Agent)
	if who != "101" && who != "102" {
		t.Fatalf("answered by %q, want 101 or 102", who)
	}
	evs := e.rcv.waitEnded(wait, id)
	checkSteps(t, id, evs,
		step{"call.ringing", "101"}, step{"call.ringing", "102"}, step{"call.answered", who}, step{"call.ended", ""})
	checkInbound(t, evs, "5550100", "support")
	end := last(t, evs)
	if end.Call.Disposition != "answered" || end.Call.Agent == nil || end.Call.Agent.Extension != who {
		t.Errorf("call.ended: disposition %q agent %+v, want answered by %s", end.Call.Disposition, end.Call.Agent, who)
	}
}

// TestQueueAbandon is issue scenario 5: DID 5550103 puts the caller in
// queue nobody, whose only member (199) never answers; the caller hangs up
// while waiting, once 199 rings (a hang-up at a fixed time could come
// before the ring on a busy machine): call.ended abandoned.
func TestQueueAbandon(t *testing.T) {
	t.Parallel()
	// One ring attempt, as recorded (queue_abandon.txt): the caller gives
	// up before the member's ring times out (a minute in office()). A
	// second attempt would be a second call.ringing, on a new channel.
	e := start(t, office())
	in := caller
	in.DID = "5550103"
	linkedid := e.pbx.incoming(t, in)
	id := e.callByLinkedid(t, linkedid)
	e.rcv.waitEvent(wait, id, "call.ringing")
	if err := e.pbx.HangupCall(linkedid); err != nil {
		t.Fatalf("customer hangs up: %v", err)
	}
	evs := e.rcv.waitEnded(wait, id)
	checkSteps(t, id, evs, step{"call.ringing", "199"}, step{"call.ended", ""})
	checkInbound(t, evs, "5550103", "nobody")
	if end := last(t, evs); end.Call.Disposition != "abandoned" || end.Call.AnsweredAt != nil {
		t.Errorf("call.ended: disposition %q answered_at %v, want abandoned, never answered", end.Call.Disposition, end.Call.AnsweredAt)
	}
}
