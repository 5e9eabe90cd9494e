package presence

import (
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
)

// CallEvents applies the call model's events (in the order it returned
// them, right after the AMI event that caused them) and returns the agent
// events they cause: an agent rung for a call rings, the one who answered
// talks, the others stop ringing, a call that ended or was transferred
// away leaves its agents.
func (t *Tracker) CallEvents(evs []amigate.CallEvent) []amigate.CallEvent {
	if len(evs) == 0 {
		return nil
	}
	var out []amigate.CallEvent
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range evs {
		out = t.callEvent(out, &evs[i])
	}
	return out
}

func (t *Tracker) callEvent(out []amigate.CallEvent, ev *amigate.CallEvent) []amigate.CallEvent {
	c := &ev.Call
	var ext string
	if ev.Agent != nil {
		ext = ev.Agent.Extension
	}
	switch ev.Type {
	case amigate.EventCallRinging:
		if a := t.agentOf(ext); a != nil && a.call(c.ID) == nil && len(a.calls) < maxCalls {
			a.calls = append(a.calls, callRef{id: keep(c.ID), linkedid: keep(c.Linkedid)})
			out = t.changed(out, a, ev.OccurredAt, ev.ReadAt)
		}
	case amigate.EventCallAnswered:
		if a := t.agentOf(ext); a != nil {
			if r := a.call(c.ID); r != nil {
				r.answered = true
			} else if len(a.calls) < maxCalls {
				a.calls = append(a.calls, callRef{id: keep(c.ID), linkedid: keep(c.Linkedid), answered: true})
			}
			out = t.changed(out, a, ev.OccurredAt, ev.ReadAt)
		}
		if c.Direction == amigate.DirectionInternal { // the calling agent talks too
			for _, e := range c.Extensions {
				if a := t.agentOf(e); a != nil && e != ext && a.call(c.ID) == nil && len(a.calls) < maxCalls {
					a.calls = append(a.calls, callRef{id: keep(c.ID), linkedid: keep(c.Linkedid), answered: true})
					out = t.changed(out, a, ev.OccurredAt, ev.ReadAt)
				}
			}
		}
		for _, e := range c.Extensions { // the others rung stop ringing
			if a := t.agents[e]; a != nil && e != ext {
				if r := a.call(c.ID); r != nil && !r.answered {
					a.dropCall(c.ID)
					out = t.changed(out, a, ev.OccurredAt, ev.ReadAt)
				}
			}
		}
	case amigate.EventCallTransferred:
		if ev.Transfer != nil {
			if a := t.agents[ev.Transfer.FromExtension]; a != nil && a.dropCall(c.ID) {
				out = t.changed(out, a, ev.OccurredAt, ev.ReadAt)
			}
		}
	case amigate.EventCallEnded:
		for _, e := range c.Extensions {
			if a := t.agents[e]; a != nil && a.dropCall(c.ID) {
				out = t.changed(out, a, ev.OccurredAt, ev.ReadAt)
			}
		}
		if c.Agent != nil {
			if a := t.agents[c.Agent.Extension]; a != nil && a.dropCall(c.ID) {
				out = t.changed(out, a, ev.OccurredAt, ev.ReadAt)
			}
		}
	}
	return out
}

// agentOf returns the agent of an extension the call model named.
func (t *Tracker) agentOf(ext string) *agent {
	if ext == "" {
		return nil
	}
	return t.agent(ext)
}

// hold applies Hold or Unhold on an agent's channel (a SIP phone's
// re-INVITE, or the agent's side of an attended transfer): the agent's
// call of that Linkedid is on hold.
func (t *Tracker) hold(out []amigate.CallEvent, m *ami.Message, held bool, at, readAt time.Time) []amigate.CallEvent {
	ext, ok := t.cfg.Devices.Extension(m.Get("Channel"))
	if !ok {
		return out
	}
	a := t.agents[ext]
	if a == nil {
		return out
	}
	linkedid := m.Get("Linkedid")
	for i := range a.calls {
		if c := &a.calls[i]; c.linkedid == linkedid && c.answered {
			c.held = held
		}
	}
	return t.changed(out, a, at, readAt)
}
