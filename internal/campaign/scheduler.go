package campaign

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/amigate/amigate"
)

// planned is an attempt recorded and about to be dialled.
type planned struct {
	c *campaign
	i int
	d amigate.CampaignDial
}

// Step runs the scheduler once at the clock's time: it collects the
// outcomes of attempts in progress, then starts the attempts that pacing
// and the calling window allow. Each attempt is stored before its
// Originate is sent.
func (s *Service) Step(ctx context.Context) {
	if !s.cfg.Holds() {
		return // another instance follows the calls and dials
	}
	now := s.cfg.Now()
	ready := s.cfg.Ready()
	s.mu.Lock()
	switch {
	case !ready:
		s.readySince = time.Time{}
	case s.readySince.IsZero():
		s.readySince = now
	}
	for _, id := range s.order {
		s.follow(ctx, s.campaigns[id], now)
	}
	var todo []planned
	if ready {
		g := s.gate()
		for _, id := range s.order {
			todo = append(todo, s.plan(ctx, s.campaigns[id], now, g)...)
		}
	}
	for _, id := range s.order {
		c := s.campaigns[id]
		s.finish(ctx, c, now)
		s.report(ctx, c)
	}
	s.mu.Unlock()

	// What the step stores from here on is stored even if the service
	// stops meanwhile: an attempt taken back by a write cut halfway would
	// leave the store unsure whether it was dialled, and whoever dials
	// next would look for its call until the resolve timeout.
	wctx := context.WithoutCancel(ctx)
	for _, p := range todo {
		// The fence: an instance whose lease ran out since the attempt
		// was recorded takes it back rather than dial, another instance
		// may have taken over; so does one that is stopping.
		var err error
		switch {
		case ctx.Err() != nil:
			err = fmt.Errorf("campaign %s: stopping: %w", p.c.meta.ID, amigate.ErrUnavailable)
		case !s.cfg.Holds():
			err = fmt.Errorf("campaign %s: dialer lease lost: %w", p.c.meta.ID, amigate.ErrUnavailable)
		default:
			err = s.cfg.Dialer.DialCampaign(ctx, p.d)
		}
		s.mu.Lock()
		s.dialed(wctx, p, err, s.cfg.Now())
		s.mu.Unlock()
	}
}

// follow ends the attempts in progress whose calls ended, and counts those
// no agent took yet.
func (s *Service) follow(ctx context.Context, c *campaign, now time.Time) {
	c.unmatched = 0
	for i := range c.inflight {
		k := &c.contacts[i]
		a := &k.p.Attempts[len(k.p.Attempts)-1]
		call, err := s.cfg.Calls.Get(ctx, a.CallID)
		if err == nil && call.State == amigate.StateDialing && len(call.Channels) == 0 {
			// Expected by the calls but never seen on the PBX: an
			// Originate whose answer was lost with the connection.
			err = fmt.Errorf("call %s has no channel: %w", a.CallID, amigate.ErrNotFound)
		}
		switch {
		case err == nil && call.State == amigate.StateEnded:
			end := now.UTC()
			if call.EndedAt != nil {
				end = *call.EndedAt
			}
			s.outcome(ctx, c, i, outcomeOf(call, c.meta.Target), end, now)
		case err == nil:
			// Still in progress. A preview call holds its agent from the
			// start.
			if call.Agent == nil && c.meta.Mode != amigate.CampaignModePreview {
				c.unmatched++
			}
		case errors.Is(err, amigate.ErrNotFound):
			c.unmatched++
			// Neither the PBX nor the history knows the call: its
			// Originate was lost, or the service stopped before
			// Asterisk answered it. Wait a while with the PBX
			// connected (the calls resync after a restart), then give
			// up without dialling again.
			since := a.StartedAt
			if s.readySince.IsZero() || s.readySince.After(since) {
				since = s.readySince
			}
			if !since.IsZero() && now.Sub(since) >= s.cfg.ResolveAfter {
				s.log.Warn("campaign attempt outcome unknown; not retried", "campaign", c.meta.ID, "contact", i, "call_id", a.CallID)
				s.outcome(ctx, c, i, amigate.OutcomeUnknown, now.UTC(), now)
			}
		default:
			c.unmatched++
			s.log.Warn("campaign: look up call", "call_id", a.CallID, "err", err)
		}
	}
}

// outcomeOf is the attempt's result from its ended call.
func outcomeOf(call amigate.Call, t amigate.CampaignTarget) string {
	switch call.Disposition {
	case amigate.DispositionAnswered:
		if call.Agent == nil && t.Queue != "" {
			return amigate.OutcomeAbandoned
		}
		return amigate.OutcomeAnswered
	case amigate.DispositionAbandoned:
		return amigate.OutcomeAbandoned
	case amigate.DispositionBusy:
		return amigate.OutcomeBusy
	case amigate.DispositionNoAnswer:
		return amigate.OutcomeNoAnswer
	case amigate.DispositionCanceled:
		return amigate.OutcomeCanceled
	}
	return amigate.OutcomeFailed
}

// outcome ends contact i's attempt in progress and decides on a retry.
func (s *Service) outcome(ctx context.Context, c *campaign, i int, result string, end, now time.Time) {
	k := &c.contacts[i]
	old := k.p
	old.Attempts = append([]amigate.CampaignAttempt(nil), k.p.Attempts...)
	a := &k.p.Attempts[len(k.p.Attempts)-1]
	a.Result, a.EndedAt = result, &end
	rule, retryable := retryRule(c.meta.Retry, result)
	if retryable && k.p.Retries[result] < rule.Attempts && c.meta.State != amigate.CampaignCanceled {
		if k.p.Retries == nil {
			k.p.Retries = make(map[string]int)
		}
		k.p.Retries[result]++
		next := now.Add(time.Duration(rule.DelaySeconds) * time.Second).UTC()
		k.p.State, k.p.NextAt = amigate.ContactPending, &next
	} else {
		k.p.State, k.p.Outcome, k.p.NextAt = amigate.ContactDone, result, nil
		k.p.Seq, k.p.Reported = c.nextSeq(now), false
	}
	if err := s.putProgress(ctx, c, i); err != nil {
		// Kept in progress: the next step looks the call up again.
		s.log.Error("campaign: store outcome", "campaign", c.meta.ID, "contact", i, "err", err)
		k.p = old
		return
	}
	delete(c.inflight, i)
	delete(c.agentOf, i)
	c.observe(a)
	switch k.p.State {
	case amigate.ContactPending:
		c.waiting = append(c.waiting, i)
	case amigate.ContactDone:
		c.unreported = append(c.unreported, i)
	}
}

// agentGate is how many more customers each target may take now: its free
// agents less the campaign calls (of any campaign) no agent took yet.
type agentGate struct {
	waiting map[amigate.CampaignTarget]int // calls no agent took yet
	left    map[amigate.CampaignTarget]int // asked: room left this step
	busy    map[string]bool                // agents rung first by preview attempts
}

// gate counts the calls waiting for an agent per target and the agents
// preview attempts hold.
func (s *Service) gate() *agentGate {
	g := &agentGate{waiting: map[amigate.CampaignTarget]int{}, left: map[amigate.CampaignTarget]int{}, busy: map[string]bool{}}
	for _, id := range s.order {
		c := s.campaigns[id]
		g.waiting[c.meta.Target] += c.unmatched
		for _, ext := range c.agentOf {
			g.busy[ext] = true
		}
	}
	return g
}

// freeAgents are the agents a preview attempt to target may ring now:
// free, and not rung by another attempt (its state may not show it yet).
// Without Agents, an extension target's agent when not rung.
func (s *Service) freeAgents(g *agentGate, t amigate.CampaignTarget) []string {
	var free []string
	switch {
	case s.cfg.Agents != nil:
		free = s.cfg.Agents.Free(t)
	case t.Extension != "":
		free = []string{t.Extension}
	}
	out := make([]string, 0, len(free))
	for _, ext := range free {
		if !g.busy[ext] {
			out = append(out, ext)
		}
	}
	return out
}

// room is how many more customers target may take now.
func (s *Service) room(g *agentGate, t amigate.CampaignTarget) int {
	if s.cfg.Agents == nil {
		return MaxConcurrent
	}
	n, ok := g.left[t]
	if !ok { // the agents free now, asked once per step and target
		n = len(s.cfg.Agents.Free(t)) - g.waiting[t]
		g.left[t] = n
	}
	return n
}

// plan picks the contacts to dial now and records their attempts.
func (s *Service) plan(ctx context.Context, c *campaign, now time.Time, g *agentGate) []planned {
	st := c.meta.State
	if st != amigate.CampaignScheduled && st != amigate.CampaignRunning {
		return nil
	}
	w, err := compileWindow(c.meta.Window)
	if err != nil || !w.open(now) {
		return nil
	}
	if c.meta.StartedAt == nil {
		// The first time the window is open while it may dial (also a
		// campaign paused before it started and resumed).
		m := c.meta
		t := now.UTC()
		c.meta.State, c.meta.StartedAt, c.meta.StartedSent = amigate.CampaignRunning, &t, false
		if err := s.putMeta(ctx, c); err != nil {
			s.log.Error("campaign: store start", "campaign", c.meta.ID, "err", err)
			c.meta = m
			return nil
		}
	}
	cut := now.Add(-time.Minute)
	n := 0
	for n < len(c.dials) && !c.dials[n].After(cut) {
		n++
	}
	c.dials = c.dials[n:]
	// At most one customer waiting per free agent: an agent ringing for,
	// or talking in, a campaign call is no longer free.
	free := s.room(g, c.meta.Target)
	var agents []string // preview: the agents to ring first
	if c.meta.Mode == amigate.CampaignModePreview {
		agents = s.freeAgents(g, c.meta.Target)
		free = len(agents)
	}
	var out []planned
	for ctx.Err() == nil && len(c.inflight) < c.meta.Pacing.MaxConcurrent && len(c.dials) < c.meta.Pacing.PerMinute && len(out) < free {
		i, ok := c.next(now)
		if !ok {
			break
		}
		// Stored whole even if the service stops meanwhile (see Step).
		p, err := s.record(context.WithoutCancel(ctx), c, i, now)
		if err != nil {
			s.log.Error("campaign: store attempt; not dialled", "campaign", c.meta.ID, "contact", i, "err", err)
			break
		}
		if agents != nil {
			p.d.Agent = agents[len(out)]
			c.agentOf[i], g.busy[p.d.Agent] = p.d.Agent, true
		}
		out = append(out, p)
	}
	if _, ok := g.left[c.meta.Target]; ok {
		g.left[c.meta.Target] -= len(out)
	}
	return out
}

// next takes the next contact due: retries first, then fresh contacts.
func (c *campaign) next(now time.Time) (int, bool) {
	for j, i := range c.waiting {
		if p := &c.contacts[i].p; p.NextAt == nil || !p.NextAt.After(now) {
			c.waiting = append(c.waiting[:j], c.waiting[j+1:]...)
			return i, true
		}
	}
	c.advanceFresh()
	if c.fresh < len(c.contacts) {
		i := c.fresh
		c.fresh++
		return i, true
	}
	return 0, false
}

// record stores contact i's new attempt, in progress, before it is dialled.
func (s *Service) record(ctx context.Context, c *campaign, i int, now time.Time) (planned, error) {
	k := &c.contacts[i]
	old := k.p
	id := s.cfg.NewID()
	k.p.Attempts = append(append([]amigate.CampaignAttempt(nil), k.p.Attempts...), amigate.CampaignAttempt{CallID: id, StartedAt: now.UTC()})
	k.p.State, k.p.NextAt = amigate.ContactDialing, nil
	if err := s.putProgress(ctx, c, i); err != nil {
		k.p = old
		if len(old.Attempts) > 0 {
			c.waiting = append(c.waiting, i)
		} else if i < c.fresh {
			c.fresh = i
		}
		return planned{}, err
	}
	c.inflight[i] = true
	c.dials = append(c.dials, now)
	m := &c.meta
	return planned{c: c, i: i, d: amigate.CampaignDial{
		ID: id, Campaign: m.ID, Contact: i, Number: k.in.Number, Name: k.in.Name,
		Metadata: k.in.Metadata, Variables: k.in.Variables, CampaignVariables: m.Variables, Target: m.Target,
		CallerID: m.CallerID, Timeout: time.Duration(m.RingTimeout) * time.Second,
	}}, nil
}

// dialed takes the Originate's answer. Nothing sent (not connected, or a
// number the dial rules now refuse): the attempt is taken back, or fails.
// Refused by Asterisk: the attempt failed. Accepted, or no answer: the
// call is followed by its id.
func (s *Service) dialed(ctx context.Context, p planned, err error, now time.Time) {
	c := p.c
	if err == nil || s.campaigns[c.meta.ID] != c {
		return
	}
	switch {
	case errors.Is(err, amigate.ErrUnavailable):
		k := &c.contacts[p.i]
		old := k.p
		k.p.Attempts = k.p.Attempts[:len(k.p.Attempts)-1]
		k.p.State = amigate.ContactPending
		if err := s.putProgress(ctx, c, p.i); err != nil {
			// Stays in progress: it ends as unknown, never dialled twice.
			k.p = old
			return
		}
		delete(c.inflight, p.i)
		delete(c.agentOf, p.i)
		if len(k.p.Attempts) > 0 {
			c.waiting = append(c.waiting, p.i)
		} else if p.i < c.fresh {
			c.fresh = p.i
		}
	case errors.Is(err, amigate.ErrInvalid), errors.Is(err, amigate.ErrPBXRefused):
		s.log.Warn("campaign attempt not dialled", "campaign", c.meta.ID, "contact", p.i, "err", err)
		s.outcome(ctx, c, p.i, amigate.OutcomeFailed, now.UTC(), now)
	default:
		s.log.Warn("campaign attempt: Originate outcome unknown; following the call", "campaign", c.meta.ID, "contact", p.i, "call_id", p.d.ID, "err", err)
	}
}

// finish completes a running campaign with nothing left to do.
func (s *Service) finish(ctx context.Context, c *campaign, now time.Time) {
	if c.meta.State != amigate.CampaignRunning || len(c.inflight) > 0 || len(c.waiting) > 0 {
		return
	}
	c.advanceFresh()
	if c.fresh < len(c.contacts) {
		return
	}
	m, seq := c.meta, c.seq
	t := now.UTC()
	c.meta.State, c.meta.EndedAt = amigate.CampaignCompleted, &t
	c.meta.CompletedSeq, c.meta.CompletedSent = c.nextSeq(now), false
	if err := s.putMeta(ctx, c); err != nil {
		s.log.Error("campaign: store completion", "campaign", c.meta.ID, "err", err)
		c.meta, c.seq = m, seq
	}
}
