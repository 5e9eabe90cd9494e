package calls

import (
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
		return out
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
	if contains(c.answered, ch.ext) {
		return out
	}
	c.answered = append(c.answered, ch.ext)
	if c.answerAt.IsZero() {
		c.answerAt = at
	}
	return t.emit(out, c, amigate.EventCallAnswered, ch.uniqueid, "", ch.ext, nil, at, readAt)
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
	return t.transferred(out, c, amigate.TransferBlind, c.agent, exten, ch.uniqueid, eventTime(m, readAt), readAt)
}
