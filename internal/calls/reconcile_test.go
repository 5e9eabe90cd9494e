package calls

import (
	"github.com/amigate/amigate/internal/agent"

	"fmt"
	"testing"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
)

// listed returns the CoreShowChannel events answering one CoreShowChannels
// of the recording.
func listed(t *testing.T, actionID string) []ami.Message {
	t.Helper()
	var out []ami.Message
	for _, m := range readTranscript(t, "core_show_channels") {
		if m.Event() == "CoreShowChannel" && m.ActionID() == actionID {
			out = append(out, m)
		}
	}
	return out
}

func TestReconcilePicksUpAndEnds(t *testing.T) {
	now := time.Unix(1_795_330_410, 0).UTC()
	tr := NewTracker(Config{Devices: agent.MustNew([]string{"Local/{ext}@phones"}, ""), Now: func() time.Time { return now }})
	busy := listed(t, "csc-busy")
	if len(busy) != 4 {
		t.Fatalf("%d channels listed, want the 4 of the recording", len(busy))
	}
	got := tr.Reconcile(busy, now)
	id := callID("1795330403.0")
	base := now.UnixMilli() // the call is adopted: numbered from the Reconcile's clock
	checkBrief(t, got, fmt.Sprintf("%s answered #%d agent=101", id, base+1))
	c, ok := tr.Get(id)
	if !ok || c.Direction != amigate.DirectionOutbound || c.Customer == nil || c.Customer.Number != "79001234567" ||
		len(c.Channels) != 4 || !c.StartedAt.Equal(now.Add(-6*time.Second)) {
		t.Errorf("picked-up call = %+v", c)
	}
	// The same list again changes nothing.
	if got := tr.Reconcile(busy, now); len(got) != 0 {
		t.Errorf("second Reconcile gave %v", brief(got))
	}
	// Then everything hung up while disconnected.
	got = tr.Reconcile(listed(t, "csc-idle"), now.Add(time.Minute))
	checkBrief(t, got, fmt.Sprintf("%s ended #%d answered", id, base+2))
	if n := tr.Active(); n != 0 || len(tr.channels) != 0 || len(tr.bridges) != 0 {
		t.Errorf("after the idle list: %d calls, %d channels, %d bridges", n, len(tr.channels), len(tr.bridges))
	}
}

// A call known before the disconnect: what happened meanwhile shows in the
// list (answered), or its absence does (ended).
func TestReconcileKnownCalls(t *testing.T) {
	now := time.Unix(1_800_000_100, 0).UTC()
	tr := NewTracker(Config{})
	feed(tr, twoCalls().out) // call 1 answered by 101, call 2 ringing 102
	list := []ami.Message{
		ev("CoreShowChannel", "Channel", "PJSIP/trunk-00000003", "Uniqueid", "2.1", "Linkedid", "2.1",
			"ChannelStateDesc", "Up", "Context", "from-trunk", "Exten", "5550101", "BridgeId", "b9", "Duration", "00:00:40"),
		ev("CoreShowChannel", "Channel", "PJSIP/102-00000004", "Uniqueid", "2.2", "Linkedid", "2.1",
			"ChannelStateDesc", "Up", "Context", "from-internal", "Exten", "s", "BridgeId", "b9", "Duration", "00:00:38"),
		// a call that started while disconnected, its agent's phone ringing
		ev("CoreShowChannel", "Channel", "PJSIP/trunk-00000005", "Uniqueid", "3.1", "Linkedid", "3.1",
			"ChannelStateDesc", "Ring", "Context", "from-trunk", "Exten", "5550102", "CallerIDNum", "79007778899", "Duration", "00:00:05"),
		ev("CoreShowChannel", "Channel", "PJSIP/103-00000006", "Uniqueid", "3.2", "Linkedid", "3.1",
			"ChannelStateDesc", "Ringing", "Context", "from-internal", "Exten", "s", "Duration", "00:00:04"),
	}
	got := tr.Reconcile(list, now)
	checkBrief(t, got,
		callID("1.1")+" ended #3 answered",
		callID("2.1")+" answered #2 agent=102",
		fmt.Sprintf("%s ringing #%d agent=103", callID("3.1"), now.UnixMilli()+1), // adopted
	)
	if c, ok := tr.Get(callID("3.1")); !ok || c.Direction != amigate.DirectionInbound || c.DID != "5550102" ||
		c.Customer == nil || c.Customer.Number != "79007778899" {
		t.Errorf("picked-up inbound call = %+v", c)
	}
}

// Calls picked up from the list alone: an agent's call to another agent,
// and a call from a channel that is neither a trunk nor an agent.
func TestReconcileGuessesRoles(t *testing.T) {
	now := time.Unix(1_800_000_100, 0).UTC()
	tr := NewTracker(Config{})
	list := []ami.Message{
		ev("CoreShowChannel", "Channel", "PJSIP/102-00000002", "Uniqueid", "1.2", "Linkedid", "1.1",
			"ChannelStateDesc", "Up", "Context", "from-internal", "Exten", "s", "BridgeId", "b1", "Duration", "00:00:09"),
		ev("CoreShowChannel", "Channel", "PJSIP/101-00000001", "Uniqueid", "1.1", "Linkedid", "1.1",
			"ChannelStateDesc", "Up", "Context", "from-internal", "Exten", "102", "BridgeId", "b1", "Duration", "00:00:10"),
		ev("CoreShowChannel", "Channel", "IAX2/gw-00000003", "Uniqueid", "2.1", "Linkedid", "2.1",
			"ChannelStateDesc", "Up", "Context", "ivr", "Exten", "s", "CallerIDNum", "79001112233", "Duration", "00:00:03"),
		ev("CoreShowChannel", "Channel", "PJSIP/104-00000004", "Uniqueid", "2.2", "Linkedid", "2.1",
			"ChannelStateDesc", "Ringing", "Context", "from-internal", "Exten", "s", "Duration", "00:00:01"),
	}
	got := tr.Reconcile(list, now)
	base := now.UnixMilli() // adopted calls
	checkBrief(t, got, fmt.Sprintf("%s answered #%d agent=102", callID("1.1"), base+1),
		fmt.Sprintf("%s ringing #%d agent=104", callID("2.1"), base+1))
	for _, tt := range []struct{ id, dir, customer string }{
		{callID("1.1"), amigate.DirectionInternal, "101"},
		{callID("2.1"), amigate.DirectionInbound, "79001112233"},
	} {
		c, ok := tr.Get(tt.id)
		if !ok || c.Direction != tt.dir || c.Customer == nil || c.Customer.Number != tt.customer {
			t.Errorf("call %s = %+v, want %s from %s", tt.id, c, tt.dir, tt.customer)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"00:00:03": 3 * time.Second, "01:02:03": time.Hour + 2*time.Minute + 3*time.Second, "": 0, "x": 0,
	} {
		if got := parseDuration(in); got != want {
			t.Errorf("parseDuration(%q) = %v, want %v", in, got, want)
		}
	}
}
