package presence

import (
	"strconv"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
)

// memberRecord is what a queue member event (QueueMemberStatus, Added,
// Pause, or QueueStatus's QueueMember) says of one membership.
type memberRecord struct {
	ext, name, queue, iface string
	paused                  bool
	reason                  string
	taken                   int
	last                    int64
}

// readMember reads a queue member event; ok is false when the member is no
// agent's device.
func (t *Tracker) readMember(m *ami.Message) (r memberRecord, ok bool) {
	r.queue = m.Get("Queue")
	r.iface = m.Get("Interface")
	if r.iface == "" {
		r.iface = m.Get("Location") // QueueStatus's QueueMember
	}
	r.name = m.Get("MemberName")
	if r.name == "" {
		r.name = m.Get("Name")
	}
	if r.queue == "" || r.iface == "" {
		return r, false
	}
	r.ext, ok = t.cfg.Devices.Member(r.iface, r.name)
	if !ok {
		return r, false
	}
	r.paused = m.Get("Paused") == "1"
	if r.paused {
		r.reason = m.Get("PausedReason")
	}
	r.taken, _ = strconv.Atoi(m.Get("CallsTaken"))
	r.last, _ = strconv.ParseInt(m.Get("LastCall"), 10, 64)
	return r, true
}

// member applies QueueMemberStatus, QueueMemberAdded (added true) or
// QueueMemberPause. A membership first seen in a status event is recorded
// without an agent.queue_joined: it is not new, only new to the tracker.
func (t *Tracker) member(out []amigate.CallEvent, m *ami.Message, added bool, at, readAt time.Time) []amigate.CallEvent {
	r, ok := t.readMember(m)
	if !ok {
		return out
	}
	a := t.agent(r.ext)
	if a == nil {
		return out
	}
	out = t.applyMember(out, a, &r, added, at, readAt)
	return t.changed(out, a, at, readAt)
}

// applyMember records one membership and returns the events of what
// changed: joined (when announce), paused, unpaused.
func (t *Tracker) applyMember(out []amigate.CallEvent, a *agent, r *memberRecord, announce bool, at, readAt time.Time) []amigate.CallEvent {
	a.setName(r.name, t.cfg.Devices)
	q := a.queue(r.queue, r.iface)
	if q == nil {
		if len(a.queues) >= t.cfg.MaxQueues {
			t.cfg.Log.Warn("presence: too many queues for one agent; ignoring one", "extension", a.ext, "queue", r.queue, "max", t.cfg.MaxQueues)
			return out
		}
		a.queues = append(a.queues, member{queue: keep(r.queue), iface: keep(r.iface), paused: r.paused, reason: keep(truncate(r.reason, maxText)), taken: r.taken, last: r.last})
		if announce {
			out = t.emit(out, a, amigate.EventAgentQueueJoined, r.queue, "", at, readAt)
		}
		if r.paused {
			out = t.emit(out, a, amigate.EventAgentPaused, r.queue, r.reason, at, readAt)
		}
		return out
	}
	q.taken, q.last = r.taken, r.last
	switch {
	case r.paused && (!q.paused || q.reason != r.reason):
		q.paused, q.reason = true, keep(truncate(r.reason, maxText))
		out = t.emit(out, a, amigate.EventAgentPaused, q.queue, q.reason, at, readAt)
	case !r.paused && q.paused:
		q.paused, q.reason = false, ""
		out = t.emit(out, a, amigate.EventAgentUnpaused, q.queue, "", at, readAt)
	}
	return out
}

// memberRemoved applies QueueMemberRemoved.
func (t *Tracker) memberRemoved(out []amigate.CallEvent, m *ami.Message, at, readAt time.Time) []amigate.CallEvent {
	r, ok := t.readMember(m)
	if !ok {
		return out
	}
	a := t.agents[r.ext]
	if a == nil {
		return out
	}
	out = t.removeMember(out, a, r.queue, r.iface, at, readAt)
	if a.empty() {
		delete(t.agents, a.ext)
		return out
	}
	return t.changed(out, a, at, readAt)
}

func (t *Tracker) removeMember(out []amigate.CallEvent, a *agent, queue, iface string, at, readAt time.Time) []amigate.CallEvent {
	for i := range a.queues {
		if a.queues[i].queue == queue && a.queues[i].iface == iface {
			q := a.queues[i].queue
			a.queues = append(a.queues[:i], a.queues[i+1:]...)
			return t.emit(out, a, amigate.EventAgentQueueLeft, q, "", at, readAt)
		}
	}
	return out
}
