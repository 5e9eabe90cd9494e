package pbxsim

import (
	"strconv"
	"strings"
	"time"

	"github.com/amigate/amigate/internal/ami"
)

// queueStatesLocked returns the queues an action names (all when name is
// empty), in configuration order.
func (p *PBX) queueStatesLocked(name string) []*queueState {
	var out []*queueState
	for _, q := range p.office.Queues {
		if name == "" || q.Name == name {
			out = append(out, p.queues[q.Name])
		}
	}
	return out
}

func avgSeconds(total time.Duration, n int) string {
	if n == 0 {
		return "0"
	}
	return strconv.Itoa(int(total.Seconds()) / n)
}

func (s *session) queueStatus(req ami.Message) {
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	id := req.Get("ActionID")
	var b strings.Builder
	b.WriteString(listStartText(req, "Queue status will follow"))
	n := 0
	add := func(m *ami.Message) {
		m.Add("ActionID", id)
		b.WriteString(m.String())
		n++
	}
	for _, qs := range p.queueStatesLocked(req.Get("Queue")) {
		m := &ami.Message{}
		m.Add("Event", "QueueParams")
		for _, f := range [][2]string{{"Queue", qs.q.Name}, {"Max", "0"}, {"Strategy", "ringall"},
			{"Calls", strconv.Itoa(len(qs.callers))}, {"Holdtime", avgSeconds(qs.holdTotal, qs.completed)},
			{"TalkTime", avgSeconds(qs.talkTotal, qs.completed)}, {"Completed", strconv.Itoa(qs.completed)},
			{"Abandoned", strconv.Itoa(qs.abandoned)}, {"ServiceLevel", "0"}, {"ServicelevelPerf", "0.0"},
			{"ServicelevelPerf2", "0.0"}, {"Weight", "0"}} {
			m.Add(f[0], f[1])
		}
		add(m)
		for i := len(qs.members) - 1; i >= 0; i-- { // Asterisk lists them from a hash: last first
			mem := qs.members[i]
			m := &ami.Message{}
			m.Add("Event", "QueueMember")
			for _, f := range [][2]string{{"Queue", qs.q.Name}, {"Name", mem.Name}, {"Location", mem.iface},
				{"StateInterface", mem.iface}, {"Membership", "static"}, {"Penalty", "0"},
				{"CallsTaken", strconv.Itoa(mem.callsTaken)}, {"LastCall", strconv.FormatInt(mem.lastCall, 10)},
				{"LastPause", strconv.FormatInt(mem.lastPause, 10)}, {"LoginTime", strconv.FormatInt(mem.loginTime, 10)},
				{"InCall", boolDigit(mem.inCall)}, {"Status", strconv.Itoa(p.memberStatus(mem))},
				{"Paused", boolDigit(mem.paused)}, {"PausedReason", mem.reason}, {"Wrapuptime", "0"}} {
				m.Add(f[0], f[1])
			}
			add(m)
		}
		for i, qc := range qs.callers {
			c := qc.c
			m := &ami.Message{}
			m.Add("Event", "QueueEntry")
			for _, f := range [][2]string{{"Queue", qs.q.Name}, {"Position", strconv.Itoa(i + 1)},
				{"Channel", c.name}, {"Uniqueid", c.uniqueid}, {"CallerIDNum", c.cidNum},
				{"CallerIDName", c.cidName}, {"ConnectedLineNum", c.connNum}, {"ConnectedLineName", c.connName},
				{"Wait", strconv.Itoa(int(time.Since(qc.joined).Seconds()))}, {"Priority", "0"}} {
				m.Add(f[0], f[1])
			}
			add(m)
		}
	}
	b.WriteString(complete("QueueStatusComplete", id, n))
	s.queueLocked([]byte(b.String()))
}

func (s *session) queueSummary(req ami.Message) {
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	id := req.Get("ActionID")
	var b strings.Builder
	b.WriteString(listStartText(req, "Queue summary will follow"))
	qss := p.queueStatesLocked(req.Get("Queue"))
	for _, qs := range qss {
		avail := 0
		for _, m := range qs.members {
			if !m.paused && p.memberStatus(m) == 1 {
				avail++
			}
		}
		longest := 0
		if len(qs.callers) > 0 {
			longest = int(time.Since(qs.callers[0].joined).Seconds())
		}
		m := &ami.Message{}
		m.Add("Event", "QueueSummary")
		for _, f := range [][2]string{{"Queue", qs.q.Name}, {"LoggedIn", strconv.Itoa(len(qs.members))},
			{"Available", strconv.Itoa(avail)}, {"Callers", strconv.Itoa(len(qs.callers))},
			{"HoldTime", avgSeconds(qs.holdTotal, qs.completed)}, {"TalkTime", avgSeconds(qs.talkTotal, qs.completed)},
			{"LongestHoldTime", strconv.Itoa(longest)}, {"ActionID", id}} {
			m.Add(f[0], f[1])
		}
		b.WriteString(m.String())
	}
	b.WriteString(complete("QueueSummaryComplete", id, len(qss)))
	s.queueLocked([]byte(b.String()))
}

// queuePause pauses or unpauses Interface in Queue (or in every queue).
func (s *session) queuePause(req ami.Message) {
	iface := req.Get("Interface")
	if iface == "" {
		s.sendError(req, "Need 'Interface' and 'Paused' parameters.")
		return
	}
	paused := false
	switch strings.ToLower(req.Get("Paused")) {
	case "true", "yes", "1", "on":
		paused = true
	}
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	found := false
	for _, qs := range p.queueStatesLocked(req.Get("Queue")) {
		for _, m := range qs.members {
			if m.iface == iface {
				found = true
				m.paused, m.reason = paused, req.Get("Reason")
				m.lastPause = p.now().Unix()
				pause := "NOT_INUSE"
				if paused {
					pause = "INUSE"
				}
				p.deviceStateLocked("Queue:"+qs.q.Name+"_pause_"+iface, pause)
				ev := p.event("QueueMemberPause", "agent")
				for _, f := range [][2]string{{"Queue", qs.q.Name}, {"MemberName", m.Name}, {"Interface", iface},
					{"StateInterface", iface}, {"Membership", "static"}, {"Penalty", "0"},
					{"CallsTaken", strconv.Itoa(m.callsTaken)}, {"LastCall", strconv.FormatInt(m.lastCall, 10)},
					{"LastPause", strconv.FormatInt(m.lastPause, 10)}, {"LoginTime", strconv.FormatInt(m.loginTime, 10)},
					{"InCall", boolDigit(m.inCall)}, {"Status", strconv.Itoa(p.memberStatus(m))},
					{"Paused", boolDigit(paused)}, {"PausedReason", m.reason}, {"Ringinuse", "1"}, {"Wrapuptime", "0"}} {
					ev.Add(f[0], f[1])
				}
				p.emitLocked(ev)
			}
		}
	}
	if !found {
		s.queueLocked([]byte(errorText(req, "Interface not found")))
		return
	}
	msg := "Interface unpaused successfully"
	if paused {
		msg = "Interface paused successfully"
	}
	s.queueLocked([]byte(successText(req, msg)))
}
