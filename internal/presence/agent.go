package presence

import (
	"slices"
	"strings"
	"time"

	"github.com/amigate/amigate"
)

// agent is one agent's model: what its devices, hint, queue memberships
// and calls say. Its public state is derived from them (derive) and kept to
// tell changes.
type agent struct {
	ext, name string
	devices   []device
	hint      devState // the extension's hint (ExtensionStatus); devNone when not known
	queues    []member
	calls     []callRef

	state string    // last derived state
	since time.Time // when state began
	seq   int64     // last event sequence
}

// device is one device of an agent and its last reported state.
type device struct {
	name  string
	raw   string // as Asterisk reported it
	state devState
}

// member is one queue membership.
type member struct {
	queue, iface string
	paused       bool
	reason       string
	taken        int
	last         int64 // LastCall, Unix seconds; 0: never
}

// callRef is a call the agent rings for (answered false) or talks in.
type callRef struct {
	id, linkedid string
	answered     bool
	held         bool
}

// derive is the agent's state. The call model decides while the agent has
// calls (it tells ringing from talking, which Local devices do not: they
// are INUSE while ringing); otherwise the devices and hint do, and an
// agent available on its devices but paused in every one of its queues is
// paused. With nothing known, or a state not recognised, it is unknown.
func (a *agent) derive() string {
	if len(a.calls) > 0 {
		s := amigate.AgentRinging
		for _, c := range a.calls {
			switch {
			case c.held:
				return amigate.AgentOnHold
			case c.answered:
				s = amigate.AgentInCall
			}
		}
		return s
	}
	agg := a.hint
	for _, d := range a.devices {
		agg = max(agg, d.state)
	}
	s := agg.agentState()
	if s == amigate.AgentAvailable && len(a.queues) > 0 {
		for _, q := range a.queues {
			if !q.paused {
				return s
			}
		}
		return amigate.AgentPaused
	}
	return s
}

// presence is the agent as the API shows it.
func (a *agent) presence() amigate.AgentPresence {
	p := amigate.AgentPresence{
		Extension: a.ext,
		Name:      a.name,
		Devices:   make([]amigate.AgentDevice, len(a.devices)),
		State:     a.state,
		Calls:     make([]string, 0, len(a.calls)),
		Since:     a.since,
		Queues:    make([]amigate.AgentQueue, len(a.queues)),
	}
	for i, d := range a.devices {
		p.Devices[i] = amigate.AgentDevice{Name: d.name, State: d.raw}
	}
	for _, c := range a.calls {
		p.Calls = append(p.Calls, c.id)
	}
	for i, q := range a.queues {
		p.Queues[i] = amigate.AgentQueue{Queue: q.queue, Interface: q.iface, Paused: q.paused, PausedReason: q.reason, CallsTaken: q.taken}
		if q.last > 0 {
			t := time.Unix(q.last, 0).UTC()
			p.Queues[i].LastCallAt = &t
		}
	}
	return p
}

// empty reports whether nothing is known of the agent any more.
func (a *agent) empty() bool {
	return len(a.devices) == 0 && a.hint == devNone && len(a.queues) == 0 && len(a.calls) == 0
}

func (a *agent) device(name string) *device {
	for i := range a.devices {
		if a.devices[i].name == name {
			return &a.devices[i]
		}
	}
	return nil
}

func (a *agent) queue(queue, iface string) *member {
	for i := range a.queues {
		if a.queues[i].queue == queue && a.queues[i].iface == iface {
			return &a.queues[i]
		}
	}
	return nil
}

func (a *agent) call(id string) *callRef {
	for i := range a.calls {
		if a.calls[i].id == id {
			return &a.calls[i]
		}
	}
	return nil
}

func (a *agent) dropCall(id string) bool {
	n := len(a.calls)
	a.calls = slices.DeleteFunc(a.calls, func(c callRef) bool { return c.id == id })
	return len(a.calls) < n
}

// setName takes a queue member name as the agent's name unless it is only
// the extension or a device name.
func (a *agent) setName(name string, devs Devices) {
	if name == "" || name == a.name || name == a.ext || strings.IndexByte(name, '/') >= 0 {
		return
	}
	if _, ok := devs.Extension(name); ok {
		return
	}
	a.name = keep(truncate(name, maxText))
}

// maxText bounds the names and reasons kept from the PBX.
const maxText = 128

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// keep copies a substring of an AMI message so that the tracker does not
// pin the whole message.
func keep(s string) string { return strings.Clone(s) }
