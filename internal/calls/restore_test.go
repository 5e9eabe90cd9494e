package calls

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
)

// lastPerCall is what the store of open calls holds after evs: the last
// event of each call that did not end.
func lastPerCall(evs []amigate.CallEvent) []amigate.CallEvent {
	last := map[string]int{}
	var ids []string
	for i, e := range evs {
		if _, ok := last[e.Call.ID]; !ok {
			ids = append(ids, e.Call.ID)
		}
		last[e.Call.ID] = i
	}
	var out []amigate.CallEvent
	for _, id := range ids {
		if e := evs[last[id]]; e.Type != amigate.EventCallEnded {
			out = append(out, e)
		}
	}
	return out
}

// A restart in the middle of two calls (1 answered by 101 with metadata,
// 2 ringing 102): the call still up is followed on under its id with its
// sequence continuing and its metadata and campaign kept; the one gone ends with what
// was known, flagged as inferred.
func TestRestoreFollowsOrEnds(t *testing.T) {
	first := NewTracker(Config{})
	open := lastPerCall(feed(first, twoCalls().out))
	if len(open) != 2 {
		t.Fatalf("%d open calls after the first process, want 2: %v", len(open), brief(open))
	}
	meta := json.RawMessage(`{"deal":42}`)
	open[0].Call.Metadata = meta
	contact := 3
	open[0].Call.Campaign, open[0].Call.Contact = "m1", &contact

	now := time.Unix(1_800_000_100, 0).UTC()
	tr := NewTracker(Config{Now: func() time.Time { return now }})
	tr.Restore(open)
	if c, ok := tr.Get(callID("2.1")); !ok || c.State != amigate.StateRinging {
		t.Errorf("before the resync, restored call 2 = %+v, %v; want it listed as ringing", c, ok)
	}
	list := []ami.Message{
		ev("CoreShowChannel", "Channel", "PJSIP/trunk-00000001", "Uniqueid", "1.1", "Linkedid", "1.1",
			"ChannelStateDesc", "Up", "Context", "from-trunk", "Exten", "5550101", "BridgeId", "b", "Duration", "00:00:40"),
		ev("CoreShowChannel", "Channel", "PJSIP/101-00000002", "Uniqueid", "1.2", "Linkedid", "1.1",
			"ChannelStateDesc", "Up", "Context", "from-internal", "Exten", "s", "BridgeId", "b", "Duration", "00:00:38"),
	}
	got := tr.Reconcile(list, now)
	checkBrief(t, got, callID("2.1")+" ended #2 canceled")
	if len(got) == 1 {
		c := got[0].Call
		if !c.EndInferred || c.EndedAt == nil || !c.EndedAt.Equal(now) || c.Customer == nil || c.Customer.Number != "79004445566" {
			t.Errorf("inferred end = %+v", c)
		}
	}
	got = feed(tr, newScript().hangup("1.2", 16).hangup("1.1", 16).out)
	checkBrief(t, got, callID("1.1")+" ended #3 answered")
	if len(got) == 1 {
		c := got[0].Call
		if c.EndInferred || string(c.Metadata) != string(meta) || c.Campaign != "m1" || c.Contact == nil || *c.Contact != 3 || c.Agent == nil || c.Agent.Extension != "101" ||
			c.Customer == nil || c.Customer.Number != "79001112233" || c.AnsweredAt == nil {
			t.Errorf("followed call's end = %+v", c)
		}
	}
	if n := tr.Active(); n != 0 {
		t.Errorf("%d calls active after both ended", n)
	}
}

// Nothing listed (the PBX restarted too): every restored call ends, an
// answered one as answered, exactly once.
func TestRestoreAllGone(t *testing.T) {
	open := lastPerCall(feed(NewTracker(Config{}), twoCalls().out))
	now := time.Unix(1_800_000_100, 0).UTC()
	tr := NewTracker(Config{})
	tr.Restore(open)
	got := tr.Reconcile(nil, now)
	checkBrief(t, got, callID("1.1")+" ended #3 answered", callID("2.1")+" ended #2 canceled")
	for _, e := range got {
		if !e.Call.EndInferred {
			t.Errorf("%s: end not flagged as inferred", e.Call.ID)
		}
	}
	if got := tr.Reconcile(nil, now); len(got) != 0 {
		t.Errorf("a second Reconcile gave %v", brief(got))
	}
}

// A call still known in-process whose channels are gone at the resync
// after a reconnect (Asterisk restarted) ends flagged as inferred; a call
// seen ending is not.
func TestReconcileEndIsInferred(t *testing.T) {
	tr := NewTracker(Config{})
	feed(tr, twoCalls().out)
	got := feed(tr, newScript().hangup("2.2", 16).hangup("2.1", 16).out)
	if len(got) != 1 || got[0].Call.EndInferred {
		t.Errorf("a call seen ending: %v, inferred=%v", brief(got), len(got) == 1 && got[0].Call.EndInferred)
	}
	got = tr.Reconcile(nil, time.Unix(1_800_000_100, 0))
	checkBrief(t, got, callID("1.1")+" ended #3 answered")
	if len(got) == 1 && !got[0].Call.EndInferred {
		t.Error("a call whose channels vanished: end not flagged as inferred")
	}
}
