package calls

import (
	"testing"
	"time"

	"github.com/amigate/amigate"
)

// answeredCall is a customer (8.1) answered by PJSIP/101 (8.2) in bridge b.
func answeredCall() *script {
	return newScript().
		newchan("PJSIP/trunk-00000001", "8.1", "8.1", "from-trunk", "5550101", "79001112233").
		newchan("PJSIP/101-00000002", "8.2", "8.1", "from-internal", "s", "101").
		dial("8.1", "8.2", "101").ringing("8.2").dialEnd("8.2", "ANSWER").
		enter("b", "8.2").enter("b", "8.1")
}

// An attended transfer the API asked for that never starts gives
// call.transfer_failed with why, and the call is answered again.
func TestAtxferFailed(t *testing.T) {
	id := callID("8.1")
	tests := []struct {
		name   string
		after  func(s *script) *script
		want   []string
		reason string
	}{{
		name: "Asterisk aborts: Hold, then Unhold, no consultation",
		after: func(s *script) *script {
			return s.add("Hold", "Uniqueid", "8.2", "Channel", "PJSIP/101-00000002").
				add("Unhold", "Uniqueid", "8.2", "Channel", "PJSIP/101-00000002")
		},
		want:   []string{id + " transfer_failed #3 attended:101->?102"},
		reason: amigate.TransferAborted,
	}, {
		name: "nothing happens before the deadline: no transfer feature",
		after: func(s *script) *script {
			s.n += 20 // 20 s later, any event at all tells the time
			return s.add("RTCPSent", "Uniqueid", "8.2")
		},
		want:   []string{id + " transfer_failed #3 attended:101->?102"},
		reason: amigate.TransferNoFeature,
	}, {
		name: "held and nothing else before the deadline: aborted",
		after: func(s *script) *script {
			s.add("Hold", "Uniqueid", "8.2", "Channel", "PJSIP/101-00000002")
			s.n += 20
			return s.add("PeerStatus", "Peer", "PJSIP/999")
		},
		want:   []string{id + " transfer_failed #3 attended:101->?102"},
		reason: amigate.TransferAborted,
	}, {
		name: "the consultation starts: no failure, however long it takes after",
		after: func(s *script) *script {
			s.add("Hold", "Uniqueid", "8.2", "Channel", "PJSIP/101-00000002").
				newchan("Local/102@from-internal-00000003;1", "8.3", "8.1", "from-internal", "102", "101")
			s.n += 60
			return s.add("Unhold", "Uniqueid", "8.2", "Channel", "PJSIP/101-00000002")
		},
	}, {
		name: "the call ends first: nothing to report",
		after: func(s *script) *script {
			return s.hangup("8.2", 16).hangup("8.1", 16)
		},
		want: []string{id + " ended #3 answered"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := answeredCall()
			tr := NewTracker(Config{AtxferTimeout: 10 * time.Second})
			evs := feed(tr, s.out)
			if len(evs) != 2 {
				t.Fatalf("set-up gave %v", brief(evs))
			}
			asked := s.t0.Add(time.Duration(s.n) * time.Second)
			tr.ExpectAtxfer(id, "PJSIP/101-00000002", "102", asked)
			before := len(s.out)
			tt.after(s)
			got := feed(tr, s.out[before:])
			checkBrief(t, got, tt.want...)
			if tt.reason == "" {
				return
			}
			e := got[0]
			if e.Reason != tt.reason || e.Transfer == nil || e.Transfer.To != "102" || e.Transfer.FromExtension != "101" ||
				e.Transfer.Mode != amigate.TransferAttended || e.Call.State != amigate.StateAnswered {
				t.Errorf("transfer_failed = reason %q, transfer %+v, state %s", e.Reason, e.Transfer, e.Call.State)
			}
			// Told once: later events add nothing.
			s.n += 60
			if more := feed(tr, s.add("Newexten", "Uniqueid", "8.1").out[len(s.out)-1:]); len(more) != 0 {
				t.Errorf("after the failure: %v", brief(more))
			}
			if c, _ := tr.Get(id); c.State != amigate.StateAnswered {
				t.Errorf("state %s, want answered", c.State)
			}
		})
	}
}
