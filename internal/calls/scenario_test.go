package calls

import (
	"github.com/amigate/amigate/internal/agent"

	"testing"

	"github.com/amigate/amigate"
)

// Made-up streams for what the recordings do not show: other channel
// technologies, Asterisk 11, and Linkedids that do not stay put.
func TestScenarios(t *testing.T) {
	id := callID
	tests := []struct {
		name string
		cfg  Config
		s    *script
		want []string
	}{{
		name: "internal call between PJSIP phones",
		s: newScript().
			newchan("PJSIP/101-00000001", "1.1", "1.1", "from-internal", "102", "101").
			newchan("PJSIP/102-00000002", "1.2", "1.1", "from-internal", "s", "102").
			dial("1.1", "1.2", "102").ringing("1.2").dialEnd("1.2", "ANSWER").
			enter("b", "1.2").enter("b", "1.1").
			hangup("1.2", 16).hangup("1.1", 16),
		want: []string{id("1.1") + " ringing #1 agent=102", id("1.1") + " answered #2 agent=102", id("1.1") + " ended #3 answered"},
	}, {
		name: "blind transfer to an outside number: to_number, not an extension",
		s: newScript().
			newchan("PJSIP/trunk-00000001", "6.1", "6.1", "from-trunk", "5550101", "79001112233").
			newchan("PJSIP/101-00000002", "6.2", "6.1", "from-internal", "s", "101").
			dial("6.1", "6.2", "101").ringing("6.2").dialEnd("6.2", "ANSWER").
			enter("b", "6.2").enter("b", "6.1").
			add("BlindTransfer", "Result", "Success", "TransfererUniqueid", "6.2", "TransfererChannel", "PJSIP/101-00000002",
				"TransfereeUniqueid", "6.1", "Extension", "79005556677", "Context", "from-internal").
			leave("b", "6.1").hangup("6.2", 16).
			newchan("PJSIP/trunk-00000003", "6.3", "6.1", "from-internal", "79005556677", "79001112233").
			dial("6.1", "6.3", "79005556677").
			hangup("6.3", 16).hangup("6.1", 16),
		want: []string{id("6.1") + " ringing #1 agent=101", id("6.1") + " answered #2 agent=101",
			id("6.1") + " transferred #3 blind:101->#79005556677", id("6.1") + " ended #4 answered"},
	}, {
		name: "blind transfer to an extension that dials nothing: the target, unknown",
		s: newScript().
			newchan("PJSIP/trunk-00000001", "7.1", "7.1", "from-trunk", "5550101", "79001112233").
			newchan("PJSIP/101-00000002", "7.2", "7.1", "from-internal", "s", "101").
			dial("7.1", "7.2", "101").ringing("7.2").dialEnd("7.2", "ANSWER").
			enter("b", "7.2").enter("b", "7.1").
			add("BlindTransfer", "Result", "Success", "TransfererUniqueid", "7.2", "TransfererChannel", "PJSIP/101-00000002",
				"TransfereeUniqueid", "7.1", "Extension", "600", "Context", "from-internal").
			leave("b", "7.1").hangup("7.2", 16).hangup("7.1", 16),
		want: []string{id("7.1") + " ringing #1 agent=101", id("7.1") + " answered #2 agent=101",
			id("7.1") + " transferred #3 blind:101->?600", id("7.1") + " ended #4 answered"},
	}, {
		name: "bridged before its DialEnd: no ringing after the answer",
		s: newScript().
			newchan("PJSIP/trunk-00000001", "9.1", "9.1", "from-trunk", "5550101", "79001112233").
			newchan("PJSIP/101-00000002", "9.2", "9.1", "from-internal", "s", "101").
			dial("9.1", "9.2", "101").
			enter("b", "9.2").enter("b", "9.1").dialEnd("9.2", "ANSWER").
			add("Newstate", "Uniqueid", "9.2", "ChannelState", "5", "ChannelStateDesc", "Ringing").
			hangup("9.1", 16).hangup("9.2", 16),
		want: []string{id("9.1") + " answered #1 agent=101", id("9.1") + " ended #2 answered"},
	}, {
		name: "agent dials out through a trunk endpoint whose context is a trunk context",
		s: newScript().
			newchan("PJSIP/101-00000001", "8.1", "8.1", "from-internal", "79001234567", "101").
			newchan("PJSIP/trunk-00000002", "8.2", "8.1", "from-trunk", "s", "101").
			dial("8.1", "8.2", "79001234567").ringing("8.2").dialEnd("8.2", "ANSWER").
			enter("b", "8.2").enter("b", "8.1").
			hangup("8.2", 16).hangup("8.1", 16),
		want: []string{id("8.1") + " answered #1 agent=101", id("8.1") + " ended #2 answered"},
	}, {
		name: "SIP trunk to a queue of Local members that optimise away",
		cfg:  Config{Devices: agent.MustNew([]string{"SIP/{ext}"}, "")},
		s: newScript().
			newchan("SIP/trunk-00000001", "2.1", "2.1", "from-pstn", "5550100", "79001112233").
			add("QueueCallerJoin", "Uniqueid", "2.1", "Queue", "support").
			newchan("Local/101@from-queue-00000001;1", "2.2", "2.1", "from-queue", "101", "").
			newchan("Local/101@from-queue-00000001;2", "2.3", "2.1", "from-queue", "101", "").
			add("LocalBridge", "LocalOneUniqueid", "2.2", "LocalTwoUniqueid", "2.3").
			dial("2.1", "2.2", "101").
			newchan("SIP/101-00000002", "2.4", "2.1", "from-internal", "101", "101").
			dial("2.3", "2.4", "101").
			add("Newstate", "Uniqueid", "2.4", "ChannelState", "5", "ChannelStateDesc", "Ringing").
			ringing("2.4").ringing("2.2"). // the Local half ringing is no second ring
			dialEnd("2.4", "ANSWER").dialEnd("2.2", "ANSWER").
			enter("b2", "2.4").enter("b2", "2.3").
			enter("b1", "2.2").enter("b1", "2.1").
			add("LocalOptimizationBegin", "LocalOneUniqueid", "2.2", "LocalTwoUniqueid", "2.3").
			leave("b1", "2.2").enter("b1", "2.4").leave("b2", "2.4").leave("b2", "2.3").
			add("LocalOptimizationEnd", "LocalOneUniqueid", "2.2", "LocalTwoUniqueid", "2.3").
			hangup("2.2", 16).hangup("2.3", 16).
			leave("b1", "2.1").hangup("2.1", 16).leave("b1", "2.4").hangup("2.4", 16),
		want: []string{id("2.1") + " ringing #1 agent=101", id("2.1") + " answered #2 agent=101", id("2.1") + " ended #3 answered"},
	}, {
		name: "new Linkedid after a blind transfer: the call follows the customer's channel",
		s: newScript().
			newchan("PJSIP/trunk-00000001", "3.1", "3.1", "from-trunk", "5550101", "79005550001").
			newchan("PJSIP/101-00000002", "3.2", "3.1", "from-internal", "s", "101").
			dial("3.1", "3.2", "101").ringing("3.2").dialEnd("3.2", "ANSWER").
			enter("b", "3.2").enter("b", "3.1").
			add("BlindTransfer", "Result", "Success", "TransfererUniqueid", "3.2", "TransfererChannel", "PJSIP/101-00000002",
				"TransfereeUniqueid", "3.1", "Extension", "102", "Context", "from-internal").
			leave("b", "3.2").hangup("3.2", 16).
			add("BridgeLeave", "BridgeUniqueid", "b", "Uniqueid", "3.1", "Context", "from-internal", "Exten", "102").
			newchan("PJSIP/102-00000003", "3.3", "3.3", "from-internal", "s", "102").
			dial("3.1", "3.3", "102").ringing("3.3").dialEnd("3.3", "ANSWER").
			enter("b2", "3.3").enter("b2", "3.1").
			hangup("3.1", 16).hangup("3.3", 16),
		want: []string{
			id("3.1") + " ringing #1 agent=101", id("3.1") + " answered #2 agent=101",
			id("3.1") + " transferred #3 blind:101->102",
			id("3.1") + " ringing #4 agent=102", id("3.1") + " answered #5 agent=102", id("3.1") + " ended #6 answered",
		},
	}, {
		name: "attended transfer from the phone: the consultation is a call of its own",
		s: newScript().
			newchan("PJSIP/trunk-00000001", "4.1", "4.1", "from-trunk", "5550101", "79005550001").
			newchan("PJSIP/101-00000002", "4.2", "4.1", "from-internal", "s", "101").
			dial("4.1", "4.2", "101").ringing("4.2").dialEnd("4.2", "ANSWER").
			enter("b1", "4.2").enter("b1", "4.1").
			add("Hold", "Uniqueid", "4.2").
			newchan("PJSIP/101-00000003", "4.3", "4.3", "from-internal", "102", "101").
			newchan("PJSIP/102-00000004", "4.4", "4.3", "from-internal", "s", "102").
			dial("4.3", "4.4", "102").ringing("4.4").dialEnd("4.4", "ANSWER").
			enter("b2", "4.4").enter("b2", "4.3").
			// Asterisk moves the target into the customer's bridge, then tells.
			leave("b2", "4.4").enter("b1", "4.4").leave("b1", "4.2").leave("b2", "4.3").
			add("AttendedTransfer", "Result", "Success",
				"OrigTransfererUniqueid", "4.2", "OrigTransfererChannel", "PJSIP/101-00000002",
				"SecondTransfererUniqueid", "4.3", "SecondTransfererChannel", "PJSIP/101-00000003",
				"TransfereeUniqueid", "4.1", "TransferTargetUniqueid", "4.4", "TransferTargetChannel", "PJSIP/102-00000004",
				"DestType", "Bridge").
			hangup("4.2", 16).hangup("4.3", 16).
			hangup("4.1", 16).hangup("4.4", 16),
		want: []string{
			id("4.1") + " ringing #1 agent=101", id("4.1") + " answered #2 agent=101",
			id("4.3") + " ringing #1 agent=102", id("4.3") + " answered #2 agent=102",
			id("4.1") + " transferred #3 attended:101->102", id("4.1") + " answered #4 agent=102",
			id("4.3") + " ended #3 answered",
			id("4.1") + " ended #5 answered",
		},
	}, {
		name: "Asterisk 11: Dial SubEvent, Bridge Link, no Linkedid",
		cfg:  Config{Devices: agent.MustNew([]string{"SIP/{ext}"}, "")},
		s: newScript().
			newchan("SIP/101-00000793", "5.1", "", "from-internal", "102", "101").
			newchan("SIP/102-00000794", "5.2", "", "from-internal", "", "102").
			add("Dial", "SubEvent", "Begin", "Channel", "SIP/101-00000793", "Destination", "SIP/102-00000794",
				"UniqueID", "5.1", "DestUniqueID", "5.2", "Dialstring", "102").
			add("Newstate", "Uniqueid", "5.2", "ChannelState", "5", "ChannelStateDesc", "Ringing").
			add("Bridge", "Bridgestate", "Link", "Channel1", "SIP/101-00000793", "Channel2", "SIP/102-00000794",
				"Uniqueid1", "5.1", "Uniqueid2", "5.2").
			add("Unlink", "Channel1", "SIP/101-00000793", "Channel2", "SIP/102-00000794", "Uniqueid1", "5.1", "Uniqueid2", "5.2").
			hangup("5.2", 16).
			add("Dial", "SubEvent", "End", "Channel", "SIP/101-00000793", "UniqueID", "5.1", "DialStatus", "ANSWER").
			hangup("5.1", 16),
		want: []string{id("5.1") + " ringing #1 agent=102", id("5.1") + " answered #2 agent=102", id("5.1") + " ended #3 answered"},
	}, {
		name: "Asterisk 11: busy",
		cfg:  Config{Devices: agent.MustNew([]string{"SIP/{ext}"}, "")},
		s: newScript().
			newchan("SIP/trunk-00000001", "6.1", "", "from-trunk", "5550101", "79001112233").
			newchan("SIP/101-00000002", "6.2", "", "from-internal", "", "101").
			add("Dial", "SubEvent", "Begin", "UniqueID", "6.1", "DestUniqueID", "6.2", "Dialstring", "101").
			hangup("6.2", 17).
			add("Dial", "SubEvent", "End", "UniqueID", "6.1", "DialStatus", "BUSY").
			hangup("6.1", 17),
		want: []string{id("6.1") + " ringing #1 agent=101", id("6.1") + " ended #2 busy"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := NewTracker(tt.cfg)
			checkBrief(t, feed(tr, tt.s.out), tt.want...)
			if n := tr.Active(); n != 0 {
				t.Errorf("Active() = %d at the end, want 0", n)
			}
		})
	}
}

// The customer, the DID, the queue and the direction come from the trunk
// channel; the caller id may arrive after the channel.
func TestOutboundRoles(t *testing.T) {
	tr := NewTracker(Config{})
	evs := feed(tr, newScript().
		newchan("PJSIP/101-00000001", "8.1", "8.1", "from-internal", "79001234567", "101").
		newchan("PJSIP/trunk-00000002", "8.2", "8.1", "from-trunk", "s", "101").
		dial("8.1", "8.2", "79001234567").dialEnd("8.2", "ANSWER").
		enter("b", "8.2").enter("b", "8.1").out)
	if len(evs) != 1 {
		t.Fatalf("got %v, want one call.answered", brief(evs))
	}
	if c := evs[0].Call; c.Direction != amigate.DirectionOutbound || c.Customer == nil || c.Customer.Number != "79001234567" || c.DID != "" {
		t.Errorf("answered call = %+v, want outbound to 79001234567", c)
	}
}

func TestInboundRoles(t *testing.T) {
	tr := NewTracker(Config{})
	s := newScript().
		newchan("PJSIP/trunk-00000001", "7.1", "7.1", "from-external", "5550100", "<unknown>").
		add("NewCallerid", "Uniqueid", "7.1", "CallerIDNum", "79001112233", "CallerIDName", "Ivan").
		add("QueueCallerJoin", "Uniqueid", "7.1", "Queue", "sales").
		newchan("PJSIP/103-00000002", "7.2", "7.1", "from-internal", "s", "103").
		dial("7.1", "7.2", "103").ringing("7.2")
	evs := feed(tr, s.out)
	if len(evs) != 1 {
		t.Fatalf("got %d events, want one call.ringing", len(evs))
	}
	c := evs[0].Call
	if c.Direction != amigate.DirectionInbound || c.Customer == nil || c.Customer.Number != "79001112233" ||
		c.Customer.Name != "Ivan" || c.DID != "5550100" || c.Queue != "sales" || c.Agent == nil || c.Agent.Extension != "103" {
		t.Errorf("ringing call = %+v", c)
	}
	if evs[0].OccurredAt != s.t0.Add(5e9) {
		t.Errorf("occurred_at %v, want the DialState's Timestamp %v", evs[0].OccurredAt, s.t0.Add(5e9))
	}
}
