package pbxsim

import (
	"strconv"

	"github.com/amigate/amigate/internal/ami"
)

func (s *session) originate(req ami.Message) {
	o, msg := s.p.parseOriginate(req)
	if o == nil {
		s.sendError(req, msg)
		return
	}
	if !o.async {
		o.result = make(chan originateResult, 1)
	}
	s.p.mu.Lock()
	if o.async {
		s.queueLocked([]byte(successText(req, "Originate successfully queued")))
	}
	_, ok := s.p.startOriginateLocked(o)
	if ok {
		if s.p.originates == nil {
			s.p.originates = make(map[string]int)
		}
		s.p.originates[o.dial]++
	}
	res := o.result
	s.p.mu.Unlock()
	if !ok {
		s.sendError(req, "Originate failed")
		return
	}
	if o.async {
		return
	}
	r, err := waitResult(s.p.ctx, res)
	if err != nil || !r.ok {
		s.sendError(req, "Originate failed")
		return
	}
	s.sendSuccess(req, "Originate successfully queued")
}

// lookupLocked finds a live channel by exact name.
// channelLocked is the channel an action names, or nil after answering
// the action "No such channel", as Asterisk does.
func (s *session) channelLocked(req ami.Message, name string) *channel {
	c := s.p.lookupLocked(name)
	if c == nil {
		s.queueLocked([]byte(errorText(req, "No such channel")))
	}
	return c
}

func (p *PBX) lookupLocked(name string) *channel {
	c := p.chans[name]
	if c == nil || c.dead {
		return nil
	}
	return c
}

func (s *session) hangup(req ami.Message) {
	name := req.Get("Channel")
	if name == "" {
		s.sendError(req, "No channel specified")
		return
	}
	cause := 16
	if v, err := strconv.Atoi(req.Get("Cause")); err == nil && v > 0 {
		cause = v
	}
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	c := s.channelLocked(req, name)
	if c == nil {
		return
	}
	m := response(req, "Success")
	m.Add("Message", "Channel Hungup")
	s.queueLocked([]byte(m.String()))
	p.requestHangupLocked(c, cause, true)
}

func errorText(req ami.Message, msg string) string {
	m := response(req, "Error")
	m.Add("Message", msg)
	return m.String()
}

// redirect moves a channel to Context,Exten,Priority (ExtraChannel too).
func (s *session) redirect(req ami.Message) {
	name, ctx, exten := req.Get("Channel"), req.Get("Context"), req.Get("Exten")
	if name == "" {
		s.sendError(req, "Channel not specified")
		return
	}
	if ctx == "" || exten == "" {
		s.sendError(req, "Exten not specified")
		return
	}
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.lookupLocked(name)
	if c == nil {
		s.queueLocked([]byte(errorText(req, "Channel does not exist: "+name)))
		return
	}
	p.redirectLocked(c, target{context: ctx, exten: exten, priority: 1})
	if extra := p.lookupLocked(req.Get("ExtraChannel")); extra != nil {
		p.redirectLocked(extra, target{context: req.Get("ExtraContext"), exten: req.Get("ExtraExten"), priority: 1})
	}
	s.queueLocked([]byte(successText(req, "Redirect successful")))
}

func successText(req ami.Message, msg string) string {
	m := response(req, "Success")
	m.Add("Message", msg)
	return m.String()
}

func (p *PBX) redirectLocked(c *channel, to target) {
	c.redirect = &to
	c.notify()
}

// blindTransfer transfers the party bridged with Channel to Exten@Context.
// The channel must be in a bridge (for a Local agent leg: the ;1 half).
func (s *session) blindTransfer(req ami.Message) {
	name, ctx, exten := req.Get("Channel"), req.Get("Context"), req.Get("Exten")
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
	other := c.bridgedPeer()
	ev := p.event("BlindTransfer", "call")
	if other == nil {
		s.queueLocked([]byte(errorText(req, "Transfer invalid")))
		ev.Add("Result", "Invalid")
		addChannel(ev, "Transferer", c)
		ev.Add("IsExternal", "Yes")
		ev.Add("Context", ctx)
		ev.Add("Extension", exten)
		p.emitLocked(ev)
		return
	}
	s.queueLocked([]byte(successText(req, "Transfer succeeded")))
	p.emitLocked(p.chanEvent("Unhold", "call", c))
	p.varsetLocked(c, "BLINDTRANSFER", other.name)
	ev.Add("Result", "Success")
	addChannel(ev, "Transferer", c)
	addChannel(ev, "Transferee", other)
	addBridge(ev, "", c.bridge)
	ev.Add("IsExternal", "Yes")
	ev.Add("Context", ctx)
	ev.Add("Extension", exten)
	p.emitLocked(ev)
	p.redirectLocked(other, target{context: ctx, exten: exten, priority: 1, transferer: c.name})
	p.requestHangupLocked(c, 16, true)
}
