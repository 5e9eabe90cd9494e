package pbxsim

import (
	"strings"
	"time"
)

// Variables Dial clears on the caller before dialling, in Asterisk's order.
var dialVars = []string{"DIALSTATUS", "DIALEDPEERNUMBER", "DIALEDPEERNAME", "ANSWEREDTIME",
	"ANSWEREDTIME_MS", "DIALEDTIME", "DIALEDTIME_MS", "RINGTIME", "RINGTIME_MS", "PROGRESSTIME",
	"PROGRESSTIME_MS"}

// splitLocal parses "Local/101@phones" (an optional "/n" suffix is dropped).
func splitLocal(dest string) (exten, context string, ok bool) {
	rest, ok := strings.CutPrefix(dest, "Local/")
	if !ok {
		return "", "", false
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	exten, context, ok = strings.Cut(rest, "@")
	return exten, context, ok && exten != "" && context != ""
}

// dialLegLocked creates the Local pair a Dial or Queue rings from caller
// c, with the events Asterisk sends before DialBegin, and starts the ;2
// dialplan. app is "AppDial" or "AppQueue".
func (t *thread) dialLegLocked(exten, context, app string) *channel {
	p, c := t.p, t.c
	one, two := p.newLocalLocked(exten, context, c.linkedid, "", "")
	one.bLeg = true
	c.dialed = one.name
	num := exten + "@" + context
	// Caller ids as app_dial and app_queue set them: the outgoing ;1 takes
	// the caller's extension (Dial: also as its number, the caller as its
	// connected line); the ;2 shows the caller, connected to what it dialled.
	if app == "AppDial" {
		p.varsetLocked(one, "DIALEDPEERNUMBER", num)
		one.exten = c.exten
		one.cidNum, one.cidName, one.connNum, one.connName = c.exten, c.cidName, c.cidNum, c.cidName
		p.newextenLocked(one, app, "(Outgoing Line)")
		p.setCallerIDLocked(one, one.cidNum, one.cidName)
		p.setConnectedLocked(one, one.connNum, one.connName)
	} else {
		one.exten = c.exten
		p.newextenLocked(one, app, "(Outgoing Line)")
		p.setCallerIDLocked(one, c.cidNum, c.cidName)
		p.varsetLocked(one, "DIALEDPEERNUMBER", num)
	}
	p.varsetLocked(two, "DIALEDPEERNUMBER", num)
	two.connNum, two.connName = c.exten, c.cidName
	if app != "AppDial" {
		two.connNum = c.cidNum
	}
	p.setCallerIDLocked(two, c.cidNum, c.cidName)
	p.setConnectedLocked(two, two.connNum, two.connName)
	p.localBridgeLocked(one, two)
	t.watchLocked(one)
	p.startThreadLocked(two, (*thread).runDialplan)
	return one
}

// dial runs Dial(dest,timeout[,tT]) on the thread's channel. It returns
// true when the channel must stop (it hung up, was redirected, or the bridge
// ended) and false when the dialplan goes on (busy, no answer, congestion).
func (t *thread) dial(dest string, transfer bool) bool {
	p, c := t.p, t.c
	exten, context, ok := splitLocal(dest)
	t.lock()
	for _, v := range dialVars {
		p.varsetLocked(c, v, "")
	}
	if !ok {
		p.varsetLocked(c, "DIALSTATUS", "CHANUNAVAIL")
		t.unlock()
		return false
	}
	one := t.dialLegLocked(exten, context, "AppDial")
	one.transferFeature, c.transferFeature = transfer, transfer
	p.dialEventLocked("DialBegin", c, one, "DialString", exten+"@"+context)
	t.flushPendingLocked()
	t.unlock()

	deadline := time.Now().Add(p.office.DialTimeout)
	ringing := false
	for {
		t.lock()
		status := ""
		switch {
		case c.dead || c.hangupReq || c.redirect != nil:
			p.dialEventLocked("DialEnd", c, one, "DialStatus", "CANCEL")
			cause := c.cause
			p.hangupLocked(one, cause)
			p.varsetLocked(c, "DIALSTATUS", "CANCEL")
			t.unlock()
			return true
		case one.control != "":
			status = strings.ToUpper(one.control)
		case one.dead || one.hangupReq:
			status = "NOANSWER"
		case !time.Now().Before(deadline):
			status = "NOANSWER"
		case one.state == stateUp:
			t.answeredLocked(one, exten+"@"+context)
			t.unlock()
			return t.bridged(one)
		case one.state == stateRinging && !ringing:
			ringing = true
			p.varsetLocked(c, "RINGTIME", "")
			p.varsetLocked(c, "RINGTIME_MS", "")
			p.ringingLocked(c)
			if c.half == 2 && c.context == "from-queue" {
				// A FreePBX member's Local device is in use once its
				// ;1 rings, and its queues say so (freepbx_queue.txt).
				p.deviceStateLocked(c.device, "INUSE")
				p.memberStatusLocked(c.device)
			}
			p.dialEventLocked("DialState", c, one, "DialStatus", "RINGING")
		}
		if status != "" {
			p.dialEventLocked("DialEnd", c, one, "DialStatus", status)
			p.hangupLocked(one, 0)
			p.varsetLocked(c, "DIALSTATUS", status)
			t.unlock()
			return !t.alive()
		}
		t.unlock()
		if !p.sleep(t.ctx, t.wake, time.Until(deadline)) {
			return true
		}
	}
}

// answeredLocked bridges the caller with the answered leg one.
func (t *thread) answeredLocked(one *channel, num string) {
	p, c := t.p, t.c
	p.varsetLocked(c, "DIALSTATUS", "ANSWER")
	p.varsetLocked(c, "DIALEDPEERNAME", one.name)
	p.varsetLocked(c, "DIALEDPEERNUMBER", num)
	one.exten = ""
	p.dialEventLocked("DialEnd", c, one, "DialStatus", "ANSWER")
	if c.state != stateUp {
		p.answerLocked(c)
	}
	b := p.newBridgeLocked()
	one.exten = ""
	p.newextenLocked(one, "AppDial", "(Outgoing Line)")
	p.bridgeEnterLocked(b, one)
	p.bridgeEnterLocked(b, c)
	p.varsetLocked(one, "BRIDGEPEER", c.name)
	p.varsetLocked(c, "BRIDGEPEER", one.name)
	ackLocked(one)
}

// postDialLocked sets what Dial (or Queue) sets on the caller when the
// bridge ends.
func (t *thread) postDialLocked() {
	for _, v := range []string{"ANSWEREDTIME", "ANSWEREDTIME_MS", "DIALEDTIME", "DIALEDTIME_MS"} {
		t.p.varsetLocked(t.c, v, "")
	}
	if !t.queued {
		t.p.varsetLocked(t.c, "DIALSTATUS", "ANSWER")
	}
}

// flushPendingLocked sends a held OriginateResponse.
func (t *thread) flushPendingLocked() {
	if !t.c.ackUp {
		ackLocked(t.c)
	}
	if t.pending != nil {
		t.pending()
		t.pending = nil
	}
}

// bridgeEndLocked reports why the bridge ends: "caller", "agent" (the
// dialled side) or "transfer" (AgentComplete's Reason).
func (t *thread) bridgeEndLocked(reason string) {
	if t.onBridgeEnd != nil {
		t.onBridgeEnd(reason)
		t.onBridgeEnd = nil
	}
}

// bridged waits while the thread's channel talks to one, until either side
// hangs up or is moved; it always returns true (the Dial is over).
func (t *thread) bridged(one *channel) bool {
	p, c := t.p, t.c
	for {
		t.lock()
		if one.bridge != nil && one.atxfer != nil {
			t.unlock()
			if t.attended(one) {
				return true
			}
			continue
		}
		switch {
		case one.redirect != nil && !one.dead && !c.dead && c.redirect == nil:
			// one is moved (BlindTransfer by c, Redirect): it leaves with
			// its own dialplan, c is left alone and hangs up.
			t.bridgeEndLocked("transfer")
			b := c.bridge
			p.varsetLocked(one, "BRIDGEPEER", "")
			p.varsetLocked(c, "BRIDGEPEER", "")
			p.bridgeLeaveLocked(one)
			p.startThreadLocked(one, (*thread).runDialplan)
			p.bridgeLeaveLocked(c)
			if b != nil {
				p.emitLocked(p.bridgeEvent("BridgeDestroy", b))
			}
			t.postDialLocked()
			if !c.hangupReq {
				c.hangupReq, c.cause = true, 16
			}
			t.unlock()
			return true
		case c.dead || c.hangupReq || c.redirect != nil:
			if c.redirect != nil {
				t.bridgeEndLocked("transfer")
			} else {
				t.bridgeEndLocked("caller")
			}
			if c.hangupReq && c.cause == 0 {
				c.cause = 16
			}
			b := c.bridge
			if b != nil {
				p.varsetLocked(c, "BRIDGEPEER", "")
				p.varsetLocked(one, "BRIDGEPEER", "")
				p.bridgeLeaveLocked(c)
			}
			if c.redirect == nil {
				t.postDialLocked()
			}
			t.kickLocked(one, b)
			t.unlock()
			return true
		case one.dead || one.hangupReq || one.redirect != nil || one.bridge == nil:
			t.bridgeEndLocked("agent")
			b := one.bridge
			if b == nil {
				b = c.bridge
			}
			p.varsetLocked(one, "BRIDGEPEER", "")
			p.varsetLocked(c, "BRIDGEPEER", "")
			if one.redirect != nil && !one.dead {
				p.bridgeLeaveLocked(one)
				p.startThreadLocked(one, (*thread).runDialplan)
			} else {
				p.hangupLocked(one, one.cause)
			}
			if c.bridge != nil {
				p.bridgeLeaveLocked(c)
			}
			if b != nil {
				p.emitLocked(p.bridgeEvent("BridgeDestroy", b))
			}
			t.postDialLocked()
			if !c.hangupReq && c.redirect == nil {
				c.hangupReq, c.cause = true, 16
			}
			t.unlock()
			return true
		}
		t.unlock()
		if !p.sleep(t.ctx, t.wake, -1) {
			return true
		}
	}
}

// kickLocked ends a bridge whose other member left: the remaining leg one
// leaves it and hangs up.
func (t *thread) kickLocked(one *channel, b *bridge) {
	p := t.p
	if one.bridge != nil {
		p.bridgeLeaveLocked(one)
	}
	if b != nil {
		p.emitLocked(p.bridgeEvent("BridgeDestroy", b))
	}
	p.hangupLocked(one, 16)
}
