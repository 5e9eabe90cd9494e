package calls

import (
	"slices"
	"strings"
	"time"

	"github.com/amigate/amigate"
)

// Restore gives a fresh tracker the calls an earlier process reported and
// did not end: for each, the last call event it stored. The next Reconcile
// settles them: a call with a channel still listed is followed on under its
// id, its sequence continuing from the stored one, its customer, agent,
// metadata and campaign kept; a call with none listed ends (call.ended with
// end_inferred, the disposition it had: answered if it was). Until then
// they are listed as they were last reported.
//
// Restore is called before the first Handle, from the goroutine that will
// call Handle.
func (t *Tracker) Restore(open []amigate.CallEvent) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range open {
		ev := &open[i]
		s := &ev.Call
		if s.ID == "" || ev.Type == amigate.EventCallEnded || amigate.IsAgentEvent(ev.Type) || t.active[s.ID] != nil {
			continue
		}
		c := &call{
			id:         keep(s.ID),
			direction:  s.Direction,
			state:      s.State,
			queue:      s.Queue,
			did:        s.DID,
			metadata:   s.Metadata,
			started:    s.StartedAt,
			seqBase:    ev.Sequence,
			failReason: -1,
			restored:   true,
			fixedCust:  true, // as reported: not guessed again from a channel list
		}
		// A call is found by its Linkedid, and by the Uniqueids of its
		// channels: a channel listed later may carry any of them.
		for _, l := range append([]string{s.Linkedid}, uniqueids(s.Channels)...) {
			if l != "" && t.byLinkedid[l] == nil {
				c.linkedids = append(c.linkedids, keep(l))
				t.byLinkedid[l] = c
			}
		}
		c.takeParties(s)
		if s.Agent != nil {
			c.agent = s.Agent.Extension
		}
		if s.Caller != nil {
			c.caller = s.Caller.Extension
		}
		for _, e := range s.Extensions {
			c.addExt(e)
		}
		if s.AnsweredAt != nil {
			c.answerAt = *s.AnsweredAt
			// Answered by the agent reported; the lifecycle refuses that
			// agent's call.ringing from now on.
			c.answered = []string{c.agent}
			c.sent.answered = []string{c.agent}
		}
		t.active[c.id] = c
	}
}

func uniqueids(chs []amigate.Channel) []string {
	out := make([]string, 0, len(chs))
	for _, ch := range chs {
		out = append(out, ch.Uniqueid)
	}
	return out
}

// endRestored ends the restored calls that no listed channel belongs to:
// they ended while no process watched.
func (t *Tracker) endRestored(out []amigate.CallEvent, now time.Time) []amigate.CallEvent {
	var gone []*call
	for _, c := range t.active {
		switch {
		case !c.restored:
		case len(c.channels) == 0:
			gone = append(gone, c)
		default:
			c.restored = false // followed on
		}
	}
	slices.SortFunc(gone, func(a, b *call) int { return strings.Compare(a.id, b.id) })
	for _, c := range gone {
		c.endInferred = true
		out = t.end(out, c, now, now)
	}
	return out
}
