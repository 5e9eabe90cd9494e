package calls

import (
	"slices"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
)

// bridgeEnter notes where the channel stands in the dialplan, to tell a
// Redirect later, and puts it in the bridge.
func (t *Tracker) bridgeEnter(out []amigate.CallEvent, m *ami.Message, readAt time.Time) []amigate.CallEvent {
	ch := t.channels[m.Get("Uniqueid")]
	if ch == nil {
		return out
	}
	update(&ch.enterCtx, m.Get("Context"))
	update(&ch.enterExten, m.Get("Exten"))
	return t.enter(out, ch, m.Get("BridgeUniqueid"), eventTime(m, readAt), readAt)
}

// enter puts a channel in a bridge (leaving any other) and looks at what
// the bridge now connects.
func (t *Tracker) enter(out []amigate.CallEvent, ch *channel, id string, at, readAt time.Time) []amigate.CallEvent {
	if ch.bridge != nil {
		t.leave(ch)
	}
	b := t.bridges[id]
	if b == nil {
		b = &bridge{id: keep(id)}
		t.bridges[b.id] = b
	}
	b.members = append(b.members, ch)
	ch.bridge = b
	return t.connect(out, b, at, readAt, 0)
}

// connect looks at a bridge after a change: a Local half bridged with the
// customer's side carries the customer to its other half, and an agent's
// device bridged with the customer's side has answered.
func (t *Tracker) connect(out []amigate.CallEvent, b *bridge, at, readAt time.Time, depth int) []amigate.CallEvent {
	if depth > 8 {
		return out
	}
	cust := false
	for _, m := range b.members {
		cust = cust || m.cust
	}
	if !cust {
		return t.unrecognised(out, b, at, readAt)
	}
	for _, m := range b.members {
		if m.ext == "" && !m.cust && m.peer != nil && !m.peer.cust && m.peer.ext == "" {
			m.peer.cust = true
			if m.peer.bridge != nil && m.peer.bridge != b {
				out = t.connect(out, m.peer.bridge, at, readAt, depth+1)
			}
		}
	}
	for _, m := range b.members {
		if m.ext != "" && !m.cust {
			out = t.answer(out, m, at, readAt)
		}
	}
	return t.unrecognised(out, b, at, readAt)
}

// unrecognised answers a call whose customer is connected with something no
// device template recognises, nor any Local channel chain behind it leads
// to (or, in a call with no customer side at all, two such channels are
// bridged): the call is answered, by no known agent, rather than left to
// end as canceled with no talk time. The operator is told which channel
// it was, to add its template.
func (t *Tracker) unrecognised(out []amigate.CallEvent, b *bridge, at, readAt time.Time) []amigate.CallEvent {
	if len(b.members) < 2 {
		return out
	}
	c := b.members[0].call
	if c.isAnswered() {
		return out
	}
	// Helper bridges of Local pairs with no customer in them say nothing;
	// with no customer side in the call at all, the bridge is the call.
	cust, inBridge := hasCust(c), false
	var other *channel
	for _, m := range b.members {
		if m.ext != "" || reachesAgent(m) {
			return out // an agent is, or will be, there
		}
		inBridge = inBridge || m.cust
		if other == nil && (!m.cust || !cust) {
			other = m
		}
	}
	if other == nil || cust && !inBridge {
		return out
	}
	c.unrecognised = keep(other.name)
	c.state = amigate.StateAnswered
	if c.answerAt.IsZero() {
		c.answerAt = at
	}
	t.cfg.Logger.Warn("customer connected with no recognised agent device: add its template to AMIGATE_DIAL_AGENT_CHANNEL",
		"call_id", c.id, "channel", other.name)
	t.cfg.Metrics.UnrecognisedAgent()
	return t.emit(out, c, amigate.EventCallAnswered, other.uniqueid, "", "", nil, at, readAt)
}

// reachesAgent reports whether a Local half leads to an agent's device.
func reachesAgent(ch *channel) bool { return agentBehind(ch) != "" }

// agentBehind returns the agent extension a Local half leads to: its other
// half is bridged with an agent's device, or has dialled one (FreePBX
// from-queue members: Local/101@from-queue dials the phone), through at
// most a few Local pairs; "" when none.
func agentBehind(ch *channel) string {
	for depth := 0; depth < 4 && ch != nil; depth++ {
		p := ch.peer
		if p == nil {
			return ""
		}
		for _, x := range p.call.channels {
			if x.dialer == p && x.ext != "" {
				return x.ext
			}
		}
		if p.bridge == nil {
			return ""
		}
		var next *channel
		for _, m := range p.bridge.members {
			switch {
			case m == p:
			case m.ext != "":
				return m.ext
			case m.peer != nil && next == nil:
				next = m
			}
		}
		ch = next
	}
	return ""
}

// bridgeAgent returns an agent in a bridge, or behind a Local channel in
// it, other than the extension except; "" when none.
func (t *Tracker) bridgeAgent(id, except string) string {
	b := t.bridges[id]
	if b == nil {
		return ""
	}
	for _, m := range b.members {
		ext := m.ext
		if ext == "" {
			ext = agentBehind(m)
		}
		if ext != "" && ext != except {
			return ext
		}
	}
	return ""
}

// leave takes a channel out of its bridge; an empty bridge is forgotten.
func (t *Tracker) leave(ch *channel) {
	b := ch.bridge
	if b == nil {
		return
	}
	ch.bridge = nil
	for i, x := range b.members {
		if x == ch {
			b.members = append(b.members[:i], b.members[i+1:]...)
			break
		}
	}
	if len(b.members) == 0 {
		delete(t.bridges, b.id)
	}
}

// bridgeLeave also recognises a blind transfer made by Redirect: the
// customer's channel leaves the bridge somewhere else in the dialplan.
func (t *Tracker) bridgeLeave(out []amigate.CallEvent, m *ami.Message, readAt time.Time) []amigate.CallEvent {
	ch := t.channels[m.Get("Uniqueid")]
	if ch == nil || ch.bridge == nil || ch.bridge.id != m.Get("BridgeUniqueid") {
		return out
	}
	t.leave(ch)
	c := ch.call
	ctx, exten := m.Get("Context"), m.Get("Exten")
	if !ch.cust || ch.ext != "" || len(c.answered) == 0 || ctx == "" ||
		(ctx == ch.enterCtx && exten == ch.enterExten) {
		return out
	}
	if c.xferUID == ch.uniqueid {
		c.xferUID = "" // the BlindTransfer event told it already
		return out
	}
	out = t.blindTransferred(out, c, c.agent, keep(exten), ch.uniqueid, eventTime(m, readAt), readAt)
	if ext, ok := t.match.devices.Extension("Local/" + exten + "@" + ctx); ok {
		// Redirected into the dialplan of an agent's Local device (phones,102):
		// the customer now runs what dialling that device would.
		out = t.reportBlind(out, c, ext, readAt)
	}
	return out
}

// answer records an agent connected with the customer: call.answered once
// per agent extension (again after a transfer, for the new agent).
func (t *Tracker) answer(out []amigate.CallEvent, ch *channel, at, readAt time.Time) []amigate.CallEvent {
	c := ch.call
	ch.dialing = false // a DialEnd ANSWER after the bridge rings nothing
	c.ringing = remove(c.ringing, ch.ext)
	c.agent = ch.ext
	c.addExt(ch.ext)
	c.state = amigate.StateAnswered
	if slices.Contains(c.answered, ch.ext) {
		return out
	}
	c.answered = append(c.answered, ch.ext)
	if c.answerAt.IsZero() {
		c.answerAt = at
	}
	return t.emit(out, c, amigate.EventCallAnswered, ch.uniqueid, "", ch.ext, nil, at, readAt)
}
