package presence

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/amigate/amigate"
)

type countMetrics struct{ unknown int }

func (c *countMetrics) UnknownDeviceState() { c.unknown++ }

// TestDeviceStates: each device state Asterisk reports, and several devices
// of one agent at once.
func TestDeviceStates(t *testing.T) {
	tests := []struct {
		states []string // PJSIP/101, then Local/101@phones when two
		want   string
	}{
		{[]string{"NOT_INUSE"}, amigate.AgentAvailable},
		{[]string{"INUSE"}, amigate.AgentInCall},
		{[]string{"BUSY"}, amigate.AgentInCall},
		{[]string{"RINGING"}, amigate.AgentRinging},
		{[]string{"RINGINUSE"}, amigate.AgentInCall},
		{[]string{"ONHOLD"}, amigate.AgentOnHold},
		{[]string{"UNAVAILABLE"}, amigate.AgentUnavailable},
		{[]string{"INVALID"}, amigate.AgentUnavailable},
		{[]string{"UNKNOWN"}, amigate.AgentUnknown},
		{[]string{"SOMETHING_NEW"}, amigate.AgentUnknown},
		{[]string{"UNAVAILABLE", "NOT_INUSE"}, amigate.AgentAvailable},
		{[]string{"NOT_INUSE", "RINGING"}, amigate.AgentRinging},
		{[]string{"INUSE", "RINGING"}, amigate.AgentInCall},
		{[]string{"NOT_INUSE", "SOMETHING_NEW"}, amigate.AgentUnknown},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.states, "+"), func(t *testing.T) {
			m := &countMetrics{}
			p := New(Config{Devices: testDevices(t, office), Metrics: m})
			now := time.Unix(1795449000, 0)
			for i, st := range tt.states {
				dev := []string{"PJSIP/101", "Local/101@phones"}[i]
				p.Handle(msg("Event", "DeviceStateChange", "Device", dev, "State", st), now)
			}
			a, ok := p.Get("101")
			if !ok || a.State != tt.want {
				t.Errorf("state %q, want %q", a.State, tt.want)
			}
			if want := slices.Contains(tt.states, "SOMETHING_NEW"); (m.unknown > 0) != want {
				t.Errorf("unknown states counted %d, want some: %v", m.unknown, want)
			}
			if slices.Contains(tt.states, "SOMETHING_NEW") && !slices.ContainsFunc(a.Devices, func(d amigate.AgentDevice) bool { return d.State == "SOMETHING_NEW" }) {
				t.Errorf("devices %v do not show the state as received", a.Devices)
			}
		})
	}
}

// TestNotAgents: trunks, customers' Local channels and queue pseudo-devices
// are nobody's.
func TestNotAgents(t *testing.T) {
	p := New(Config{Devices: testDevices(t, office)})
	now := time.Unix(1795449000, 0)
	for _, dev := range []string{"PJSIP/trunk", "Local/5550300@from-trunk", "Queue:support_pause_Local/101@phones", "Queue:fpq", ""} {
		if evs := p.Handle(msg("Event", "DeviceStateChange", "Device", dev, "State", "INUSE"), now); len(evs) != 0 {
			t.Errorf("%q gave %d events", dev, len(evs))
		}
	}
	p.Handle(msg("Event", "ExtensionStatus", "Exten", "5550100", "Hint", "Local/101@phones", "Status", "0"), now)
	if n := p.Len(); n != 0 {
		t.Errorf("%d agents, want none: %+v", n, p.List())
	}
}

// TestMemberEvents: live QueueMemberAdded, Pause and Removed.
func TestMemberEvents(t *testing.T) {
	p := New(Config{Devices: testDevices(t, office)})
	now := time.Unix(1795449000, 0)
	member := func(event, paused, reason string) []amigate.CallEvent {
		now = now.Add(time.Second)
		return p.Handle(msg("Event", event, "Timestamp", "1795449000.5", "Queue", "support", "MemberName", "Agent 101", "Interface", "Local/101@phones",
			"StateInterface", "Local/101@phones", "CallsTaken", "3", "LastCall", "1795448000", "Paused", paused, "PausedReason", reason), now)
	}
	p.Handle(msg("Event", "ExtensionStatus", "Exten", "101", "Hint", "Local/101@phones", "Status", "0"), now)
	if got := types(member("QueueMemberAdded", "0", "")); !slices.Equal(got, []string{"agent.queue_joined"}) {
		t.Errorf("added: %v", got)
	}
	if got := types(member("QueueMemberPause", "1", "lunch")); !slices.Equal(got, []string{"agent.paused", "agent.state_changed"}) {
		t.Errorf("paused: %v", got)
	}
	if got := types(member("QueueMemberStatus", "1", "lunch")); len(got) != 0 {
		t.Errorf("status, unchanged: %v", got)
	}
	evs := member("QueueMemberRemoved", "", "")
	if got := types(evs); !slices.Equal(got, []string{"agent.queue_left", "agent.state_changed"}) {
		t.Errorf("removed: %v", got)
	}
	// Two events at one Timestamp keep increasing sequences and differ in id.
	if len(evs) == 2 && (evs[1].Sequence <= evs[0].Sequence || evs[0].ID == evs[1].ID) {
		t.Errorf("sequences %d, %d; ids %s, %s", evs[0].Sequence, evs[1].Sequence, evs[0].ID, evs[1].ID)
	}
	b, _ := json.Marshal(evs[0])
	if strings.Contains(string(b), `"call"`) || !strings.Contains(string(b), `"presence"`) {
		t.Errorf("agent event body %s: want a presence and no call", b)
	}
}

// TestDeterministicIDs: one stream, read twice, gives the same ids.
func TestDeterministicIDs(t *testing.T) {
	a, b := newReplay(t, office, nil), newReplay(t, office, nil)
	a.run("device_state")
	b.run("device_state")
	if len(a.events) == 0 || len(a.events) != len(b.events) {
		t.Fatalf("%d and %d events", len(a.events), len(b.events))
	}
	seen := map[string]bool{}
	for i := range a.events {
		if a.events[i].ID != b.events[i].ID {
			t.Errorf("event %d: ids %s and %s", i, a.events[i].ID, b.events[i].ID)
		}
		if seen[a.events[i].ID] {
			t.Errorf("id %s twice", a.events[i].ID)
		}
		seen[a.events[i].ID] = true
	}
}

// TestBounds: the agents and queues kept are bounded whatever the PBX says.
func TestBounds(t *testing.T) {
	p := New(Config{Devices: testDevices(t, office), MaxAgents: 3, MaxQueues: 2})
	now := time.Unix(1795449000, 0)
	for i := range 10 {
		ext := string(rune('0'+i)) + "00"
		p.Handle(msg("Event", "DeviceStateChange", "Device", "PJSIP/"+ext, "State", "NOT_INUSE"), now)
		for _, q := range []string{"a", "b", "c"} {
			p.Handle(msg("Event", "QueueMemberAdded", "Queue", q, "Interface", "PJSIP/"+ext, "Paused", "0"), now)
		}
	}
	if n := p.Len(); n != 3 {
		t.Errorf("%d agents, want 3", n)
	}
	for _, a := range p.List() {
		if len(a.Queues) != 2 {
			t.Errorf("%s in %d queues, want 2", a.Extension, len(a.Queues))
		}
	}
}
