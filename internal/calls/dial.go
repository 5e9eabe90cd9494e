package calls

import (
	"slices"
	"strings"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/agent"
	"github.com/amigate/amigate/internal/ami"
)

// dialBegin handles one leg being dialled: the moment an agent's device
// starts ringing, and where the call's direction and customer are learnt.
// caller is nil for the dial an Originate performs.
func (t *Tracker) dialBegin(out []amigate.CallEvent, caller, dest *channel, m *ami.Message, readAt time.Time, ringNow bool) []amigate.CallEvent {
	if dest == nil {
		return out
	}
	c := dest.call
	if caller != nil && caller.call != c {
		if !t.mergeFresh(dest.call, caller.call) {
			return out
		}
		c = caller.call
	}
	switch {
	case caller == nil:
		if c.direction == "" && dest.ext != "" {
			c.direction = amigate.DirectionOutbound // the agent leg of a click-to-call
		}
		if c.campaign() != "" && dest.ext == "" {
			// A campaign's Originate dials the customer first: the
			// originated Local pair is the customer's side, and the
			// agent answers when a queue or the dialplan bridges it.
			markCust(dest)
		}
	case caller.ext != "" && !caller.cust && (c.direction == "" || !hasCust(c)):
		if dest.ext != "" {
			if c.direction == "" {
				c.direction = amigate.DirectionInternal
			}
			// Agent calls agent: the caller stands where a customer would
			// (the callee answers when bridged with it) but is named as
			// the calling agent, and the call has no customer.
			markCust(caller)
			c.addExt(caller.ext)
			if c.direction == amigate.DirectionInternal && !c.fixedCust {
				c.caller = caller.ext
				c.custNum, c.custName = "", ""
			}
		} else {
			if c.direction == "" {
				c.direction = amigate.DirectionOutbound
			}
			markCust(dest)
			if !c.fixedCust {
				c.custNum, c.custName = dialled(m), ""
			}
		}
	case caller.ext == "" && dest.ext != "" && c.direction == "":
		c.direction = amigate.DirectionInbound
		markCust(caller)
		c.custNum, c.custName = caller.cidNum, caller.cidName
	}
	dest.dialer = caller
	if c.blind != nil && caller != nil && caller.cust {
		// The transferred customer dials the target: an agent's device,
		// or a Local channel named after the extension that leads to one,
		// or else an outside number. A target that reads as a full number
		// in the home region is one even when its digits fit the extension
		// pattern (Local/89005556677@pstn), as call control decides.
		to := dialledNumber
		switch {
		case dest.ext != "":
			to = dest.ext
		case agent.IsLocal(dest.name) && strings.HasPrefix(dest.name[len("Local/"):], c.blind.to+"@") && t.match.isExtension(c.blind.to) && !t.fullNumber(c.blind.to):
			to = c.blind.to
		}
		out = t.reportBlind(out, c, to, readAt)
	}
	if dest.ext == "" {
		return out
	}
	c.addExt(dest.ext)
	dest.dialing = true
	if c.custNum == "" && caller == nil {
		// An unexpected Originate: the agent's phone shows the caller id
		// the Originate set, which is the customer's.
		if n := m.Get("DestCallerIDNum"); known(n) && n != dest.ext {
			c.custNum = keep(n)
		}
	}
	if ringNow {
		return t.ring(out, dest, eventTime(m, readAt), readAt)
	}
	return out
}

// ring emits call.ringing for an agent's device that was dialled and now
// rings (DialState RINGING, Newstate Ringing, or an answer without either):
// once per device, so a ring-all queue gives one per agent, and a busy
// device that never rang gives none.
func (t *Tracker) ring(out []amigate.CallEvent, dest *channel, at, readAt time.Time) []amigate.CallEvent {
	c := dest.call
	if dest.ext == "" || !dest.dialing || dest.rung || slices.Contains(c.ringing, dest.ext) {
		return out
	}
	dest.rung = true
	for _, ch := range c.channels {
		if ch != dest && ch.rung && ch.ext == dest.ext {
			// Another device of the same agent in the same chain rang
			// already (a FreePBX member and the phone it dials).
			return out
		}
	}
	c.ringing = append(c.ringing, dest.ext)
	if len(c.answered) == 0 {
		c.state = amigate.StateRinging
	}
	return t.emit(out, c, amigate.EventCallRinging, dest.uniqueid, "", dest.ext, nil, at, readAt)
}

// dialled is the number a DialBegin dials: the dialplan extension of the
// caller, else the destination's.
func dialled(m *ami.Message) string {
	for _, k := range []string{"Exten", "DestExten"} {
		if v := m.Get(k); v != "" && v != "s" {
			return keep(v)
		}
	}
	// Asterisk 11: only the dial string ("SIP/trunk/79001234567", "102").
	d := m.Get("DialString")
	if i := strings.LastIndexByte(d, '/'); i >= 0 {
		d = d[i+1:]
	}
	d, _, _ = strings.Cut(d, "@")
	return keep(d)
}

// dialEnd closes a dial: an answer from a device that never reported
// ringing still rings first, so that every agent who answers was rung.
func (t *Tracker) dialEnd(out []amigate.CallEvent, dest *channel, status string, at, readAt time.Time) []amigate.CallEvent {
	if dest == nil {
		return out
	}
	c := dest.call
	if status == "ANSWER" {
		out = t.ring(out, dest, at, readAt)
	}
	dest.dialing = false
	if dest.ext != "" {
		c.ringing = remove(c.ringing, dest.ext)
	}
	if status != "ANSWER" && status != "" {
		if status != "CANCEL" || c.dialStatus == "" {
			c.dialStatus = keep(status)
		}
	}
	return out
}

// hasCust reports whether the call already knows its customer's side.
func hasCust(c *call) bool {
	for _, ch := range c.channels {
		if ch.cust {
			return true
		}
	}
	return false
}

// markCust marks a channel, and the other half of its Local pair, as the
// customer's side.
func markCust(ch *channel) {
	ch.cust = true
	if ch.peer != nil && ch.peer.ext == "" {
		ch.peer.cust = true
	}
}

// mergeFresh moves the channels of src into dst when src is only a channel
// or a Local pair that has emitted nothing yet: a dial target whose
// Linkedid is not the caller's (Asterisk 11, or a Linkedid that moved).
func (t *Tracker) mergeFresh(src, dst *call) bool {
	if src.seq > 0 || len(src.channels) > 2 || src.expected && !dst.expected {
		return false
	}
	t.moveAll(src, dst)
	return true
}

// moveAll moves every channel of src into dst and forgets src; its
// Linkedids now lead to dst.
func (t *Tracker) moveAll(src, dst *call) {
	t.atxferStarted(src)
	for _, ch := range src.channels {
		ch.call = dst
		dst.channels = append(dst.channels, ch)
	}
	src.channels = nil
	delete(t.active, src.id)
	for _, l := range src.linkedids {
		t.byLinkedid[l] = dst
		dst.linkedids = append(dst.linkedids, l)
	}
	if src.actionID != "" && t.byAction[src.actionID] == src {
		delete(t.byAction, src.actionID)
	}
	for _, e := range src.exts {
		dst.addExt(e)
	}
	dst.seqBase = max(dst.seqBase, src.seqBase) // an adopted call's numbering stays above its past
}
