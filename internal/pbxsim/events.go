package pbxsim

import (
	"strconv"
	"time"

	"github.com/amigate/amigate/internal/ami"
)

// Event builders: each returns a message with the headers, in the order,
// that Asterisk 22 sends (see testdata/ami). Callers hold PBX.mu.

// event starts an event: Event, Privilege ("call,all") and Timestamp.
func (p *PBX) event(name, class string) *ami.Message {
	m := &ami.Message{Fields: make([]ami.Field, 0, 24)}
	m.Add("Event", name)
	m.Add("Privilege", class+",all")
	m.Add("Timestamp", timestamp(p.now()))
	return m
}

func timestamp(t time.Time) string {
	us := t.UnixMicro()
	b := strconv.AppendInt(make([]byte, 0, 20), us/1e6, 10)
	b = append(b, '.')
	frac := strconv.AppendInt(make([]byte, 0, 6), us%1e6, 10)
	for i := len(frac); i < 6; i++ {
		b = append(b, '0')
	}
	return string(append(b, frac...))
}

// addChannel appends the standard channel snapshot with a prefix ("",
// "Dest", "LocalOne", "Transferer", ...).
func addChannel(m *ami.Message, prefix string, c *channel) {
	m.Add(prefix+"Channel", c.name)
	m.Add(prefix+"ChannelState", strconv.Itoa(c.state))
	m.Add(prefix+"ChannelStateDesc", stateDesc(c.state))
	m.Add(prefix+"CallerIDNum", c.cidNum)
	m.Add(prefix+"CallerIDName", c.cidName)
	m.Add(prefix+"ConnectedLineNum", c.connNum)
	m.Add(prefix+"ConnectedLineName", c.connName)
	m.Add(prefix+"Language", "en")
	m.Add(prefix+"AccountCode", "")
	m.Add(prefix+"Context", c.context)
	m.Add(prefix+"Exten", c.exten)
	m.Add(prefix+"Priority", strconv.Itoa(c.priority))
	m.Add(prefix+"Uniqueid", c.uniqueid)
	m.Add(prefix+"Linkedid", c.linkedid)
}

func addBridge(m *ami.Message, prefix string, b *bridge) {
	m.Add(prefix+"BridgeUniqueid", b.id)
	m.Add(prefix+"BridgeType", "basic")
	m.Add(prefix+"BridgeTechnology", "simple_bridge")
	m.Add(prefix+"BridgeCreator", "<unknown>")
	m.Add(prefix+"BridgeName", "<unknown>")
	m.Add(prefix+"BridgeNumChannels", strconv.Itoa(len(b.chans)))
	m.Add(prefix+"BridgeVideoSourceMode", "none")
}

func (p *PBX) chanEvent(name, class string, c *channel) *ami.Message {
	m := p.event(name, class)
	addChannel(m, "", c)
	return m
}

func (p *PBX) bridgeEvent(name string, b *bridge) *ami.Message {
	m := p.event(name, "call")
	addBridge(m, "", b)
	return m
}

// Channel steps: each changes the channel and emits what Asterisk emits.

func (p *PBX) newextenLocked(c *channel, app, data string) {
	c.app, c.appData = app, data
	m := p.chanEvent("Newexten", "dialplan", c)
	m.Add("Extension", c.exten)
	m.Add("Application", app)
	m.Add("AppData", data)
	p.emitLocked(m)
}

func (p *PBX) varsetLocked(c *channel, name, value string) {
	c.vars[name] = value
	m := p.chanEvent("VarSet", "dialplan", c)
	m.Add("Variable", name)
	m.Add("Value", value)
	p.emitLocked(m)
}

func (p *PBX) setCallerIDLocked(c *channel, num, name string) {
	c.cidNum, c.cidName = num, name
	m := p.chanEvent("NewCallerid", "call", c)
	m.Add("CID-CallingPres", "0 (Presentation Allowed, Not Screened)")
	p.emitLocked(m)
}

func (p *PBX) setConnectedLocked(c *channel, num, name string) {
	c.connNum, c.connName = num, name
	p.emitLocked(p.chanEvent("NewConnectedLine", "call", c))
}

func (p *PBX) newstateLocked(c *channel, state int) {
	if c.state == state {
		return
	}
	c.state = state
	if state == stateUp && c.answered.IsZero() {
		c.answered = p.now()
	}
	p.emitLocked(p.chanEvent("Newstate", "call", c))
	if state == stateUp && c.device != "" {
		p.deviceStateLocked(c.device, "INUSE")
	}
	c.notify()
}

func (p *PBX) localBridgeLocked(one, two *channel) {
	m := p.event("LocalBridge", "call")
	addChannel(m, "LocalOne", one)
	addChannel(m, "LocalTwo", two)
	m.Add("Context", two.context)
	m.Add("Exten", two.exten)
	m.Add("LocalOptimization", "Yes")
	p.emitLocked(m)
}

// dialEventLocked emits DialBegin/DialState/DialEnd; from is nil for the
// dial an Originate performs (only Dest* fields).
func (p *PBX) dialEventLocked(name string, from, dest *channel, last, value string) {
	m := p.event(name, "call")
	if from != nil {
		addChannel(m, "", from)
	}
	addChannel(m, "Dest", dest)
	m.Add(last, value)
	p.emitLocked(m)
}

func (p *PBX) bridgeEnterLocked(b *bridge, c *channel) {
	b.chans = append(b.chans, c)
	c.bridge = b
	m := p.bridgeEvent("BridgeEnter", b)
	addChannel(m, "", c)
	p.emitLocked(m)
}

func (p *PBX) bridgeLeaveLocked(c *channel) {
	b := c.bridge
	if b == nil {
		return
	}
	for i, x := range b.chans {
		if x == c {
			b.chans = append(b.chans[:i], b.chans[i+1:]...)
			break
		}
	}
	c.bridge = nil
	if r := c.redirect; r != nil {
		// Asterisk moves a redirected channel in the dialplan (async goto)
		// before it leaves the bridge: its BridgeLeave shows where it goes
		// (redirect_blind_transfer_via_dial.txt), which is how a Redirect
		// transfer shows in the stream.
		c.context, c.exten, c.priority = r.context, r.exten, r.priority
	}
	m := p.bridgeEvent("BridgeLeave", b)
	addChannel(m, "", c)
	p.emitLocked(m)
	for _, x := range b.chans {
		x.notify()
	}
}

func (p *PBX) causeEventLocked(name string, c *channel, cause int) {
	m := p.chanEvent(name, "call", c)
	m.Add("Cause", strconv.Itoa(cause))
	p.emitLocked(m)
}

// requestHangupLocked asks the channel's owner to hang it up, as a Local
// half does to its peer and AMI Hangup does (quiet: no HangupRequest event).
func (p *PBX) requestHangupLocked(c *channel, cause int, quiet bool) {
	if c.dead || c.hangupReq {
		return
	}
	if !quiet {
		p.causeEventLocked("HangupRequest", c, cause)
	}
	c.hangupReq, c.cause = true, cause
	c.notify()
}

// hangupLocked destroys a channel: its Local peer is asked to hang up first,
// then Hangup and, for A-legs, a Cdr.
func (p *PBX) hangupLocked(c *channel, cause int) {
	if c.dead {
		return
	}
	if c.ownCause != 0 {
		cause = c.ownCause
	}
	if c.peer != nil {
		p.requestHangupLocked(c.peer, cause, false)
	}
	if c.bridge != nil {
		p.bridgeLeaveLocked(c)
	}
	c.dead = true
	close(c.gone)
	delete(p.chans, c.name)
	if len(p.chans) == 0 && p.idle != nil {
		close(p.idle)
		p.idle = nil
	}
	m := p.chanEvent("Hangup", "call", c)
	m.Add("Cause", strconv.Itoa(cause))
	m.Add("Cause-txt", causeText(cause))
	p.emitLocked(m)
	if !c.bLeg {
		p.cdrLocked(c)
	}
	c.notify()
	if c.device != "" {
		p.deviceStateLocked(c.device, "NOT_INUSE")
	}
	if c.half != 1 && c.device != "" {
		if p.devUse[c.device]--; p.devUse[c.device] <= 0 {
			delete(p.devUse, c.device)
		}
		p.memberStatusLocked(c.device)
	}
}

func causeText(cause int) string {
	switch cause {
	case 0:
		return "Unknown"
	case 16:
		return "Normal Clearing"
	case 17:
		return "User busy"
	case 19:
		return "No answer"
	case 26:
		return "Answered elsewhere"
	case 34:
		return "Circuit/channel congestion"
	}
	return "Unknown"
}

func (p *PBX) cdrLocked(c *channel) {
	m := p.event("Cdr", "cdr")
	now := p.now()
	m.Add("AccountCode", "")
	src := c.cidNum
	if src == "<unknown>" {
		src = ""
	}
	m.Add("Source", src)
	m.Add("Destination", c.exten)
	m.Add("DestinationContext", c.context)
	m.Add("CallerID", c.callerID())
	m.Add("Channel", c.name)
	m.Add("DestinationChannel", c.dialed)
	m.Add("LastApplication", c.app)
	m.Add("LastData", c.appData)
	const layout = "2006-01-02 15:04:05"
	m.Add("StartTime", c.created.UTC().Format(layout))
	answer, disposition, billable := "", "NO ANSWER", 0
	if !c.answered.IsZero() {
		answer, disposition = c.answered.UTC().Format(layout), "ANSWERED"
		billable = int(now.Sub(c.answered).Seconds())
	} else if c.ownCause == 17 {
		disposition = "BUSY"
	}
	m.Add("AnswerTime", answer)
	m.Add("EndTime", now.UTC().Format(layout))
	m.Add("Duration", strconv.Itoa(int(now.Sub(c.created).Seconds())))
	m.Add("BillableSeconds", strconv.Itoa(billable))
	m.Add("Disposition", disposition)
	m.Add("AMAFlags", "DOCUMENTATION")
	m.Add("UniqueID", c.uniqueid)
	m.Add("UserField", "")
	p.emitLocked(m)
}
