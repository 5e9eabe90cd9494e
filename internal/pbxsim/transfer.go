package pbxsim

import "github.com/amigate/amigate/internal/ami"

// atxfer starts an attended transfer by the bridged channel Channel to
// Exten@Context. As on Asterisk, it answers Success even when the bridge
// lacks the transfer feature (Dial option t/T): then the feature code just
// goes to the other party as DTMF and nothing else happens.
func (s *session) atxfer(req ami.Message) {
	name, ctx, exten := req.Get("Channel"), req.Get("Context"), req.Get("Exten")
	if name == "" || exten == "" {
		s.sendError(req, "Channel and Exten must be specified")
		return
	}
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	c := s.channelLocked(req, name)
	if c == nil {
		return
	}
	if ctx == "" {
		ctx = c.context
	}
	s.queueLocked([]byte(successText(req, "Atxfer successfully queued")))
	digits := "*2" + exten
	if !c.transferFeature || c.bridge == nil || c.atxfer != nil {
		other := c.bridgedPeer()
		for _, d := range digits {
			p.dtmfLocked("DTMFEnd", c, string(d), "Received")
			if other != nil {
				p.dtmfLocked("DTMFBegin", other, string(d), "Sent")
				p.dtmfLocked("DTMFEnd", other, string(d), "Sent")
				if pr := other.peer; pr != nil && !pr.dead {
					p.dtmfLocked("DTMFBegin", pr, string(d), "Received")
					p.dtmfLocked("DTMFEnd", pr, string(d), "Received")
				}
			}
		}
		return
	}
	p.varsetLocked(c, "TRANSFER_CONTEXT", ctx)
	c.atxfer = &target{context: ctx, exten: exten, priority: 1}
	c.notify()
}

func (p *PBX) dtmfLocked(event string, c *channel, digit, dir string) {
	m := p.chanEvent(event, "dtmf", c)
	m.Add("Digit", digit)
	if event == "DTMFEnd" {
		m.Add("DurationMs", "100")
	}
	m.Add("Direction", dir)
	p.emitLocked(m)
}

// attended runs an attended transfer requested on one, the transferer's leg
// bridged with the thread's channel (the transferee): hold, digits, a
// consultation call to the target, and on the transferer's hangup the
// target joins the transferee's bridge. It returns false when the
// consultation was cancelled and bridged goes on with one, true when the
// transfer completed and the call ran to its end with the target.
func (t *thread) attended(one *channel) bool {
	p, c := t.p, t.c
	t.lock()
	to := *one.atxfer
	b1 := one.bridge
	for _, d := range "*2" {
		p.dtmfLocked("DTMFEnd", one, string(d), "Received")
	}
	p.emitLocked(p.chanEvent("Hold", "call", one))
	moh := p.chanEvent("MusicOnHoldStart", "call", c)
	moh.Add("Class", "default")
	p.emitLocked(moh)
	for _, d := range to.exten {
		p.dtmfLocked("DTMFEnd", one, string(d), "Received")
	}
	t.unlock()
	if !t.wait(p.office.TransferDigitTimeout) {
		return t.cancelAttended(one, nil, nil)
	}

	t.lock()
	cons1, cons2 := p.newLocalLocked(to.exten, to.context, c.linkedid, "", "")
	cons1.bLeg = true
	p.varsetLocked(cons1, "TRANSFERERNAME", one.name)
	p.varsetLocked(cons1, "ATTENDEDTRANSFER", one.name)
	b2 := p.newBridgeLocked()
	p.varsetLocked(cons2, "ATTENDEDTRANSFER", one.name)
	p.varsetLocked(cons2, "TRANSFERERNAME", one.name)
	p.setCallerIDLocked(cons2, one.cidNum, one.cidName)
	p.localBridgeLocked(cons1, cons2)
	t.watchLocked(cons1)
	p.startThreadLocked(cons2, (*thread).runDialplan)
	p.bridgeEnterLocked(b2, cons1)
	p.bridgeLeaveLocked(one)
	p.bridgeEnterLocked(b2, one)
	p.varsetLocked(cons1, "BRIDGEPEER", one.name)
	p.varsetLocked(one, "BRIDGEPEER", cons1.name)
	t.unlock()

	ringing, answered := false, false
	for {
		t.lock()
		if !cons1.dead && cons1.state == stateRinging && !ringing {
			ringing = true
			p.dialEventLocked("DialState", nil, cons1, "DialStatus", "RINGING")
		}
		if !cons1.dead && cons1.state == stateUp && !answered {
			answered = true
			p.dialEventLocked("DialEnd", nil, cons1, "DialStatus", "ANSWER")
			ackLocked(cons1)
		}
		switch {
		case c.dead || c.hangupReq:
			t.unlock()
			return t.cancelAttended(one, cons1, b2)
		case cons1.dead || cons1.hangupReq:
			t.unlock()
			return t.cancelAttended(one, cons1, b2)
		case one.dead || one.hangupReq:
			// The transferer hung up: the target replaces it.
			p.varsetLocked(one, "BRIDGEPEER", "")
			p.hangupLocked(one, 16)
			merge := p.event("BridgeMerge", "call")
			addBridge(merge, "To", b1)
			addBridge(merge, "From", b2)
			p.emitLocked(merge)
			p.bridgeLeaveLocked(cons1)
			p.bridgeEnterLocked(b1, cons1)
			p.emitLocked(p.chanEvent("MusicOnHoldStop", "call", c))
			p.varsetLocked(c, "BRIDGEPEER", cons1.name)
			p.varsetLocked(cons1, "BRIDGEPEER", c.name)
			ev := p.event("AttendedTransfer", "call")
			ev.Add("Result", "Success")
			addChannel(ev, "OrigTransferer", one)
			addBridge(ev, "Orig", b1)
			addChannel(ev, "SecondTransferer", one)
			addBridge(ev, "Second", b2)
			addChannel(ev, "Transferee", c)
			addChannel(ev, "TransferTarget", cons1)
			ev.Add("IsExternal", "Yes")
			ev.Add("DestType", "Bridge")
			ev.Add("DestBridgeUniqueid", b1.id)
			p.emitLocked(ev)
			p.emitLocked(p.bridgeEvent("BridgeDestroy", b2))
			t.unlock()
			return t.bridged(cons1)
		}
		t.unlock()
		if !p.sleep(t.ctx, t.wake, -1) {
			return true
		}
	}
}

// cancelAttended ends a consultation: the target leg hangs up, the
// transferer returns to the transferee, and bridged goes on with it.
func (t *thread) cancelAttended(one, cons1 *channel, b2 *bridge) bool {
	p, c := t.p, t.c
	t.lock()
	one.atxfer = nil
	if cons1 != nil {
		p.hangupLocked(cons1, 16)
	}
	if b2 != nil && one.bridge == b2 {
		p.bridgeLeaveLocked(one)
		p.emitLocked(p.bridgeEvent("BridgeDestroy", b2))
		if b1 := c.bridge; b1 != nil && !one.dead {
			p.bridgeEnterLocked(b1, one)
		}
	}
	t.watchLocked(one)
	if !one.dead {
		p.emitLocked(p.chanEvent("Unhold", "call", one))
	}
	p.emitLocked(p.chanEvent("MusicOnHoldStop", "call", c))
	t.unlock()
	return false
}
