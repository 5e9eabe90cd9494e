package presence

import (
	"maps"
	"slices"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
)

// Snapshot is what the PBX and the call model say after a login (or after
// events were lost): the items of DeviceStateList, ExtensionStateList and
// QueueStatus, and the calls in progress once the call model resynced. A
// list that could not be read is nil with its OK false: what it would have
// told becomes unknown (devices, hints) or stays as it was (queues).
type Snapshot struct {
	Devices   []ami.Message // DeviceStateChange items
	DevicesOK bool
	Hints     []ami.Message // ExtensionStatus items
	HintsOK   bool
	Queues    []ami.Message // QueueParams and QueueMember items
	QueuesOK  bool
	Calls     []amigate.Call
}

// Resync replaces what the tracker knows by the snapshot and returns the
// agent events of the differences: memberships joined, left, paused or
// unpaused while the connection was down, and every state that changed.
// Call it at the point of the stream where the lists were complete.
func (t *Tracker) Resync(s Snapshot, now time.Time) []amigate.CallEvent {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, a := range t.agents {
		if s.DevicesOK {
			clear(a.devices)
			a.devices = a.devices[:0]
		} else {
			for i := range a.devices {
				a.devices[i].state, a.devices[i].raw = devUnknown, "UNKNOWN"
			}
		}
		a.hint = devNone
		a.calls = a.calls[:0]
	}
	for i := range s.Devices {
		m := &s.Devices[i]
		name := m.Get("Device")
		ext, ok := t.cfg.Devices.Extension(name)
		if !ok {
			continue
		}
		st, raw, known := parseDeviceState(m.Get("State"))
		if !known {
			t.unknownState("DeviceStateList", name, raw)
		}
		if a := t.agent(ext); a != nil {
			t.setDevice(a, name, st, raw)
		}
	}
	for i := range s.Hints {
		m := &s.Hints[i]
		exten := m.Get("Exten")
		if !hintNames(t.cfg.Devices, exten, m.Get("Hint")) {
			continue
		}
		st, gone, known := parseHintState(m.Get("Status"))
		if !known {
			t.unknownState("ExtensionStateList", exten, m.Get("Status"))
		}
		if a := t.agent(exten); a != nil && !gone {
			a.hint = st
			a.showHintDevice(m.Get("Hint"), m.Get("Status"))
		}
	}
	var out []amigate.CallEvent
	if s.QueuesOK {
		// The first lists say what the memberships are, not that they
		// are new; later ones tell what changed while events were lost.
		out = t.resyncQueues(out, s.Queues, t.queuesSynced, now)
		t.queuesSynced = true
	}
	t.resyncCalls(s.Calls)
	exts := slices.Sorted(maps.Keys(t.agents))
	for _, ext := range exts {
		if a := t.agents[ext]; a.empty() {
			delete(t.agents, ext)
		} else {
			out = t.changed(out, a, now, now)
		}
	}
	return out
}

// resyncQueues replaces every membership by QueueStatus's QueueMember items.
func (t *Tracker) resyncQueues(out []amigate.CallEvent, items []ami.Message, announce bool, now time.Time) []amigate.CallEvent {
	seen := map[*agent][]bool{} // per agent: which of its old memberships are still there
	for _, a := range t.agents {
		seen[a] = make([]bool, len(a.queues))
	}
	for i := range items {
		m := &items[i]
		if m.Event() != "QueueMember" {
			continue
		}
		r, ok := t.readMember(m)
		if !ok {
			continue
		}
		a := t.agent(r.ext)
		if a == nil {
			continue
		}
		if old, ok := seen[a]; ok {
			for j := range old {
				if j < len(a.queues) && a.queues[j].queue == r.queue && a.queues[j].iface == r.iface {
					old[j] = true
				}
			}
		}
		out = t.applyMember(out, a, &r, announce, now, now)
	}
	for _, ext := range slices.Sorted(maps.Keys(t.agents)) {
		a := t.agents[ext]
		old := seen[a]
		for j := len(old) - 1; j >= 0; j-- {
			if !old[j] {
				out = t.removeMember(out, a, a.queues[j].queue, a.queues[j].iface, now, now)
			}
		}
	}
	return out
}

// resyncCalls takes the calls in progress from the call model: the agent of
// an answered call talks in it (on hold when the call is), every agent
// rung for a call still ringing rings.
func (t *Tracker) resyncCalls(calls []amigate.Call) {
	for i := range calls {
		c := &calls[i]
		switch c.State {
		case amigate.StateRinging, amigate.StateDialing:
			for _, e := range c.Extensions {
				t.addCall(e, c, false, false)
			}
			if c.Agent != nil {
				t.addCall(c.Agent.Extension, c, false, false)
			}
		case amigate.StateAnswered, amigate.StateOnHold, amigate.StateTransferring:
			if c.Agent != nil {
				t.addCall(c.Agent.Extension, c, true, c.State == amigate.StateOnHold)
			}
			if c.Direction == amigate.DirectionInternal {
				for _, e := range c.Extensions {
					t.addCall(e, c, true, false)
				}
			}
		}
	}
}

func (t *Tracker) addCall(ext string, c *amigate.Call, answered, held bool) {
	a := t.agentOf(ext)
	if a == nil || a.call(c.ID) != nil || len(a.calls) >= maxCalls {
		return
	}
	a.calls = append(a.calls, callRef{id: keep(c.ID), linkedid: keep(c.Linkedid), answered: answered, held: held})
}
