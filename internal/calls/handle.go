package calls

import (
	"strconv"
	"strings"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
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
	switch name {
	case "Newchannel", "NewCallerid", "Newstate", "LocalBridge", "DialBegin", "DialEnd",
		"BridgeEnter", "BridgeLeave", "Hangup", "BlindTransfer", "AttendedTransfer",
		"QueueCallerJoin", "QueueCallerAbandon", "AgentCalled", "OriginateResponse",
		"VarSet", "Hold", "Unhold", "Rename",
		"Dial", "Bridge", "Link", "Unlink", "Join":
	default:
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.apply(nil, name, &m, readAt)
}

func (t *Tracker) apply(out []amigate.CallEvent, name string, m *ami.Message, readAt time.Time) []amigate.CallEvent {
	switch name {
	case "Newchannel":
		t.newChannel(m, eventTime(m, readAt))
	case "NewCallerid":
		t.newCallerID(m)
	case "Newstate":
		if ch := t.channels[m.Get("Uniqueid")]; ch != nil {
			update(&ch.state, m.Get("ChannelStateDesc"))
		}
	case "LocalBridge":
		one, two := t.channels[m.Get("LocalOneUniqueid")], t.channels[m.Get("LocalTwoUniqueid")]
		if one != nil && two != nil {
			one.peer, two.peer = two, one
		}
	case "DialBegin":
		return t.dialBegin(out, t.channels[m.Get("Uniqueid")], t.channels[m.Get("DestUniqueid")], m, readAt)
	case "DialEnd":
		t.dialEnd(t.channels[m.Get("DestUniqueid")], m.Get("DialStatus"))
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
		if m.Get("Variable") == "AMIGATE_CALL_ID" {
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

// newChannel puts a channel in the call of its Linkedid, or starts a call.
func (t *Tracker) newChannel(m *ami.Message, at time.Time) {
	uid := m.Get("Uniqueid")
	if uid == "" || t.channels[uid] != nil {
		return
	}
	linkedid := m.Get("Linkedid")
	if linkedid == "" {
		linkedid = uid // Asterisk 11: grouped later by Dial and Bridge
	}
	ch := &channel{
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
			id:         callID(linkedid),
			linkedids:  []string{keep(linkedid)},
			state:      amigate.StateDialing,
			started:    at,
			failReason: -1,
		}
		if old := t.active[c.id]; old != nil {
			c = old // a Linkedid seen again after a merge
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
}

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
	if ch.trunk && c.direction == amigate.DirectionInbound && !c.fixedCust {
		c.custNum, c.custName = ch.cidNum, ch.cidName
		if c.custName == c.custNum {
			c.custName = ""
		}
	}
}

// dialBegin handles one leg being dialled: the moment an agent's device
// starts ringing, and where the call's direction and customer are learnt.
// caller is nil for the dial an Originate performs.
func (t *Tracker) dialBegin(out []amigate.CallEvent, caller, dest *channel, m *ami.Message, readAt time.Time) []amigate.CallEvent {
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
	case caller.ext != "" && !caller.cust && !hasCust(c):
		if dest.ext != "" {
			if c.direction == "" {
				c.direction = amigate.DirectionInternal
			}
			markCust(caller)
			if !c.fixedCust {
				c.custNum, c.custName = caller.ext, caller.cidName
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
	if dest.ext == "" || dest.rung || contains(c.ringing, dest.ext) {
		return out
	}
	dest.rung = true
	c.ringing = append(c.ringing, dest.ext)
	c.addExt(dest.ext)
	if len(c.answered) == 0 {
		c.state = amigate.StateRinging
	}
	if c.custNum == "" && caller == nil {
		// An unexpected Originate: the agent's phone shows the caller id
		// the Originate set, which is the customer's.
		if n := m.Get("DestCallerIDNum"); known(n) && n != dest.ext {
			c.custNum = keep(n)
		}
	}
	at := eventTime(m, readAt)
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

func (t *Tracker) dialEnd(dest *channel, status string) {
	if dest == nil {
		return
	}
	c := dest.call
	if dest.ext != "" {
		c.ringing = remove(c.ringing, dest.ext)
	}
	if status != "ANSWER" && status != "" {
		if status != "CANCEL" || c.dialStatus == "" {
			c.dialStatus = keep(status)
		}
	}
}

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

func (t *Tracker) bridgeEnter(out []amigate.CallEvent, m *ami.Message, readAt time.Time) []amigate.CallEvent {
	ch := t.channels[m.Get("Uniqueid")]
	if ch == nil {
		return out
	}
	update(&ch.enterCtx, m.Get("Context"))
	update(&ch.enterExten, m.Get("Exten"))
	return t.enter(out, ch, m.Get("BridgeUniqueid"), eventTime(m, readAt), readAt)
}

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

func (t *Tracker) transferred(out []amigate.CallEvent, c *call, mode, from, to, chanID string, at, readAt time.Time) []amigate.CallEvent {
	x := &amigate.Transfer{FromExtension: from, ToExtension: to, Mode: mode}
	c.state = amigate.StateTransferring
	if t.match.isExtension(to) {
		c.addExt(to)
	}
	return t.emit(out, c, amigate.EventCallTransferred, chanID, mode+"\x00"+to, "", x, at, readAt)
}

func (t *Tracker) blindTransfer(out []amigate.CallEvent, m *ami.Message, readAt time.Time) []amigate.CallEvent {
	if m.Get("Result") != "Success" {
		return out
	}
	transferee := t.channels[m.Get("TransfereeUniqueid")]
	transferer := t.channels[m.Get("TransfererUniqueid")]
	var c *call
	switch {
	case transferee != nil:
		c = transferee.call
		c.xferUID = transferee.uniqueid
	case transferer != nil:
		c = transferer.call
	default:
		return out
	}
	from := t.match.agentExt(m.Get("TransfererChannel"))
	if transferer != nil && transferer.ext != "" {
		from = transferer.ext
	}
	return t.transferred(out, c, amigate.TransferBlind, from, keep(m.Get("Extension")), m.Get("TransfererUniqueid"), eventTime(m, readAt), readAt)
}

// attendedTransfer reports the transfer and, when the consultation was a
// call of its own (a phone's transfer key), moves the target's channels into
// the customer's call, which keeps its id.
func (t *Tracker) attendedTransfer(out []amigate.CallEvent, m *ami.Message, readAt time.Time) []amigate.CallEvent {
	if m.Get("Result") != "Success" {
		return out
	}
	transferee := t.channels[m.Get("TransfereeUniqueid")]
	orig := t.channels[m.Get("OrigTransfererUniqueid")]
	target := t.channels[m.Get("TransferTargetUniqueid")]
	var c *call
	switch {
	case transferee != nil:
		c = transferee.call
	case orig != nil:
		c = orig.call
	default:
		return out
	}
	from := t.match.agentExt(m.Get("OrigTransfererChannel"))
	to := t.match.agentExt(m.Get("TransferTargetChannel"))
	if to == "" {
		if e := m.Get("TransferTargetExten"); t.match.isExtension(e) {
			to = keep(e)
		}
	}
	at := eventTime(m, readAt)
	if target != nil && target.call != c {
		out = t.pull(out, target.call, c, from, at, readAt)
	}
	out = t.transferred(out, c, amigate.TransferAttended, from, to, m.Get("OrigTransfererUniqueid"), at, readAt)
	if len(c.answered) > 0 && to != "" && contains(c.answered, to) {
		c.agent = to
		c.state = amigate.StateAnswered
	}
	return out
}

// pull moves the channels of a consultation call that are not the
// transferer's into the customer's call; the consultation ends when its
// transferer legs hang up (or now, if nothing is left of it).
func (t *Tracker) pull(out []amigate.CallEvent, src, dst *call, transferer string, at, readAt time.Time) []amigate.CallEvent {
	var stay []*channel
	for _, ch := range src.channels {
		if ch.ext != "" && ch.ext == transferer {
			stay = append(stay, ch)
			continue
		}
		ch.call = dst
		ch.cust = false
		dst.channels = append(dst.channels, ch)
		dst.addExt(ch.ext)
	}
	src.channels = stay
	if len(stay) == 0 {
		return t.end(out, src, at, readAt)
	}
	return out
}

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
