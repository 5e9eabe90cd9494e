package presence

import (
	"slices"
	"testing"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
)

func msg(kv ...string) ami.Message {
	var m ami.Message
	for i := 0; i+1 < len(kv); i += 2 {
		m.Add(kv[i], kv[i+1])
	}
	return m
}

func queueMember(queue, iface, name, paused, reason string) ami.Message {
	return msg("Event", "QueueMember", "Queue", queue, "Name", name, "Location", iface, "StateInterface", iface,
		"CallsTaken", "0", "LastCall", "0", "Paused", paused, "PausedReason", reason, "ActionID", "qs")
}

// TestResyncMidCall: after a reconnect in the middle of a queue call the
// agent who answered is in the call by its id, whatever the devices said
// before; the one who lost the race is available.
func TestResyncMidCall(t *testing.T) {
	r := newReplay(t, office, nil)
	// Up to the point the call is answered.
	var active []amigate.Call
	for _, m := range readStream(t, "incoming_queue") {
		r.read = m.Time(r.read)
		if m.IsEvent() {
			r.handle(m)
		}
		if active = r.calls.List(amigate.CallFilter{State: amigate.StateAnswered}); len(active) > 0 {
			break
		}
	}
	if len(active) != 1 || active[0].Agent == nil {
		t.Fatalf("call model has %+v, want one answered call", active)
	}
	// A fresh tracker (a restart) and the old one (a reconnect) agree.
	for name, p := range map[string]*Tracker{"reconnect": r.p, "restart": New(Config{Devices: testDevices(t, office)})} {
		p.Resync(Snapshot{
			DevicesOK: true, HintsOK: true, QueuesOK: true,
			Hints: []ami.Message{
				msg("Event", "ExtensionStatus", "Exten", "101", "Hint", "Local/101@phones", "Status", "1"),
				msg("Event", "ExtensionStatus", "Exten", "102", "Hint", "Local/102@phones", "Status", "0"),
			},
			Queues: []ami.Message{queueMember("support", "Local/101@phones", "Agent 101", "0", ""), queueMember("support", "Local/102@phones", "Agent 102", "0", "")},
			Calls:  active,
		}, r.read)
		talker, other := active[0].Agent.Extension, "102"
		if talker == "102" {
			other = "101"
		}
		a, _ := p.Get(talker)
		if a.State != amigate.AgentInCall || !slices.Equal(a.Calls, []string{active[0].ID}) {
			t.Errorf("%s: %s is %s in %v, want in_call in [%s]", name, talker, a.State, a.Calls, active[0].ID)
		}
		if b, _ := p.Get(other); b.State == amigate.AgentRinging || b.State == amigate.AgentInCall && len(b.Calls) > 0 {
			t.Errorf("%s: %s is %s in %v, want not in the call", name, other, b.State, b.Calls)
		}
	}
}

// TestResyncQueueChanges: memberships that changed while the connection
// was down give their events at the next resync; the first resync only
// says what they are.
func TestResyncQueueChanges(t *testing.T) {
	p := New(Config{Devices: testDevices(t, office)})
	now := time.Unix(1795449000, 0)
	snap := func(members ...ami.Message) Snapshot {
		return Snapshot{DevicesOK: true, HintsOK: true, QueuesOK: true, Queues: members,
			Devices: []ami.Message{msg("Event", "DeviceStateChange", "Device", "PJSIP/201", "State", "NOT_INUSE")}}
	}
	first := p.Resync(snap(queueMember("support", "PJSIP/201", "Ann", "0", ""), queueMember("sales", "PJSIP/201", "Ann", "0", "")), now)
	if got := types(first); !slices.Equal(got, []string{"agent.state_changed"}) {
		t.Errorf("first resync gave %v, want one state change", got)
	}
	second := p.Resync(snap(queueMember("support", "PJSIP/201", "Ann", "1", "lunch"), queueMember("vip", "PJSIP/201", "Ann", "0", "")), now.Add(time.Minute))
	want := []string{"agent.paused", "agent.queue_joined", "agent.queue_left"}
	if got := types(second); !slices.Equal(got, want) {
		t.Errorf("second resync gave %v, want %v", got, want)
	}
	a, _ := p.Get("201")
	if a.Name != "Ann" || len(a.Queues) != 2 || a.State != amigate.AgentAvailable {
		t.Errorf("agent %+v, want Ann in support and vip, available (not paused in vip)", a)
	}
	third := p.Resync(snap(queueMember("support", "PJSIP/201", "Ann", "1", "lunch")), now.Add(2*time.Minute))
	if got := types(third); !slices.Equal(got, []string{"agent.queue_left", "agent.state_changed"}) {
		t.Errorf("third resync gave %v, want queue_left, state_changed", got)
	}
	if a, _ := p.Get("201"); a.State != amigate.AgentPaused {
		t.Errorf("paused in every queue: %s, want paused", a.State)
	}
}

// TestResyncUnreadLists: a list the service could not read leaves the
// devices unknown rather than as they were.
func TestResyncUnreadLists(t *testing.T) {
	p := New(Config{Devices: testDevices(t, office)})
	now := time.Unix(1795449000, 0)
	p.Handle(msg("Event", "DeviceStateChange", "Device", "PJSIP/201", "State", "NOT_INUSE"), now)
	if a, _ := p.Get("201"); a.State != amigate.AgentAvailable {
		t.Fatalf("state %s, want available", a.State)
	}
	evs := p.Resync(Snapshot{}, now)
	if a, _ := p.Get("201"); a.State != amigate.AgentUnknown || a.Devices[0].State != "UNKNOWN" {
		t.Errorf("after a resync without lists: %+v, want unknown", a)
	}
	if got := types(evs); !slices.Equal(got, []string{"agent.state_changed"}) || evs[0].PreviousState != amigate.AgentAvailable {
		t.Errorf("events %v, want one state change from available", got)
	}
}

func types(evs []amigate.CallEvent) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return out
}

// TestHintDevices: after a login a Local device is known only by its hint
// (DeviceStateList leaves it out): a hint of one device shows that device
// with the hint's state; a hint of several cannot say which is which.
func TestHintDevices(t *testing.T) {
	p := New(Config{Devices: testDevices(t, office)})
	p.Resync(Snapshot{DevicesOK: true, HintsOK: true, Hints: []ami.Message{
		msg("Event", "ExtensionStatus", "Exten", "101", "Hint", "Local/101@phones", "Status", "1"),
		msg("Event", "ExtensionStatus", "Exten", "201", "Hint", "PJSIP/201&Custom:DND201", "Status", "0"),
	}}, time.Unix(1795449000, 0))
	a, _ := p.Get("101")
	if len(a.Devices) != 1 || a.Devices[0] != (amigate.AgentDevice{Name: "Local/101@phones", State: "INUSE"}) || a.State != amigate.AgentInCall {
		t.Errorf("101: %+v, want Local/101@phones INUSE, in_call", a)
	}
	b, _ := p.Get("201")
	if len(b.Devices) != 0 || b.State != amigate.AgentAvailable {
		t.Errorf("201: %+v, want no device listed, available", b)
	}
}
