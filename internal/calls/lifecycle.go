package calls

import (
	"slices"

	"github.com/amigate/amigate"
)

// lifecycle is what a call has reported, so that its webhooks always read
// as a real call's: nothing after call.ended, no call.ringing of an agent
// after that agent's call.answered. (Another agent may ring after the
// answer: the target of a transfer; after a transfer any agent may ring
// again, the transferor too when the call comes back.) Sequences increase by construction:
// only an event that passes takes a number.
type lifecycle struct {
	answered []string // agents whose call.answered was sent ("" for none recognised)
}

// refuse is c.refuse, and refuses everything of a call whose id already
// ended (picked up again by a Reconcile from a channel that outlived what
// the tracker saw of it).
func (t *Tracker) refuse(c *call, typ, agent string) string {
	if _, ok := t.ended[c.id]; ok {
		return "after call.ended"
	}
	return c.refuse(typ, agent)
}

// refuse says why the call must not report typ for agent now, or "" when
// it may; a call.answered or call.ended it allows is recorded.
func (c *call) refuse(typ, agent string) string {
	l := &c.sent
	switch {
	case c.sentEnded:
		return "after call.ended"
	case typ == amigate.EventCallRinging && slices.Contains(l.answered, agent):
		return "call.ringing after the agent's call.answered"
	case typ == amigate.EventCallAnswered:
		if !slices.Contains(l.answered, agent) {
			l.answered = append(l.answered, agent)
		}
	case typ == amigate.EventCallTransferred:
		l.answered = l.answered[:0]
	case typ == amigate.EventCallEnded:
		c.sentEnded = true
	}
	return ""
}
