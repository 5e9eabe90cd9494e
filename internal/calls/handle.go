package calls

import (
	"slices"

	"strconv"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/chanvar"
)

// Handle applies one AMI event, in stream order, and returns the call
// events it causes (usually none). Responses and events the correlator has
// no use for cost one string switch and take no lock.
func (t *Tracker) Handle(m ami.Message, readAt time.Time) []amigate.CallEvent {
	var name string
	if len(m.Fields) > 0 && ami.EqualFold(m.Fields[0].Name, "Event") {
		name = m.Fields[0].Value
	} else {
		name = m.Event()
	}
	used := uses(name)
	if !used && t.pendingAtxfers.Load() == 0 {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []amigate.CallEvent
	if len(t.atxfers) > 0 {
		// Any event tells the time: a transfer that did not start fails.
		out = t.atxferEvent(out, name, &m, readAt)
	}
	if !used {
		return out
	}
	return t.apply(out, name, &m, readAt)
}

// callIDVar is the channel variable call control sets to the call's id
// on an Originate (see adopt).
const callIDVar = chanvar.CallID

// uses tells the events apply dispatches.
func uses(name string) bool {
	switch name {
	case "Newchannel", "NewCallerid", "Newstate", "LocalBridge", "DialBegin", "DialState", "DialEnd",
		"BridgeEnter", "BridgeLeave", "Hangup", "BlindTransfer", "AttendedTransfer",
		"QueueCallerJoin", "QueueCallerAbandon", "AgentCalled", "OriginateResponse",
		"VarSet", "Hold", "Unhold", "Rename",
		"Dial", "Bridge", "Link", "Unlink", "Join":
		return true
	}
	return false
}

// Wants tells, from an event's raw text and without parsing it, whether
// Handle would do anything with it: a consumer parses only those (most of
// a busy PBX's stream is Newexten, VarSet of other variables, Cdr, RTCP
// and the like). It is false only where Handle would return nil having
// changed nothing; call it right before Handle, in the same goroutine.
func (t *Tracker) Wants(f ami.Frame) bool {
	if t.pendingAtxfers.Load() > 0 {
		return true // any event tells the time to a pending transfer
	}
	name := f.Event()
	if name == nil {
		return true // not led by its Event field: Handle looks further
	}
	if string(name) == "VarSet" {
		v, _ := f.Lookup("Variable")
		return string(v) == callIDVar
	}
	return uses(string(name))
}

// apply dispatches one event the correlator uses; t.mu is held.
func (t *Tracker) apply(out []amigate.CallEvent, name string, m *ami.Message, readAt time.Time) []amigate.CallEvent {
	switch name {
	case "Newchannel":
		t.newChannel(m, eventTime(m, readAt))
	case "NewCallerid":
		t.newCallerID(m)
	case "Newstate":
		if ch := t.channels[m.Get("Uniqueid")]; ch != nil {
			update(&ch.state, m.Get("ChannelStateDesc"))
			if m.Get("ChannelState") == "5" { // Ringing
				return t.ring(out, ch, eventTime(m, readAt), readAt)
			}
		}
	case "LocalBridge":
		one, two := t.channels[m.Get("LocalOneUniqueid")], t.channels[m.Get("LocalTwoUniqueid")]
		if one != nil && two != nil {
			one.peer, two.peer = two, one
		}
	case "DialBegin":
		return t.dialBegin(out, t.channels[m.Get("Uniqueid")], t.channels[m.Get("DestUniqueid")], m, readAt, false)
	case "DialState":
		if dest := t.channels[m.Get("DestUniqueid")]; dest != nil && m.Get("DialStatus") == "RINGING" {
			return t.ring(out, dest, eventTime(m, readAt), readAt)
		}
	case "DialEnd":
		return t.dialEnd(out, t.channels[m.Get("DestUniqueid")], m.Get("DialStatus"), eventTime(m, readAt), readAt)
	case "BridgeEnter":
		return t.bridgeEnter(out, m, readAt)
	case "BridgeLeave":
		return t.bridgeLeave(out, m, readAt)
	case "Hangup":
		return t.hangup(out, m, readAt)
	case "BlindTransfer":
		return t.blindTransfer(out, m, readAt)
	case "AttendedTransfer":
		return t.attendedTransfer(out, m, readAt)
	case "QueueCallerJoin", "AgentCalled", "Join":
		if ch := t.channels[m.Get("Uniqueid")]; ch != nil && ch.call.queue == "" {
			ch.call.queue = keep(m.Get("Queue"))
		}
	case "QueueCallerAbandon":
		if ch := t.channels[m.Get("Uniqueid")]; ch != nil {
			ch.call.abandoned = true
		}
	case "OriginateResponse":
		return t.originateResponse(out, m, readAt)
	case "VarSet":
		if m.Get("Variable") == callIDVar {
			t.adopt(t.channels[m.Get("Uniqueid")], m.Get("Value"))
		}
	case "Hold", "Unhold":
		if ch := t.channels[m.Get("Uniqueid")]; ch != nil && len(ch.call.answered) > 0 {
			ch.call.state = amigate.StateAnswered
			if name == "Hold" {
				ch.call.state = amigate.StateOnHold
			}
		}
	case "Rename":
		if ch := t.channels[m.Get("Uniqueid")]; ch != nil {
			update(&ch.name, m.Get("Newname"))
		}
	default:
		return t.legacy(out, name, m, readAt)
	}
	return out
}

// newChannel puts a channel in the call of its Linkedid, or starts a call
// (started reports it). It returns the channel, nil when it was known or
// has no Uniqueid.
func (t *Tracker) newChannel(m *ami.Message, at time.Time) (ch *channel, started bool) {
	uid := m.Get("Uniqueid")
	if uid == "" || t.channels[uid] != nil {
		return nil, false
	}
	linkedid := m.Get("Linkedid")
	if linkedid == "" {
		linkedid = uid // Asterisk 11: grouped later by Dial and Bridge
	}
	ch = &channel{
		uniqueid: keep(uid),
		name:     keep(m.Get("Channel")),
		state:    keep(m.Get("ChannelStateDesc")),
	}
	ch.ext = t.match.agentExt(ch.name)
	context, exten := m.Get("Context"), m.Get("Exten")
	ch.trunk = ch.ext == "" && t.match.trunks[context]
	ch.cust = ch.trunk
	if n := m.Get("CallerIDNum"); known(n) {
		ch.cidNum = keep(n)
	}
	if n := m.Get("CallerIDName"); known(n) {
		ch.cidName = keep(n)
	}
	c := t.byLinkedid[linkedid]
	if c == nil {
		c = &call{
			id:         unexpectedCallID(linkedid),
			linkedids:  []string{keep(linkedid)},
			state:      amigate.StateDialing,
			started:    at,
			failReason: -1,
		}
		if old := t.active[c.id]; old != nil {
			c = old // a Linkedid seen again after a merge
		} else {
			started = true
		}
		t.active[c.id] = c
		t.byLinkedid[c.linkedids[0]] = c
	}
	if len(c.channels) == 0 && c.direction == "" && ch.trunk {
		c.direction = amigate.DirectionInbound
		if exten != "" && exten != "s" {
			c.did = keep(exten)
		}
		c.custNum, c.custName = ch.cidNum, ch.cidName
	}
	ch.call = c
	c.channels = append(c.channels, ch)
	t.channels[ch.uniqueid] = ch
	t.atxferStarted(c) // a new channel in the call: the consultation
	return ch, started
}

// newCallerID follows caller id changes: the customer's number and name
// often arrive after the trunk channel.
func (t *Tracker) newCallerID(m *ami.Message) {
	ch := t.channels[m.Get("Uniqueid")]
	if ch == nil {
		return
	}
	if n := m.Get("CallerIDNum"); known(n) {
		update(&ch.cidNum, n)
	}
	if n := m.Get("CallerIDName"); known(n) {
		update(&ch.cidName, n)
	}
	c := ch.call
	if slices.Contains(c.exts, ch.cidNum) {
		// The agent's number leaking back to the customer's side as its
		// connected line (a Local channel pair passes it on: hold_unhold):
		// not the customer.
		return
	}
	if ch.trunk && c.direction == amigate.DirectionInbound && !c.fixedCust {
		c.custNum, c.custName = ch.cidNum, ch.cidName
		if c.custName == c.custNum {
			c.custName = ""
		}
	}
}

// adopt moves a channel's call into the expected call named by its
// AMIGATE_CALL_ID variable, for an Asterisk that ignored ChannelId.
func (t *Tracker) adopt(ch *channel, id string) {
	if ch == nil || ch.call.id == id {
		return
	}
	dst := t.active[id]
	if dst == nil || !dst.expected || dst.seq > 0 || ch.call.seq > 0 || ch.call.expected {
		return
	}
	src := ch.call
	dst.started = minTime(dst.started, src.started)
	t.moveAll(src, dst)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// hangup removes a channel, keeps the cause that explains the call's end
// best (the first non-zero one on the customer's side, else the first
// non-zero one), and ends the call with its last channel.
func (t *Tracker) hangup(out []amigate.CallEvent, m *ami.Message, readAt time.Time) []amigate.CallEvent {
	ch := t.channels[m.Get("Uniqueid")]
	if ch == nil {
		return out
	}
	c := ch.call
	cause, err := strconv.Atoi(m.Get("Cause"))
	if err == nil && (!c.causeSet || c.cause == 0 && cause != 0 || !c.causeCust && ch.cust && cause != 0) {
		c.cause, c.causeText, c.causeSet = cause, keep(m.Get("Cause-txt")), true
		c.causeCust = ch.cust
	}
	t.drop(ch)
	if len(c.channels) == 0 {
		return t.end(out, c, eventTime(m, readAt), readAt)
	}
	return out
}

// drop removes a channel that is gone from every index.
func (t *Tracker) drop(ch *channel) {
	t.leave(ch)
	if ch.peer != nil {
		ch.peer.peer = nil
		ch.peer = nil
	}
	ch.dialer = nil
	for _, x := range ch.call.channels {
		if x.dialer == ch {
			x.dialer = nil
		}
	}
	if ch.ext != "" {
		ch.call.ringing = remove(ch.call.ringing, ch.ext)
	}
	ch.call.removeChannel(ch)
	delete(t.channels, ch.uniqueid)
}

// originateResponse ends an expected click-to-call whose Originate failed.
// A failed async OriginateResponse carries Uniqueid "<unknown>": only its
// ActionID names the call.
func (t *Tracker) originateResponse(out []amigate.CallEvent, m *ami.Message, readAt time.Time) []amigate.CallEvent {
	c := t.byAction[m.ActionID()]
	if c == nil {
		return out
	}
	delete(t.byAction, c.actionID)
	if m.Response() != "Failure" {
		return out
	}
	c.failReason, _ = strconv.Atoi(m.Get("Reason"))
	if c.failReason < 0 {
		c.failReason = 0
	}
	if len(c.channels) == 0 {
		return t.end(out, c, eventTime(m, readAt), readAt)
	}
	return out // ends with its last channel
}
