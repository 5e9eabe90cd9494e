package calls

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/amigate/amigate"
)

func expectCall(tr *Tracker, id, actionID string) {
	tr.Expect(amigate.Call{
		ID:        id,
		Customer:  &amigate.Party{Number: "79001234567"},
		Agent:     &amigate.Agent{Extension: "101"},
		StartedAt: time.Unix(1_800_000_000, 0).UTC(),
		Metadata:  json.RawMessage(`{"deal":7}`),
	}, actionID)
}

func TestExpectFailedOriginateWithoutChannels(t *testing.T) {
	tests := []struct {
		reason string
		want   string
	}{
		{"5", amigate.DispositionBusy},
		{"3", amigate.DispositionNoAnswer},
		{"8", amigate.DispositionFailed},
		{"0", amigate.DispositionFailed},
		{"1", amigate.DispositionFailed},
	}
	for _, tt := range tests {
		t.Run("reason "+tt.reason, func(t *testing.T) {
			tr := NewTracker(Config{})
			expectCall(tr, "c2c-1", "act-1")
			if c, ok := tr.Get("c2c-1"); !ok || c.State != amigate.StateDialing || c.Direction != amigate.DirectionOutbound {
				t.Fatalf("expected call before any event: %+v %v, want dialing outbound", c, ok)
			}
			got := feed(tr, newScript().
				add("OriginateResponse", "ActionID", "other", "Response", "Failure", "Reason", "5", "Uniqueid", "<unknown>").
				add("OriginateResponse", "ActionID", "act-1", "Response", "Failure", "Reason", tt.reason,
					"Channel", "PJSIP/101", "Uniqueid", "<unknown>").out)
			checkBrief(t, got, "c2c-1 ended #1 "+tt.want)
			if len(got) == 1 && string(got[0].Call.Metadata) != `{"deal":7}` {
				t.Errorf("metadata %s, want the API's", got[0].Call.Metadata)
			}
			if n := tr.Active(); n != 0 {
				t.Errorf("Active() = %d after the failure, want 0", n)
			}
			c, ok := tr.Get("c2c-1")
			if !ok || c.State != amigate.StateEnded || c.Disposition != tt.want || c.EndedAt == nil {
				t.Errorf("Get after the end = %+v, %v; want ended %s", c, ok, tt.want)
			}
		})
	}
}

// A failure that arrives while the originated channel still exists (the
// busy transcript: OriginateResponse before the Hangups) ends the call with
// its last channel, once.
func TestExpectFailedOriginateWithChannels(t *testing.T) {
	tr := NewTracker(Config{})
	expectCall(tr, "c2c-2", "act-2")
	s := newScript().
		newchan("PJSIP/101-00000001", "c2c-2", "c2c-2", "from-internal", "s", "101").
		dial("", "c2c-2", "101").
		add("OriginateResponse", "ActionID", "act-2", "Response", "Failure", "Reason", "5", "Uniqueid", "<unknown>").
		dialEnd("c2c-2", "BUSY").
		hangup("c2c-2", 17).
		hangup("c2c-2", 17) // a duplicate Hangup changes nothing
	got := feed(tr, s.out)
	checkBrief(t, got, "c2c-2 ended #1 busy")
	if len(got) == 1 {
		c := got[0].Call
		if c.HangupCause == nil || *c.HangupCause != 17 || c.Customer == nil || c.Customer.Number != "79001234567" {
			t.Errorf("ended call = %+v, want cause 17 and the expected customer", c)
		}
	}
}

// An Asterisk that ignores ChannelId still sets AMIGATE_CALL_ID: the call
// moves to the API's id before any event.
func TestExpectAdoptedByVariable(t *testing.T) {
	tr := NewTracker(Config{})
	expectCall(tr, "api-id", "act-3")
	s := newScript().
		newchan("PJSIP/101-00000001", "1.1", "1.1", "from-internal", "s", "101").
		add("VarSet", "Uniqueid", "1.1", "Variable", "AMIGATE_CALL_ID", "Value", "api-id").
		dial("", "1.1", "101").ringing("1.1").dialEnd("1.1", "ANSWER").
		newchan("PJSIP/trunk-00000002", "1.2", "1.1", "from-trunk", "79001234567", "101").
		dial("1.1", "1.2", "79001234567").dialEnd("1.2", "ANSWER").
		enter("b1", "1.2").enter("b1", "1.1").
		hangup("1.2", 16).hangup("1.1", 16)
	got := feed(tr, s.out)
	checkBrief(t, got, "api-id ringing #1 agent=101", "api-id answered #2 agent=101", "api-id ended #3 answered")
	if _, ok := tr.Get(callID("1.1")); ok {
		t.Errorf("the Linkedid's own call id is known; want only the API's id")
	}
}

func TestUnexpectAndExpectTimeout(t *testing.T) {
	now := time.Unix(1_800_000_000, 0).UTC()
	tr := NewTracker(Config{Now: func() time.Time { return now }})
	expectCall(tr, "a", "act-a")
	expectCall(tr, "b", "act-b")
	expectCall(tr, "b", "act-b2") // a second Expect of the same id is ignored
	tr.Unexpect("a")
	if _, ok := tr.Get("a"); ok {
		t.Errorf("Get(a) after Unexpect found the call")
	}
	tr.Expire(now.Add(DefaultExpectTimeout - time.Second))
	if _, ok := tr.Get("b"); !ok {
		t.Errorf("b forgotten before ExpectTimeout")
	}
	tr.Expire(now.Add(DefaultExpectTimeout + time.Second))
	if n := tr.Active(); n != 0 {
		t.Errorf("Active() = %d after ExpectTimeout, want 0", n)
	}
	// Its OriginateResponse, late, names nothing any more.
	if got := feed(tr, newScript().add("OriginateResponse", "ActionID", "act-b", "Response", "Failure", "Reason", "0").out); len(got) != 0 {
		t.Errorf("late OriginateResponse gave %v", brief(got))
	}
}

func ExampleTracker_Expect() {
	tr := NewTracker(Config{})
	tr.Expect(amigate.Call{ID: "0f8fad5b", Customer: &amigate.Party{Number: "79001234567"}}, "c2c-1")
	// ...the API sends Originate with ActionID c2c-1 and ChannelId 0f8fad5b;
	// Asterisk answers that the agent's phone was busy:
	for _, e := range feed(tr, newScript().add("OriginateResponse", "ActionID", "c2c-1",
		"Response", "Failure", "Reason", "5", "Uniqueid", "<unknown>").out) {
		fmt.Println(e.Type, e.Call.ID, e.Call.Disposition)
	}
	// Output: call.ended 0f8fad5b busy
}
