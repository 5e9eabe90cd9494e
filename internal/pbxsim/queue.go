package pbxsim

import (
	"strconv"
	"time"
)

// queueState is a queue's live state: members, waiting callers, counters.
type queueState struct {
	q         Queue
	members   []*memberState
	callers   []*queueCaller
	completed int
	abandoned int
	holdTotal time.Duration
	talkTotal time.Duration
}

type memberState struct {
	Member
	iface      string // the interface the queue knows it by
	device     string // the device whose use is counted in PBX.devUse
	paused     bool
	reason     string
	callsTaken int
	lastCall   int64
	lastPause  int64
	loginTime  int64
	inCall     bool
}

type queueCaller struct {
	c      *channel
	joined time.Time
}

func newQueueState(q Queue, login int64) *queueState {
	s := &queueState{q: q}
	for _, m := range q.Members {
		s.members = append(s.members, &memberState{Member: m, iface: m.iface(), device: m.device(), loginTime: login})
	}
	return s
}

// status is the member's device status: 1 not in use, 2 in use, 5 unavailable.
func (p *PBX) memberStatus(m *memberState) int {
	if p.devUse[m.device] > 0 {
		return 2
	}
	return 1
}

// memberStatusLocked emits QueueMemberStatus for every queue member on
// device, as Asterisk does on each device state change.
func (p *PBX) memberStatusLocked(device string) {
	for _, q := range p.office.Queues {
		qs := p.queues[q.Name]
		for _, m := range qs.members {
			if m.device != device {
				continue
			}
			ev := p.event("QueueMemberStatus", "agent")
			ev.Add("Queue", q.Name)
			ev.Add("MemberName", m.Name)
			ev.Add("Interface", m.iface)
			ev.Add("StateInterface", m.iface)
			ev.Add("Membership", "static")
			ev.Add("Penalty", "0")
			ev.Add("CallsTaken", strconv.Itoa(m.callsTaken))
			ev.Add("LastCall", strconv.FormatInt(m.lastCall, 10))
			ev.Add("LastPause", strconv.FormatInt(m.lastPause, 10))
			ev.Add("LoginTime", strconv.FormatInt(m.loginTime, 10))
			ev.Add("InCall", boolDigit(m.inCall))
			ev.Add("Status", strconv.Itoa(p.memberStatus(m)))
			ev.Add("Paused", boolDigit(m.paused))
			ev.Add("PausedReason", m.reason)
			ev.Add("Ringinuse", "1")
			ev.Add("Wrapuptime", "0")
			p.emitLocked(ev)
		}
	}
}

func boolDigit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// queueEventLocked builds QueueCallerJoin/Leave/Abandon and the Agent*
// events: the caller's channel, the member's leg as Dest, then fields.
func (p *PBX) queueEventLocked(name string, c, dest *channel, fields ...string) {
	m := p.event(name, "agent")
	addChannel(m, "", c)
	if dest != nil {
		addChannel(m, "Dest", dest)
	}
	for i := 0; i+1 < len(fields); i += 2 {
		m.Add(fields[i], fields[i+1])
	}
	p.emitLocked(m)
}

type queueLeg struct {
	m       *memberState
	one     *channel
	ringing bool
	start   time.Time
}

// queue runs Queue(name): the caller waits with music while every free,
// unpaused member rings (ring-all) until one answers or the caller hangs up.
// It returns true when the channel must stop.
func (t *thread) queue(name string) bool {
	p, c := t.p, t.c
	t.lock()
	qs := p.queues[name]
	if qs == nil {
		t.unlock()
		return false
	}
	for _, v := range []string{"ANSWEREDTIME", "ANSWEREDTIME_MS", "DIALEDTIME", "DIALEDTIME_MS", "QUEUEWAIT", "QUEUEWAIT_MS"} {
		p.varsetLocked(c, v, "")
	}
	t.queued = true
	p.deviceStateLocked("Queue:"+name, "RINGING")
	qs.callers = append(qs.callers, &queueCaller{c: c, joined: time.Now()})
	pos := len(qs.callers)
	p.queueEventLocked("QueueCallerJoin", c, nil, "Queue", name, "Position", strconv.Itoa(pos), "Count", strconv.Itoa(pos))
	moh := p.chanEvent("MusicOnHoldStart", "call", c)
	moh.Add("Class", "default")
	p.emitLocked(moh)
	t.unlock()
	joined := time.Now()

	for t.alive() {
		t.lock()
		var legs []*queueLeg
		if !c.hangupReq && !c.dead {
			for _, m := range qs.members {
				if m.paused || p.devUse[m.device] > 0 {
					continue
				}
				one := t.dialLegLocked(m.Exten, m.context(), "AppQueue")
				legs = append(legs, &queueLeg{m: m, one: one, start: time.Now()})
				p.queueEventLocked("AgentCalled", c, one, "Queue", name, "Interface", m.iface, "MemberName", m.Name)
				p.dialEventLocked("DialBegin", c, one, "DialString", m.Exten+"@"+m.context())
			}
		}
		t.unlock()
		deadline := time.Now().Add(qs.q.Timeout)
		for {
			t.lock()
			if c.dead || c.hangupReq {
				t.abandonLocked(qs, legs, joined)
				t.unlock()
				return true
			}
			var winner *queueLeg
			live := legs[:0]
			for _, l := range legs {
				switch {
				case l.one.state == stateUp:
					winner = l
				case l.one.control != "" || l.one.dead || l.one.hangupReq:
					p.dialEventLocked("DialEnd", c, l.one, "DialStatus", "NOANSWER")
					p.hangupLocked(l.one, 0)
					continue
				case l.one.state == stateRinging && !l.ringing:
					l.ringing = true
					p.newextenLocked(l.one, "AppQueue", "(Outgoing Line)")
					p.setConnectedLocked(l.one, c.cidNum, c.cidName)
					p.dialEventLocked("DialState", c, l.one, "DialStatus", "RINGING")
				}
				live = append(live, l)
			}
			legs = live
			if winner != nil && !othersRang(legs, winner) && time.Now().Before(deadline) {
				// Asterisk rings every member at once, and the phones'
				// ringing comes long before a person answers. A member
				// whose leg has not rung yet (its thread not yet run on
				// a busy machine) rings before another's answer is taken.
				winner = nil
			}
			if winner != nil {
				t.connectLocked(qs, winner, legs, joined)
				talk := time.Now()
				t.onBridgeEnd = func(reason string) {
					qs.talkTotal += time.Since(talk)
					winner.m.inCall = false
					p.queueEventLocked("AgentComplete", c, winner.one, "Queue", name, "Interface", winner.m.iface,
						"MemberName", winner.m.Name, "HoldTime", strconv.Itoa(int(talk.Sub(joined).Seconds())),
						"TalkTime", strconv.Itoa(int(time.Since(talk).Seconds())), "Reason", reason)
				}
				t.unlock()
				t.bridged(winner.one)
				return true
			}
			if len(legs) == 0 || !time.Now().Before(deadline) {
				for _, l := range legs {
					p.queueEventLocked("AgentRingNoAnswer", c, l.one, "Queue", name, "Interface", l.m.iface,
						"MemberName", l.m.Name, "RingTime", strconv.Itoa(int(time.Since(l.start).Seconds())))
					p.dialEventLocked("DialEnd", c, l.one, "DialStatus", "NOANSWER")
					p.hangupLocked(l.one, 0)
				}
				t.unlock()
				t.wait(qs.q.Retry)
				break
			}
			t.unlock()
			if !p.sleep(t.ctx, t.wake, time.Until(deadline)) {
				return true
			}
		}
	}
	return true
}

// othersRang reports whether every leg but the answered one has rung.
func othersRang(legs []*queueLeg, answered *queueLeg) bool {
	for _, l := range legs {
		if l != answered && !l.ringing {
			return false
		}
	}
	return true
}

// connectLocked ends the ring-all round when l answered: the others are
// cancelled (answered elsewhere), the caller leaves the queue and is bridged.
func (t *thread) connectLocked(qs *queueState, l *queueLeg, legs []*queueLeg, joined time.Time) {
	p, c := t.p, t.c
	p.dialEventLocked("DialEnd", c, l.one, "DialStatus", "ANSWER")
	for _, o := range legs {
		if o == l {
			continue
		}
		p.dialEventLocked("DialEnd", c, o.one, "DialStatus", "CANCEL")
		p.dialEventLocked("DialEnd", c, o.one, "DialStatus", "CANCEL")
		p.hangupLocked(o.one, 26)
	}
	p.emitLocked(p.chanEvent("MusicOnHoldStop", "call", c))
	pos := t.leaveLocked(qs)
	p.varsetLocked(c, "QUEUEPOSITION", strconv.Itoa(pos))
	p.varsetLocked(c, "QUEUEWAIT", "")
	p.varsetLocked(c, "QUEUEWAIT_MS", "")
	hold := time.Since(joined)
	qs.holdTotal += hold
	qs.completed++
	l.m.callsTaken++
	l.m.lastCall = p.now().Unix()
	l.m.inCall = true
	p.queueEventLocked("AgentConnect", c, l.one, "Queue", qs.q.Name, "Interface", l.m.iface,
		"MemberName", l.m.Name, "HoldTime", strconv.Itoa(int(hold.Seconds())),
		"RingTime", strconv.Itoa(int(time.Since(l.start).Seconds())))
	b := p.newBridgeLocked()
	p.bridgeEnterLocked(b, l.one)
	p.bridgeEnterLocked(b, c)
	p.varsetLocked(l.one, "BRIDGEPEER", c.name)
	p.varsetLocked(c, "BRIDGEPEER", l.one.name)
	ackLocked(l.one)
}

// abandonLocked: the caller hung up while waiting.
func (t *thread) abandonLocked(qs *queueState, legs []*queueLeg, joined time.Time) {
	p, c := t.p, t.c
	p.emitLocked(p.chanEvent("MusicOnHoldStop", "call", c))
	for _, l := range legs {
		p.dialEventLocked("DialEnd", c, l.one, "DialStatus", "CANCEL")
		p.dialEventLocked("DialEnd", c, l.one, "DialStatus", "CANCEL")
		p.hangupLocked(l.one, 0)
	}
	for _, v := range []string{"QUEUEWAIT", "QUEUEWAIT_MS", "DIALEDTIME", "DIALEDTIME_MS", "ANSWEREDTIME", "ANSWEREDTIME_MS"} {
		p.varsetLocked(c, v, "")
	}
	p.varsetLocked(c, "ABANDONED", "TRUE")
	pos := 0
	for i, x := range qs.callers {
		if x.c == c {
			pos = i + 1
		}
	}
	qs.abandoned++
	p.queueEventLocked("QueueCallerAbandon", c, nil, "Queue", qs.q.Name, "Position", strconv.Itoa(pos),
		"OriginalPosition", strconv.Itoa(pos), "HoldTime", strconv.Itoa(int(time.Since(joined).Seconds())))
	pos = t.leaveLocked(qs)
	p.varsetLocked(c, "QUEUEPOSITION", strconv.Itoa(pos))
}

// leaveLocked removes the caller from the queue with QueueCallerLeave and
// returns the position it had.
func (t *thread) leaveLocked(qs *queueState) int {
	pos := 0
	for i, x := range qs.callers {
		if x.c == t.c {
			pos = i + 1
			qs.callers = append(qs.callers[:i], qs.callers[i+1:]...)
			break
		}
	}
	t.p.deviceStateLocked("Queue:"+qs.q.Name, "NOT_INUSE")
	t.p.queueEventLocked("QueueCallerLeave", t.c, nil, "Queue", qs.q.Name, "Position", strconv.Itoa(pos),
		"Count", strconv.Itoa(len(qs.callers)))
	return pos
}
