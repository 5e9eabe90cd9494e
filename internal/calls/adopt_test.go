package calls

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
)

// Calls adopted by Reconcile: a tracker with no memory of a call (a fresh
// process after a restart, or a call that started while AMI was down)
// picks it up from the CoreShowChannel events alone.

// showChannels is what a CoreShowChannels would list after msgs: every
// channel still up, with the snapshot fields of its last event, its
// bridge, and its age at now.
func showChannels(msgs []ami.Message, now time.Time) []ami.Message {
	type live struct {
		snap    ami.Message
		created time.Time
		bridge  string
	}
	chans := map[string]*live{}
	var order []string
	for i := range msgs {
		m := &msgs[i]
		uid := m.Get("Uniqueid")
		if uid == "" || m.Get("ChannelStateDesc") == "" {
			continue
		}
		c := chans[uid]
		switch m.Event() {
		case "Newchannel":
			if c == nil {
				c = &live{created: eventTime(m, now)}
				chans[uid] = c
				order = append(order, uid)
			}
		case "Hangup":
			delete(chans, uid)
			continue
		case "BridgeEnter":
			if c != nil {
				c.bridge = m.Get("BridgeUniqueid")
			}
		case "BridgeLeave":
			if c != nil {
				c.bridge = ""
			}
		}
		if c != nil {
			c.snap = *m
		}
	}
	var out []ami.Message
	for _, uid := range order {
		c := chans[uid]
		if c == nil {
			continue
		}
		s := &c.snap
		d := int(now.Sub(c.created).Seconds())
		out = append(out, ev("CoreShowChannel", "ActionID", "resync",
			"Channel", s.Get("Channel"), "ChannelState", s.Get("ChannelState"), "ChannelStateDesc", s.Get("ChannelStateDesc"),
			"CallerIDNum", s.Get("CallerIDNum"), "CallerIDName", s.Get("CallerIDName"),
			"Context", s.Get("Context"), "Exten", s.Get("Exten"), "Priority", s.Get("Priority"),
			"Uniqueid", uid, "Linkedid", s.Get("Linkedid"),
			"Duration", fmt.Sprintf("%02d:%02d:%02d", d/3600, d/60%60, d%60), "BridgeId", c.bridge))
	}
	return out
}

// restartRun is a recording read by a first process up to each cut (the
// index of the first message the next process reads itself); at each cut
// the process is killed and a fresh one, with no memory and no Expect,
// resyncs from the channel list and reads on.
type restartRun struct {
	before [][]amigate.CallEvent // per process: what it emitted
	all    []amigate.CallEvent   // a single process that was never restarted
	cuts   []int
	msgs   []ami.Message
	last   *Tracker
}

func runWithRestarts(t *testing.T, name string, cfg Config, cuts ...int) restartRun {
	t.Helper()
	msgs := readStream(t, streamPath(name))
	read := time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC)
	cfg.Now = func() time.Time { return read }
	o, hasOriginate := originate(t, name)
	r := restartRun{cuts: cuts, msgs: msgs}
	whole := NewTracker(cfg)
	tr := NewTracker(cfg)
	var cur []amigate.CallEvent
	expected := false
	next := 0
	for i, m := range msgs {
		if ts := m.Get("Timestamp"); ts != "" {
			read = eventTime(&m, read)
		}
		if next < len(cuts) && i == cuts[next] {
			r.before = append(r.before, cur)
			tr = NewTracker(cfg)
			cur = tr.Reconcile(showChannels(msgs[:i], read), read)
			next++
		}
		if hasOriginate && !expected && m.ActionID() == o.ActionID() {
			expectFrom(whole, o, read)
			if next == 0 {
				expectFrom(tr, o, read)
			}
			expected = true
		}
		r.all = append(r.all, whole.Handle(m, read)...)
		cur = append(cur, tr.Handle(m, read)...)
	}
	r.before = append(r.before, cur)
	r.last = tr
	return r
}

// firstIndex is the index of the first message of a recording for which f
// holds, after from.
func firstIndex(t *testing.T, msgs []ami.Message, from int, f func(*ami.Message) bool) int {
	t.Helper()
	for i := from; i < len(msgs); i++ {
		if f(&msgs[i]) {
			return i
		}
	}
	t.Fatalf("no such message after %d", from)
	return -1
}

// answeredAt is the index of the message after the first call.answered of
// a recording: the process is killed while the call is up.
func answeredAt(t *testing.T, name string, cfg Config) int {
	t.Helper()
	msgs := readStream(t, streamPath(name))
	tr := NewTracker(cfg)
	o, hasOriginate := originate(t, name)
	for i, m := range msgs {
		if hasOriginate && m.ActionID() == o.ActionID() && tr.Active() == 0 {
			expectFrom(tr, o, time.Time{})
		}
		for _, e := range tr.Handle(m, time.Time{}) {
			if e.Type == amigate.EventCallAnswered {
				return i + 1
			}
		}
	}
	t.Fatalf("%s: no call.answered", name)
	return -1
}

// teardown is where the call's end starts: the first BridgeLeave after the
// last BridgeEnter.
func teardown(t *testing.T, msgs []ami.Message) int {
	last := 0
	for i := range msgs {
		if msgs[i].Event() == "BridgeEnter" {
			last = i
		}
	}
	return firstIndex(t, msgs, last, func(m *ami.Message) bool { return m.Event() == "BridgeLeave" })
}

// redirectedTo102 is where the Redirect of the recording starts: the
// customer's channel stands at 102 in phones. (A restart in the middle of a
// transfer, between this and the BridgeLeave, loses the transfer: the list
// shows the channel bridged, already at its new place.)
func redirectedTo102(t *testing.T, msgs []ami.Message) int {
	return firstIndex(t, msgs, 0, func(m *ami.Message) bool {
		return m.Get("Context") == "phones" && m.Get("Exten") == "102" && strings.HasPrefix(m.Get("Channel"), "Local/5550101@")
	})
}

// step is an event as the CRM sees it, without its sequence.
func stepOf(e amigate.CallEvent) string {
	s := e.Call.ID + " " + e.Type + " " + e.ID
	if e.Agent != nil {
		s += " agent=" + e.Agent.Extension
	}
	if x := e.Transfer; x != nil {
		s += fmt.Sprintf(" %s:%s->%s", x.Mode, x.FromExtension, x.ToExtension)
	}
	if e.Type == amigate.EventCallEnded {
		s += " " + e.Call.Disposition
	}
	return s
}

// A call up across one or two restarts: the CRM gets the steps (and event
// ids) a process that never restarted would have sent, under the call id
// it knows, with no spurious call.transferred; each process numbers the
// call's events above every number an earlier process gave it.
func TestRestartAdoptsCalls(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		// again: where a second restart is, if any
		again func(*testing.T, []ami.Message) int
	}{
		{"incoming_direct", office, nil},
		{"incoming_direct", office, teardown},
		{"hangup", office, nil},
		{"hangup", office, teardown},
		{"click_to_call_channelid", office, nil},
		{"click_to_call_channelid", office, teardown},
		{"pjsip_click_to_call", Config{}, nil},
		{"redirect_blind_transfer", office, nil},             // the Redirect after the restart is a transfer
		{"redirect_blind_transfer", office, redirectedTo102}, // and after a second restart
		{"blind_transfer_action", office, nil},
		{"blind_transfer_action", office, teardown},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/twice=%v", tt.name, tt.again != nil), func(t *testing.T) {
			cut := answeredAt(t, tt.name, tt.cfg)
			cuts := []int{cut}
			if tt.again != nil {
				msgs := readStream(t, streamPath(tt.name))
				cut2 := tt.again(t, msgs)
				if cut2 <= cut || eventTime(&msgs[cut2-1], time.Time{}).Sub(eventTime(&msgs[cut-1], time.Time{})) < time.Second {
					t.Fatalf("the second restart (at message %d) is less than a second after the first (%d)", cut2, cut)
				}
				cuts = append(cuts, cut2)
			}
			r := runWithRestarts(t, tt.name, tt.cfg, cuts...)

			// What the CRM receives: the store keeps the first event of an
			// id (a resync may report again a step the dead process sent).
			seen := map[string]bool{}
			var got, want []string
			for _, evs := range r.before {
				for _, e := range evs {
					if !seen[e.ID] {
						seen[e.ID] = true
						got = append(got, stepOf(e))
					}
				}
			}
			for _, e := range r.all {
				want = append(want, stepOf(e))
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("across the restart the CRM got:\n  %s\nwithout a restart:\n  %s",
					strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}

			// Sequences: increasing per call, across processes.
			last := map[string]int64{}
			for p, evs := range r.before {
				for _, e := range evs {
					if e.Sequence <= last[e.Call.ID] {
						t.Errorf("process %d: %s %s has sequence %d, not above %d", p+1, e.Call.ID, e.Type, e.Sequence, last[e.Call.ID])
					}
					last[e.Call.ID] = e.Sequence
				}
			}
			if n := r.last.Active(); n != 0 {
				t.Errorf("after the stream: %d calls active", n)
			}
		})
	}
}

// adoptedInbound is the channel list of an inbound call from 79001112233
// to DID 5550101 answered by agent 101, up for 40 s.
func adoptedInbound() []ami.Message {
	return []ami.Message{
		ev("CoreShowChannel", "Channel", "PJSIP/trunk-00000001", "ChannelState", "6", "ChannelStateDesc", "Up",
			"CallerIDNum", "79001112233", "CallerIDName", "Ivan", "Context", "from-trunk", "Exten", "5550101", "Priority", "3",
			"Uniqueid", "1795331300.1", "Linkedid", "1795331300.1", "Application", "Dial", "Duration", "00:00:40", "BridgeId", "b1"),
		ev("CoreShowChannel", "Channel", "PJSIP/101-00000002", "ChannelState", "6", "ChannelStateDesc", "Up",
			"CallerIDNum", "101", "Context", "from-internal", "Exten", "5550101", "Priority", "1",
			"Uniqueid", "1795331300.2", "Linkedid", "1795331300.1", "Application", "AppDial", "Duration", "00:00:38", "BridgeId", "b1"),
	}
}

// bridgeLeave is a BridgeLeave of a channel that stands at context,exten.
func bridgeLeave(bridge, uid, context, exten string) ami.Message {
	return ev("BridgeLeave", "BridgeUniqueid", bridge, "Uniqueid", uid, "Context", context, "Exten", exten)
}

// The end of an adopted call: a plain hangup is only call.ended, a
// Redirect of the customer is still a blind transfer.
func TestAdoptedCallEnd(t *testing.T) {
	now := time.Unix(1_795_331_340, 0).UTC()
	base := now.UnixMilli()
	id := callID("1795331300.1")
	hangup := func(uid string) ami.Message {
		return ev("Hangup", "Uniqueid", uid, "Cause", "16", "Cause-txt", "Normal Clearing")
	}
	tests := []struct {
		name  string
		list  []ami.Message
		cfg   Config
		after []ami.Message
		want  []string
	}{
		{
			name: "customer hangs up",
			list: adoptedInbound(),
			after: []ami.Message{
				bridgeLeave("b1", "1795331300.1", "from-trunk", "5550101"), hangup("1795331300.1"),
				bridgeLeave("b1", "1795331300.2", "from-internal", "5550101"), hangup("1795331300.2"),
			},
			want: []string{fmt.Sprintf("%s ended #%d answered", id, base+2)},
		},
		{
			name: "agent hangs up",
			list: adoptedInbound(),
			after: []ami.Message{
				bridgeLeave("b1", "1795331300.2", "from-internal", "5550101"), hangup("1795331300.2"),
				bridgeLeave("b1", "1795331300.1", "from-trunk", "5550101"), hangup("1795331300.1"),
			},
			want: []string{fmt.Sprintf("%s ended #%d answered", id, base+2)},
		},
		{
			name: "customer redirected to 102",
			list: adoptedInbound(),
			after: []ami.Message{
				bridgeLeave("b1", "1795331300.1", "from-internal", "102"),
				bridgeLeave("b1", "1795331300.2", "from-internal", "5550101"), hangup("1795331300.2"),
				hangup("1795331300.1"),
			},
			// Redirected to from-internal,102, then gone before dialling
			// anything: 102 may be an extension or a number, unknown.
			want: []string{
				fmt.Sprintf("%s transferred #%d blind:101->?102", id, base+2),
				fmt.Sprintf("%s ended #%d answered", id, base+3),
			},
		},
		{
			// The recorded list: a click-to-call through Local channels,
			// the customer's side (pstn;1) listed with an empty Exten.
			name: "recorded click-to-call hung up",
			list: nil, // listed(t, "csc-busy")
			cfg:  office,
			after: []ami.Message{
				ev("Hangup", "Uniqueid", "1795330405.3", "Cause", "16"),
				bridgeLeave("eacbf43e-51f3-49f5-b2d1-dcf4be600b62", "1795330405.2", "pstn", ""), hangup("1795330405.2"),
				bridgeLeave("eacbf43e-51f3-49f5-b2d1-dcf4be600b62", "1795330403.0", "from-internal", "79001234567"),
				hangup("1795330403.0"), hangup("1795330403.1"),
			},
			want: []string{fmt.Sprintf("%s ended #%d answered", callID("1795330403.0"), base+2)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Now = func() time.Time { return now }
			tr := NewTracker(tt.cfg)
			list := tt.list
			if list == nil {
				list = listed(t, "csc-busy")
			}
			if got := tr.Reconcile(list, now); len(got) != 1 || got[0].Type != amigate.EventCallAnswered {
				t.Fatalf("Reconcile gave %v, want the call answered", brief(got))
			}
			checkBrief(t, feed(tr, tt.after), tt.want...)
		})
	}
}

// The sequence of an adopted call starts at the Reconcile's clock in
// milliseconds; a call the tracker follows from its start, or knew before
// a reconnect, keeps counting from 1.
func TestAdoptedSequence(t *testing.T) {
	now := time.Unix(1_795_331_340, 0).UTC()
	tr := NewTracker(Config{Now: func() time.Time { return now }})
	got := tr.Reconcile(adoptedInbound(), now)
	if len(got) != 1 || got[0].Sequence != now.UnixMilli()+1 {
		t.Fatalf("adopted call: %v, want answered #%d", brief(got), now.UnixMilli()+1)
	}
	// The same list again, a reconnect later: the call is known, it keeps
	// its numbering.
	if got := tr.Reconcile(adoptedInbound(), now.Add(time.Second)); len(got) != 0 {
		t.Errorf("second Reconcile gave %v", brief(got))
	}
	got = tr.Reconcile(nil, now.Add(2*time.Second))
	checkBrief(t, got, fmt.Sprintf("%s ended #%d answered", callID("1795331300.1"), now.UnixMilli()+2))

	// A call followed live numbers from 1, also across a Reconcile.
	live := NewTracker(Config{})
	got = feed(live, twoCalls().out)
	got = append(got, live.Reconcile(nil, now)...)
	checkBrief(t, got,
		callID("1.1")+" ringing #1 agent=101", callID("1.1")+" answered #2 agent=101", callID("2.1")+" ringing #1 agent=102",
		callID("1.1")+" ended #3 answered", callID("2.1")+" ended #2 canceled")

	// A channel of an old call seen live before the resync (a transfer
	// target dialled between the login and the channel list): the resync
	// shows that the call is older than this process, its numbering jumps
	// above what an earlier process can have sent.
	fresh := NewTracker(Config{})
	got = feed(fresh, newScript().
		newchan("PJSIP/102-00000003", "1795331300.3", "1795331300.1", "from-internal", "s", "102").
		dial("", "1795331300.3", "102").ringing("1795331300.3").out)
	checkBrief(t, got, callID("1795331300.1")+" ringing #1 agent=102")
	list := append(adoptedInbound(), ev("CoreShowChannel", "Channel", "PJSIP/102-00000003", "ChannelState", "5",
		"ChannelStateDesc", "Ringing", "Context", "from-internal", "Exten", "s",
		"Uniqueid", "1795331300.3", "Linkedid", "1795331300.1", "Duration", "00:00:01", "BridgeId", ""))
	got = fresh.Reconcile(list, now)
	checkBrief(t, got, fmt.Sprintf("%s answered #%d agent=101", callID("1795331300.1"), now.UnixMilli()+2))
}

// The id of a call that was not expected: the Linkedid itself when an
// Originate chose it (ChannelId, the API's call id), else a hash of it.
func TestCallIDOfLinkedid(t *testing.T) {
	tests := []struct {
		linkedid, want string
	}{
		{"0f8fad5b-d9cb-469f-a165-70867728950e", "0f8fad5b-d9cb-469f-a165-70867728950e"},
		{"crm-call-42", "crm-call-42"},
		{"1795331360.12", callID("1795331360.12")},
		{"pbx1-1795331360.12", callID("pbx1-1795331360.12")}, // asterisk.conf systemname
		{"my-pbx-1795331360.12", callID("my-pbx-1795331360.12")},
		{"a/b", callID("a/b")},       // not usable in a URL path
		{"a b", callID("a b")},       // nor this
		{"call_x", callID("call_x")}, // could pass for a hashed id
		{strings.Repeat("x", 200), callID(strings.Repeat("x", 200))},
	}
	now := time.Unix(1_795_331_340, 0).UTC()
	for _, tt := range tests {
		t.Run(tt.linkedid, func(t *testing.T) {
			live := NewTracker(Config{})
			got := feed(live, newScript().
				newchan("PJSIP/101-00000001", tt.linkedid, tt.linkedid, "phones", "101", "").
				dial("", tt.linkedid, "101").ringing(tt.linkedid).out)
			if len(got) != 1 || got[0].Call.ID != tt.want {
				t.Errorf("live: %v, want the call %s ringing", brief(got), tt.want)
			}
			adopted := NewTracker(Config{})
			adopted.Reconcile([]ami.Message{ev("CoreShowChannel", "Channel", "PJSIP/101-00000001",
				"ChannelStateDesc", "Up", "Context", "from-internal", "Exten", "79001234567",
				"Uniqueid", tt.linkedid, "Linkedid", tt.linkedid, "Duration", "00:00:05")}, now)
			if c, ok := adopted.Get(tt.want); !ok || c.Linkedid != tt.linkedid {
				t.Errorf("Reconcile: Get(%s) = %+v, %v", tt.want, c, ok)
			}
		})
	}
}

// A click-to-call of the API adopted after a restart keeps the API's id:
// the recorded call, listed while up, and hung up.
func TestAdoptedClickToCallKeepsAPIID(t *testing.T) {
	const apiID = "0f8fad5b-d9cb-469f-a165-70867728950e"
	msgs := readStream(t, streamPath("click_to_call_channelid"))
	cut := answeredAt(t, "click_to_call_channelid", office)
	now := eventTime(&msgs[cut-1], time.Time{})
	cfg := office
	cfg.Now = func() time.Time { return now }
	tr := NewTracker(cfg)
	got := tr.Reconcile(showChannels(msgs[:cut], now), now)
	got = append(got, feed(tr, msgs[cut:])...)
	var ids []string
	for _, e := range got {
		ids = append(ids, e.Call.ID)
	}
	if len(got) != 2 || slices.IndexFunc(ids, func(id string) bool { return id != apiID }) >= 0 {
		t.Errorf("events %v, want answered and ended of %s", brief(got), apiID)
	}
	if c, ok := tr.Get(apiID); !ok || c.State != amigate.StateEnded || c.Direction != amigate.DirectionOutbound ||
		c.Customer == nil || c.Customer.Number != "79001234567" {
		t.Errorf("Get(%s) = %+v, %v", apiID, c, ok)
	}
}
