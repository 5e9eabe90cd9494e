package pbxsim

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amigate/amigate/internal/ami"
)

// summary renders an event as "Name key=value ..." for the fields a
// scenario asserts on.
func summary(m ami.Message) string {
	s := m.Event()
	for _, k := range []string{"DialStatus", "Cause", "Reason", "Response", "Queue", "Result"} {
		if v, ok := m.Lookup(k); ok {
			s += " " + k + "=" + v
		}
	}
	return s
}

// hasSubsequence reports whether want appears in got in order; it returns
// the first element not found.
func hasSubsequence(got, want []string) (string, bool) {
	i := 0
	for _, g := range got {
		if i < len(want) && strings.HasPrefix(g, want[i]) {
			i++
		}
	}
	if i < len(want) {
		return want[i], false
	}
	return "", true
}

// callEvents returns the summaries of the events of one call (by Linkedid,
// plus OriginateResponse with actionID).
func callEvents(ms []ami.Message, linkedid, actionID string) []string {
	var out []string
	for _, m := range ms {
		if !m.IsEvent() {
			continue
		}
		l, ok := m.Lookup("Linkedid")
		if !ok {
			l = m.Get("DestLinkedid")
		}
		if l == linkedid || (actionID != "" && m.ActionID() == actionID && m.Event() == "OriginateResponse") {
			out = append(out, summary(m))
		}
	}
	return out
}

// TestIncomingCalls follows customer calls through the simulated office.
// Where the customer hangs up mid-call, the test does it once the event
// that marks the moment has been seen (hangupOn), in an office whose agents
// neither answer nor hang up on their own meanwhile: the order of what the
// PBX emits is then decided by causes, not by how busy the machine is.
func TestIncomingCalls(t *testing.T) {
	ringForever := func(o *Office) { o.AgentRing, o.DialTimeout = time.Hour, time.Hour }
	tests := []struct {
		name     string
		in       Incoming
		office   func(*Office)
		hangupOn []string // event name and fields; the customer hangs up when it comes
		want     []string
	}{
		{"direct to agent, customer hangs up", Incoming{DID: "5550101"}, nil, []string{"BridgeEnter"}, []string{
			"Newchannel", "Newchannel", "DialBegin", "DialBegin", "DialState DialStatus=RINGING", "DialEnd DialStatus=ANSWER",
			"BridgeEnter", "BridgeEnter", "HangupRequest Cause=16", "BridgeLeave", "Hangup", "Hangup"}},
		{"direct, agent hangs up first", Incoming{DID: "5550101"}, nil, nil, []string{
			"DialBegin", "DialEnd DialStatus=ANSWER", "BridgeEnter", "Newexten", "SoftHangupRequest", "Hangup Cause=16"}},
		{"direct, caller gives up while ringing", Incoming{DID: "5550101"}, ringForever, []string{"DialState", "DialStatus", "RINGING"}, []string{
			"DialBegin", "DialState DialStatus=RINGING", "HangupRequest", "Hangup", "DialEnd DialStatus=CANCEL"}},
		{"ring-all queue", Incoming{DID: "5550100"}, nil, []string{"AgentConnect"}, []string{
			"QueueCallerJoin Queue=support", "MusicOnHoldStart", "AgentCalled Queue=support", "AgentCalled Queue=support",
			"DialEnd DialStatus=ANSWER", "DialEnd DialStatus=CANCEL", "MusicOnHoldStop", "QueueCallerLeave",
			"AgentConnect", "BridgeEnter", "BridgeEnter", "AgentComplete"}},
		{"abandoned in queue", Incoming{DID: "5550103"}, nil, []string{"AgentCalled"}, []string{
			"QueueCallerJoin Queue=nobody", "AgentCalled", "DialEnd DialStatus=CANCEL", "QueueCallerAbandon", "QueueCallerLeave"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := DefaultOffice().Scaled(scale)
			if tt.hangupOn != nil {
				o.AgentTalk = time.Hour // the customer, not the agent, ends the call
			}
			if tt.office != nil {
				tt.office(&o)
			}
			p, addr := startOffice(t, o)
			c := login(t, addr, "crm", "crmsecret", "on")
			id, err := p.IncomingCall(context.Background(), tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if tt.hangupOn != nil {
				c.mustEvent(waitLong, tt.hangupOn[0], append(tt.hangupOn[1:], "Linkedid", id)...)
				if err := p.HangupCall(id); err != nil {
					t.Fatal(err)
				}
			}
			waitIdle(t, p)
			c.sync()
			got := callEvents(c.messages(), id, "")
			if miss, ok := hasSubsequence(got, tt.want); !ok {
				t.Errorf("missing %q in order; got\n%s", miss, strings.Join(got, "\n"))
			}
		})
	}
}

func TestOriginate(t *testing.T) {
	tests := []struct {
		name, channel, exten, timeout string
		want                          []string
	}{
		{"click-to-call", "Local/101@phones", "79001234567", "", []string{
			"DialBegin", "DialEnd DialStatus=ANSWER", "DialBegin", "OriginateResponse Reason=4 Response=Success",
			"DialEnd DialStatus=ANSWER", "BridgeEnter", "BridgeEnter", "Hangup Cause=16"}},
		{"busy agent", "Local/198@phones", "79001234567", "", []string{
			"DialBegin", "DialEnd DialStatus=BUSY", "Hangup", "OriginateResponse Reason=5 Response=Failure"}},
		{"agent never answers", "Local/199@phones", "79001234567", "50", []string{
			"DialBegin", "DialState DialStatus=RINGING", "Hangup Cause=19", "OriginateResponse Reason=3 Response=Failure"}},
		{"congested customer", "Local/101@phones", "000123", "", []string{
			"DialBegin", "OriginateResponse Reason=4", "DialEnd DialStatus=CONGESTION", "Hangup Cause=16"}},
		{"SIP phone click-to-call", "PJSIP/101", "79001234567", "", []string{
			"DialBegin", "DialState DialStatus=RINGING", "DialEnd DialStatus=ANSWER", "DialBegin",
			"OriginateResponse Reason=4", "DialEnd DialStatus=ANSWER", "BridgeEnter", "BridgeEnter", "Hangup Cause=16"}},
		{"busy SIP phone", "PJSIP/198", "79001234567", "", []string{
			"DialBegin", "DialEnd DialStatus=BUSY", "Hangup Cause=17", "OriginateResponse Reason=5 Response=Failure"}},
		{"unknown SIP phone", "PJSIP/777", "79001234567", "", []string{
			"DialBegin", "DialEnd DialStatus=CHANUNAVAIL", "OriginateResponse Reason=0 Response=Failure"}},
		{"agent to agent", "Local/101@phones", "102", "", []string{
			"DialBegin", "OriginateResponse Reason=4", "DialEnd DialStatus=ANSWER", "BridgeEnter", "BridgeEnter"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, addr := startPBX(t)
			c := login(t, addr, "crm", "crmsecret", "on")
			id := fmt.Sprintf("chan-%d", i)
			a := ami.NewAction("Originate").Add("Channel", tt.channel).Add("Context", "from-internal").
				Add("Exten", tt.exten).Add("Priority", "1").Add("CallerID", `"Cust" <`+tt.exten+`>`).
				Add("Async", "true").Add("ChannelId", id).Add("OtherChannelId", id+"-2").
				Add("Variable", "AMIGATE_CALL_ID="+id)
			if tt.timeout != "" {
				a.Add("Timeout", tt.timeout)
			}
			if r := c.response(a, "orig"); r.Response() != "Success" {
				t.Fatalf("originate: %v", r.Fields)
			}
			c.mustEvent(waitLong, "OriginateResponse", "ActionID", "orig")
			waitIdle(t, p)
			c.sync()
			got := callEvents(c.messages(), id, "orig")
			if miss, ok := hasSubsequence(got, tt.want); !ok {
				t.Errorf("missing %q in order; got\n%s", miss, strings.Join(got, "\n"))
			}
			for _, m := range c.messages() {
				if m.Event() == "VarSet" && m.Get("Variable") == "AMIGATE_CALL_ID" && m.Get("Linkedid") != id {
					t.Errorf("AMIGATE_CALL_ID set on a channel of another call: %v", m.Fields)
				}
			}
		})
	}
}

// TestConcurrentCalls runs many calls at once with two AMI readers: every
// call ends, every channel's Linkedid is the Uniqueid of its call's first
// channel, and both connections see the same event stream.
func TestConcurrentCalls(t *testing.T) {
	p, addr := startPBX(t)
	a := login(t, addr, "crm", "crmsecret", "on")
	b := login(t, addr, "crm", "crmsecret", "on")
	dids := []string{"5550100", "5550101", "5550102", "5550103", "5550111"}
	var wg sync.WaitGroup
	ids := make([]string, 50)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := p.IncomingCall(context.Background(), Incoming{DID: dids[i%len(dids)], HangupAfter: time.Duration(20+i) * time.Millisecond})
			if err != nil {
				t.Error(err)
			}
			ids[i] = id
		}()
	}
	wg.Wait()
	waitIdle(t, p)
	a.sync()
	b.sync()
	first := map[string]string{} // Linkedid -> Uniqueid of the first channel
	for _, m := range a.messages() {
		if m.Event() == "Newchannel" {
			if _, ok := first[m.Get("Linkedid")]; !ok {
				first[m.Get("Linkedid")] = m.Get("Uniqueid")
			}
		}
	}
	for _, id := range ids {
		if first[id] != id {
			t.Errorf("call %s: first channel %q", id, first[id])
		}
	}
	if len(first) != len(ids) {
		t.Errorf("%d Linkedids for %d calls", len(first), len(ids))
	}
	// b logged in after a: a saw one more SuccessfulAuth, the rest is equal.
	if na, nb := len(eventNames(a.messages())), len(eventNames(b.messages())); na != nb+1 {
		t.Errorf("connections saw %d and %d events", na, nb)
	}
}

// TestTransfers moves the customer of a bridged call to agent 102: the new
// legs keep the call's Linkedid and 102 ends up bridged with the customer.
func TestTransfers(t *testing.T) {
	tests := []struct {
		name string
		// start places the call and returns its Linkedid.
		start func(t *testing.T, p *PBX, c *testClient) string
		// action builds the transfer from the live channel names.
		action func(agent1, customer string) *ami.Action
		resp   string
	}{
		{"blind transfer of an incoming call (agent ;1)", incoming("5550101"),
			func(agent1, _ string) *ami.Action {
				return ami.NewAction("BlindTransfer").Add("Channel", agent1).Add("Context", "from-internal").Add("Exten", "102")
			}, "Transfer succeeded"},
		{"redirect of the incoming customer leg", incoming("5550101"),
			func(_, customer string) *ami.Action {
				return ami.NewAction("Redirect").Add("Channel", customer).Add("Context", "from-internal").Add("Exten", "102").Add("Priority", "1")
			}, "Redirect successful"},
		{"attended transfer with the transfer feature", incoming("5550111"),
			func(agent1, _ string) *ami.Action {
				return ami.NewAction("Atxfer").Add("Channel", agent1).Add("Context", "from-internal").Add("Exten", "102")
			}, "Atxfer successfully queued"},
		{"blind transfer in a click-to-call (agent ;1 moves the customer)", clickToCall,
			func(agent1, _ string) *ami.Action {
				return ami.NewAction("BlindTransfer").Add("Channel", agent1).Add("Context", "from-internal").Add("Exten", "102")
			}, "Transfer succeeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := New(Config{Office: slowTalk()})
			t.Cleanup(func() { p.Close() })
			addr, err := p.Start("127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			c := login(t, addr, "crm", "crmsecret", "on")
			id := tt.start(t, p, c)
			// The agent leg bridged with the customer: Local/101@phones-…;1.
			var agent1, customer string
			bridged := c.waitFor(waitLong, func(ms []ami.Message) bool {
				for _, m := range ms {
					if m.Event() == "BridgeEnter" && m.Get("Linkedid") == id {
						if ch := m.Get("Channel"); strings.HasPrefix(ch, "Local/101@phones-") {
							agent1 = ch
						} else {
							customer = ch
						}
					}
				}
				return agent1 != "" && customer != ""
			})
			if !bridged {
				t.Fatalf("agent 101 and the customer not bridged (agent %q, customer %q)", agent1, customer)
			}
			if r := c.response(tt.action(agent1, customer), "xfer"); r.Get("Message") != tt.resp {
				t.Fatalf("got %v, want %q", r.Fields, tt.resp)
			}
			if strings.HasPrefix(tt.name, "attended") {
				c.mustEvent(waitLong, "DialEnd", "DialStatus", "ANSWER", "DestExten", "102")
				c.response(ami.NewAction("Hangup").Add("Channel", agent1), "complete")
				if _, ok := c.waitEvent(waitLong, "AttendedTransfer", "Result", "Success"); !ok {
					t.Fatal("no AttendedTransfer")
				}
			}
			m, ok := c.waitEvent(waitLong, "BridgeEnter", "Linkedid", id)
			for ok && !strings.HasPrefix(m.Get("Channel"), "Local/102@") {
				m, ok = c.waitEventAfter(waitLong, m, "BridgeEnter", "Linkedid", id)
			}
			if !ok {
				t.Fatalf("102 never bridged in the call")
			}
			for _, m := range c.messages() {
				if m.Event() == "Newchannel" && strings.Contains(m.Get("Channel"), "102@") && m.Get("Linkedid") != id {
					t.Errorf("new leg %s has Linkedid %s, want %s", m.Get("Channel"), m.Get("Linkedid"), id)
				}
			}
		})
	}
}

// slowTalk is the recorded office at 1/100 speed, with talk times long
// enough for a transfer or hangup to happen first however busy the machine:
// a minute, longer than any wait of the tests. Nothing gives up ringing on
// its own either: on a busy machine a 20 ms ring can outlast the scaled
// 300 ms dial or 150 ms queue timeout and turn the answered call the test
// wants into a no-answer.
func slowTalk() Office {
	o := DefaultOffice().Scaled(scale)
	o.AgentTalk, o.CustomerTalk = time.Minute, time.Minute
	o.DialTimeout, o.OriginateTimeout = time.Minute, time.Minute
	for i := range o.Queues {
		o.Queues[i].Timeout = time.Minute
	}
	return o
}

func incoming(did string) func(t *testing.T, p *PBX, c *testClient) string {
	return func(t *testing.T, p *PBX, c *testClient) string {
		// The customer stays on the line: the transfer decides the call.
		id, err := p.IncomingCall(context.Background(), Incoming{DID: did, From: "79005550001"})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
}

func clickToCall(t *testing.T, p *PBX, c *testClient) string {
	a := ami.NewAction("Originate").Add("Channel", "Local/101@phones").Add("Context", "from-internal").
		Add("Exten", "79001234567").Add("Priority", "1").Add("Async", "true").Add("ChannelId", "c2c-1")
	if r := c.response(a, "orig"); r.Response() != "Success" {
		t.Fatalf("originate: %v", r.Fields)
	}
	return "c2c-1"
}
