package tests

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestClickToCall is issue scenario 1: POST /v1/calls rings agent 101,
// then dials the customer; the customer hangs up after talking (its pstn
// leg puts the receiver down, as in click_to_call.txt). The webhooks carry
// the API's call id from the first to the last; GET /v1/calls/{id} shows
// the call while it is up and after it ended.
func TestClickToCall(t *testing.T) {
	t.Parallel()
	e := start(t, office())

	c := e.api.dial(map[string]any{"from": "101", "to": customerRaw, "metadata": map[string]any{"deal": 42}})
	if c.State != "dialing" || c.Direction != "outbound" || c.Agent == nil || c.Agent.Extension != "101" ||
		c.Customer == nil || c.Customer.Number != customerNum {
		t.Errorf("202 body: %+v, want an outbound call dialing from 101 to %s", c, customerNum)
	}

	e.rcv.waitEvent(wait, c.ID, "call.answered")
	during := e.api.getCall(c.ID)
	if during.State != "answered" || during.AnsweredAt == nil || during.EndedAt != nil {
		t.Errorf("GET during the call: state %q answered_at %v ended_at %v, want answered, set, unset",
			during.State, during.AnsweredAt, during.EndedAt)
	}
	if string(during.Metadata) != `{"deal":42}` {
		t.Errorf("GET during the call: metadata %s, want the request's", during.Metadata)
	}
	customerLeg := ""
	for _, ch := range during.Channels {
		if ch.Role == "customer" && strings.HasPrefix(ch.Name, "Local/"+customerNum+"@pstn-") && strings.HasSuffix(ch.Name, ";2") {
			customerLeg = ch.Name
		}
	}
	if customerLeg == "" {
		t.Fatalf("GET during the call: no customer channel Local/%s@pstn-…;2 in %+v", customerNum, during.Channels)
	}
	e.pbx.hangupChannel(t, customerLeg)

	evs := e.rcv.waitEnded(wait, c.ID)
	checkSteps(t, c.ID, evs,
		step{"call.ringing", "101"}, step{"call.answered", "101"}, step{"call.ended", ""})
	checkCustomer(t, evs, customerNum)
	end := last(t, evs)
	if end.Call.Disposition != "answered" || end.Call.Agent == nil || end.Call.Agent.Extension != "101" {
		t.Errorf("call.ended: disposition %q agent %+v, want answered by 101", end.Call.Disposition, end.Call.Agent)
	}
	if end.Call.HangupCause == nil || *end.Call.HangupCause != 16 {
		t.Errorf("call.ended: hangup_cause %v, want 16 (normal clearing)", end.Call.HangupCause)
	}
	after := e.api.getCall(c.ID)
	if after.State != "ended" || after.Disposition != "answered" || after.EndedAt == nil {
		t.Errorf("GET after the call: state %q disposition %q ended_at %v, want ended, answered, set",
			after.State, after.Disposition, after.EndedAt)
	}
}

// TestClickToCallUnanswered is issue scenario 4: the agent's phone is busy
// (198) or never answers (199, timeout_seconds 5, the shortest allowed). The Originate fails
// (OriginateResponse Failure, Reason 5 or 3): the call ends with that
// disposition and was never answered.
func TestClickToCallUnanswered(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, from  string
		timeout     int
		disposition string
		steps       []step
	}{
		{"busy", "198", 0, "busy", []step{{"call.ended", ""}}},
		// 5 s is the shortest ring the API accepts.
		{"no answer", "199", 5, "no_answer", []step{{"call.ringing", "199"}, {"call.ended", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := office()
			o.NoAnswerRing = time.Minute // the request's timeout ends the ringing
			e := start(t, o)
			body := map[string]any{"from": tt.from, "to": customerRaw}
			if tt.timeout > 0 {
				body["timeout_seconds"] = tt.timeout
			}
			c := e.api.dial(body)
			evs := e.rcv.waitEnded(wait, c.ID)
			checkSteps(t, c.ID, evs, tt.steps...)
			end := last(t, evs)
			if end.Call.Disposition != tt.disposition || end.Call.AnsweredAt != nil {
				t.Errorf("call.ended: disposition %q answered_at %v, want %s, never answered", end.Call.Disposition, end.Call.AnsweredAt, tt.disposition)
			}
			if got := e.api.getCall(c.ID); got.State != "ended" || got.Disposition != tt.disposition {
				t.Errorf("GET: state %q disposition %q, want ended %s", got.State, got.Disposition, tt.disposition)
			}
		})
	}
}

// TestHangupAnswered is issue scenario 6: POST /v1/calls/{id}/hangup of an
// answered call ends it (202); hanging up an ended call is 409.
func TestHangupAnswered(t *testing.T) {
	t.Parallel()
	e := start(t, office())
	c := e.api.dial(map[string]any{"from": "102", "to": customerRaw})
	e.rcv.waitEvent(wait, c.ID, "call.answered")

	if r := e.api.do(http.MethodPost, "/v1/calls/"+c.ID+"/hangup", nil); r.Status != http.StatusAccepted {
		t.Fatalf("hangup: %d %s, want 202", r.Status, r.Body)
	}
	evs := e.rcv.waitEnded(wait, c.ID)
	checkSteps(t, c.ID, evs,
		step{"call.ringing", "102"}, step{"call.answered", "102"}, step{"call.ended", ""})
	checkCustomer(t, evs, customerNum)
	if end := last(t, evs); end.Call.Disposition != "answered" {
		t.Errorf("call.ended: disposition %q, want answered", end.Call.Disposition)
	}
	e.pbx.waitIdle(t)
	if r := e.api.do(http.MethodPost, "/v1/calls/"+c.ID+"/hangup", nil); r.Status != http.StatusConflict {
		t.Errorf("hangup of an ended call: %d %s, want 409", r.Status, r.Body)
	}
}
