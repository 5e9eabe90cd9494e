package tests

import (
	"net/http"
	"strings"
	"testing"
)

// TestBlindTransfer is issue scenario 3 (blind): agent 101 answers a
// customer on DID 5550101; POST transfer mode blind to 102 moves the
// customer: the call keeps its id, reports call.transferred 101 → 102,
// rings and is answered by 102, and ends when the API hangs it up. Both
// configured methods: AMI BlindTransfer on the agent's bridged channel
// (the default), and AMI Redirect of the customer's channel.
func TestBlindTransfer(t *testing.T) {
	t.Parallel()
	for _, method := range []string{"blindtransfer", "redirect"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			e := start(t, office(), "AMIGATE_BLIND_TRANSFER="+method)
			id := e.incomingCall(t, "5550101", 0)
			e.rcv.waitEvent(wait, id, "call.answered")

			e.transfer(t, id, "blind")
			e.rcv.waitEvent(wait, id, "call.transferred")
			answered := func(ds []delivery) bool {
				for _, d := range ds {
					if d.Event.Call.ID == id && d.Event.Type == "call.answered" && ext(d.Event.Agent) == "102" {
						return true
					}
				}
				return false
			}
			e.rcv.wait(wait, "call.answered by 102", answered)
			e.hangup(t, id)

			evs := e.rcv.waitEnded(wait, id)
			checkSteps(t, id, evs,
				step{"call.ringing", "101"}, step{"call.answered", "101"},
				step{"call.transferred", ""}, step{"call.ringing", "102"}, step{"call.answered", "102"},
				step{"call.ended", ""})
			checkInbound(t, evs, "5550101", "")
			checkTransfer(t, evs, transfer{FromExtension: "101", ToExtension: "102", Mode: "blind"})
			if end := last(t, evs); end.Call.Disposition != "answered" || end.Call.Agent == nil || end.Call.Agent.Extension != "102" {
				t.Errorf("call.ended: disposition %q agent %+v, want answered, agent 102", end.Call.Disposition, end.Call.Agent)
			}
		})
	}
}

// TestAttendedTransfer is issue scenario 3 (attended): DID 5550111 has the
// transfer feature. POST transfer mode attended to 102 (AMI Atxfer) puts
// the customer on hold while 101 consults 102, which rings (call.ringing
// 102) and answers; agent 101 then hangs up, which completes the transfer
// (call.answered by 102, call.transferred 101 → 102, attended), as in
// attended_transfer_atxfer.txt.
func TestAttendedTransfer(t *testing.T) {
	t.Parallel()
	e := start(t, office())
	id := e.incomingCall(t, "5550111", 0)
	e.rcv.waitEvent(wait, id, "call.answered")

	e.transfer(t, id, "attended")
	// 102 answers the consultation call.
	var transferer string
	eventually(t, wait, "consultation answered by 102", func() bool {
		c := e.api.getCall(id)
		up := false
		for _, ch := range c.Channels {
			if strings.HasPrefix(ch.Name, "Local/102@phones-") && ch.State == "Up" {
				up = true
			}
			if strings.HasPrefix(ch.Name, "Local/101@phones-") && strings.HasSuffix(ch.Name, ";1") && ch.Role == "agent" {
				transferer = ch.Name
			}
		}
		return up && transferer != ""
	})
	if c := e.api.getCall(id); c.State != "on_hold" {
		t.Errorf("during the consultation: state %q, want on_hold", c.State)
	}
	// Agent 101 puts the handset down: the transfer completes.
	e.pbx.hangupChannel(t, transferer)
	e.rcv.waitEvent(wait, id, "call.transferred")
	eventually(t, wait, "customer talking to 102", func() bool {
		c := e.api.getCall(id)
		return c.State == "answered" && c.Agent != nil && c.Agent.Extension == "102"
	})
	e.hangup(t, id)

	evs := e.rcv.waitEnded(wait, id)
	checkSteps(t, id, evs,
		step{"call.ringing", "101"}, step{"call.answered", "101"}, step{"call.ringing", "102"},
		// The customer is bridged with 102 (BridgeEnter) before Asterisk
		// reports the AttendedTransfer: answered by 102 comes first.
		step{"call.answered", "102"}, step{"call.transferred", ""}, step{"call.ended", ""})
	checkInbound(t, evs, "5550111", "")
	checkTransfer(t, evs, transfer{FromExtension: "101", ToExtension: "102", Mode: "attended"})
	if end := last(t, evs); end.Call.Disposition != "answered" || end.Call.Agent == nil || end.Call.Agent.Extension != "102" {
		t.Errorf("call.ended: disposition %q agent %+v, want answered, agent 102", end.Call.Disposition, end.Call.Agent)
	}
}

// transfer is POST /v1/calls/{id}/transfer to 102, which must answer 202.
func (e *env) transfer(t *testing.T, id, mode string) {
	t.Helper()
	r := e.api.do(http.MethodPost, "/v1/calls/"+id+"/transfer", map[string]any{"to": "102", "mode": mode})
	if r.Status != http.StatusAccepted {
		t.Fatalf("transfer %s: %d %s, want 202", mode, r.Status, r.Body)
	}
}

// hangup is POST /v1/calls/{id}/hangup, which must answer 202.
func (e *env) hangup(t *testing.T, id string) {
	t.Helper()
	if r := e.api.do(http.MethodPost, "/v1/calls/"+id+"/hangup", nil); r.Status != http.StatusAccepted {
		t.Fatalf("hangup: %d %s, want 202", r.Status, r.Body)
	}
}

// checkTransfer asserts the call.transferred event's transfer.
func checkTransfer(t *testing.T, evs []event, want transfer) {
	t.Helper()
	for _, e := range evs {
		if e.Type == "call.transferred" && (e.Transfer == nil || *e.Transfer != want) {
			t.Errorf("call.transferred: transfer %+v, want %+v", e.Transfer, want)
		}
	}
}
