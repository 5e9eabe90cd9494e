package pbxsim

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/amigate/amigate/internal/ami"
)

// originate is an Originate request: a Local channel to dial, then either a
// dialplan location (Context/Exten) or an application (Wait) for ;1.
type originate struct {
	actionID         string
	dial             string // "Local/101@phones" as requested
	tech             string // "PJSIP" for a SIP phone, "" for Local
	exten, context   string // of the Local channel
	dpContext, dpExt string
	app, data        string
	cidNum, cidName  string
	vars             [][2]string
	id1, id2         string
	timeout          time.Duration
	hangupAfter      time.Duration // Application Wait: how long ;1 stays
	hangupAt         time.Time     // IncomingCall: when the customer hangs up
	silent           bool          // IncomingCall: no OriginateResponse
	async            bool
	result           chan originateResult // sync Originate and IncomingCall: the outcome
}

type originateResult struct {
	ok       bool
	linkedid string
}

// Originate failure reasons, as in OriginateResponse.
const (
	reasonFailure   = 0
	reasonNoAnswer  = 3
	reasonAnswered  = 4
	reasonBusy      = 5
	reasonCongested = 8
)

// parseCallerID splits `"Name" <num>` (or a bare number).
func parseCallerID(s string) (num, name string) {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '<'); i >= 0 && strings.HasSuffix(s, ">") {
		num = s[i+1 : len(s)-1]
		name = strings.Trim(strings.TrimSpace(s[:i]), `"`)
		if name == "" {
			name = num
		}
		return num, name
	}
	return s, s
}

// startOriginateLocked creates the Local pair with the events Asterisk sends
// and starts the thread that waits for the answer. It returns the Linkedid.
func (p *PBX) startOriginateLocked(o *originate) (string, bool) {
	if p.closed {
		return "", false
	}
	if o.tech != "" {
		c := p.newPhoneLocked(o)
		p.startThreadLocked(c, func(t *thread) { t.originated(o) })
		return c.linkedid, true
	}
	one, two := p.newLocalLocked(o.exten, o.context, "", o.id1, o.id2)
	p.newextenLocked(one, "AppDial2", "(Outgoing Line)")
	for _, v := range o.vars {
		p.varsetLocked(one, v[0], v[1])
	}
	if o.cidNum != "" {
		p.setCallerIDLocked(one, o.cidNum, o.cidName)
		p.setConnectedLocked(one, o.cidNum, o.cidName)
	}
	for _, v := range o.vars {
		p.varsetLocked(two, v[0], v[1])
	}
	if o.cidNum != "" {
		p.setCallerIDLocked(two, o.cidNum, o.cidName)
		p.setConnectedLocked(two, o.cidNum, o.cidName)
	}
	p.localBridgeLocked(one, two)
	p.dialEventLocked("DialBegin", nil, one, "DialString", o.exten+"@"+o.context)
	p.startThreadLocked(one, func(t *thread) { t.originated(o) })
	p.startThreadLocked(two, (*thread).runDialplan)
	return one.linkedid, true
}

// originated is the thread of an originated ;1: it waits for the answer,
// reports it in OriginateResponse, then runs the application or dialplan.
func (t *thread) originated(o *originate) {
	p, c := t.p, t.c
	deadline := time.Now().Add(o.timeout)
	ringing := false
	for {
		t.lock()
		reason := -1
		switch {
		case c.dead || c.hangupReq:
			reason = reasonFailure
			if c.state == stateRinging {
				reason = reasonNoAnswer
			}
		case c.control != "":
			reason = reasonBusy
			switch c.control {
			case "congestion":
				reason = reasonCongested
			case "unavailable":
				reason = reasonFailure
				c.control = "chanunavail"
			}
			status := strings.ToUpper(c.control)
			p.dialEventLocked("DialEnd", nil, c, "DialStatus", status)
		case !time.Now().Before(deadline):
			reason = reasonNoAnswer
		case c.state == stateUp:
			p.dialEventLocked("DialEnd", nil, c, "DialStatus", "ANSWER")
			if o.app == "" {
				t.pending = func() { p.originateResponseLocked(o, c, reasonAnswered) }
			} else {
				p.originateResponseLocked(o, c, reasonAnswered)
				ackLocked(c)
			}
			t.unlock()
			t.afterAnswer(o)
			return
		case c.state == stateRinging && !ringing:
			ringing = true
			p.dialEventLocked("DialState", nil, c, "DialStatus", "RINGING")
		}
		if reason >= 0 {
			cause := 0
			switch {
			case c.hangupReq && !c.dead:
				// An AMI Hangup (or the peer's) before the answer: the
				// Hangup event carries the requested cause.
				cause = c.cause
			case reason == reasonNoAnswer:
				cause = 19
				if c.peer != nil {
					p.requestHangupLocked(c.peer, 19, false)
				}
			}
			p.hangupLocked(c, cause)
			p.originateResponseLocked(o, nil, reason)
			t.unlock()
			return
		}
		t.unlock()
		if !p.sleep(t.ctx, t.wake, time.Until(deadline)) {
			return
		}
	}
}

func (p *PBX) originateResponseLocked(o *originate, c *channel, reason int) {
	m := p.event("OriginateResponse", "call")
	m.Add("ActionID", o.actionID)
	if c != nil {
		m.Add("Response", "Success")
		m.Add("Channel", c.name)
	} else {
		m.Add("Response", "Failure")
		m.Add("Channel", o.dial)
	}
	if o.app != "" {
		m.Add("Application", o.app)
		m.Add("Data", o.data)
	} else {
		m.Add("Context", o.dpContext)
		m.Add("Exten", o.dpExt)
	}
	m.Add("Reason", strconv.Itoa(reason))
	id, num, name := "<unknown>", "<unknown>", "<unknown>"
	if c != nil {
		id = c.uniqueid
	}
	if o.cidNum != "" {
		num, name = o.cidNum, o.cidName
	}
	m.Add("Uniqueid", id)
	m.Add("CallerIDNum", num)
	m.Add("CallerIDName", name)
	if o.result != nil {
		o.result <- originateResult{ok: c != nil, linkedid: p.linkedidOf(c)}
		o.result = nil
	}
	if !o.silent && o.async {
		p.emitLocked(m)
	}
}

func (p *PBX) linkedidOf(c *channel) string {
	if c == nil {
		return ""
	}
	return c.linkedid
}

// afterAnswer runs the application (Wait) or the dialplan on the answered ;1.
func (t *thread) afterAnswer(o *originate) {
	if o.app == "" {
		t.lock()
		t.c.context, t.c.exten, t.c.priority = o.dpContext, o.dpExt, 1
		t.unlock()
		t.runDialplan()
		t.lock()
		t.flushPendingLocked()
		t.unlock()
		return
	}
	d := time.Duration(-1)
	if strings.EqualFold(o.app, "Playback") {
		d = t.p.office.CustomerRing
	}
	if strings.EqualFold(o.app, "Wait") {
		d = o.hangupAfter
	}
	if !o.hangupAt.IsZero() {
		d = max(time.Until(o.hangupAt), 0)
	}
	if t.wait(d) {
		t.lock()
		if t.c.hangupReq {
			// A Hangup that landed as the wait ended keeps its cause.
			t.unlock()
			t.end()
			return
		}
		if strings.EqualFold(o.app, "Playback") {
			t.p.varsetLocked(t.c, "PLAYBACKSTATUS", "SUCCESS")
		}
		if !t.c.dead {
			t.p.hangupLocked(t.c, 0)
		}
		t.unlock()
		return
	}
	t.end()
}

// parseOriginate reads an Originate action; the error is the Message of a
// Response: Error.
func (p *PBX) parseOriginate(req ami.Message) (*originate, string) {
	o := &originate{actionID: req.Get("ActionID"), dial: req.Get("Channel")}
	var ok bool
	o.exten, o.context, ok = splitLocal(o.dial)
	if !ok {
		if o.tech, o.exten, ok = splitSIP(o.dial); !ok {
			return nil, "Originate failed: only Local and PJSIP channels are simulated"
		}
	}
	o.app, o.data = req.Get("Application"), req.Get("Data")
	o.dpContext, o.dpExt = req.Get("Context"), req.Get("Exten")
	if o.app == "" && (o.dpContext == "" || o.dpExt == "") {
		return nil, "Exten not specified"
	}
	if cid := req.Get("CallerID"); cid != "" {
		o.cidNum, o.cidName = parseCallerID(cid)
	}
	for _, v := range req.Values("Variable") {
		for _, kv := range strings.Split(v, ",") {
			k, val, _ := strings.Cut(kv, "=")
			o.vars = append(o.vars, [2]string{k, val})
		}
	}
	o.id1, o.id2 = req.Get("ChannelId"), req.Get("OtherChannelId")
	o.timeout = p.office.OriginateTimeout
	if ms, err := strconv.Atoi(req.Get("Timeout")); err == nil && ms > 0 {
		o.timeout = time.Duration(ms) * time.Millisecond
	}
	o.hangupAfter = -1
	if strings.EqualFold(o.app, "Wait") {
		if s, err := strconv.ParseFloat(o.data, 64); err == nil {
			o.hangupAfter = time.Duration(s * float64(time.Second))
		}
	}
	switch strings.ToLower(req.Get("Async")) {
	case "true", "yes", "1", "on":
		o.async = true
	}
	if p.channelInUse(o.id1) || p.channelInUse(o.id2) {
		return nil, "Uniqueid already in use"
	}
	return o, ""
}

func (p *PBX) channelInUse(id string) bool {
	if id == "" {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.chans {
		if c.uniqueid == id {
			return true
		}
	}
	return false
}

// waitResult waits for an originate's outcome or the end of ctx.
func waitResult(ctx context.Context, ch <-chan originateResult) (originateResult, error) {
	select {
	case r := <-ch:
		return r, nil
	case <-ctx.Done():
		return originateResult{}, ctx.Err()
	}
}
