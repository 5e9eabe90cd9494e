package campaign

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/amigate/amigate"
)

// Events is where campaign events go: the event store of the webhooks and
// of /v1/events (webhooks.Dispatcher).
type Events interface {
	// Publish stores events; they are durable when it returns nil.
	Publish(ctx context.Context, evs []amigate.CallEvent) error
	// Stored reports whether the event with id is in the store.
	Stored(ctx context.Context, id string) (bool, error)
}

// reportBatch bounds the events one step publishes per campaign.
const reportBatch = 500

// Each campaign event is derived from a transition already stored (the
// campaign's start, a contact's final outcome, the campaign's
// completion), published after it, then marked as sent in the same
// record. A process that stops in between publishes it again under the
// same id, after asking the store whether an earlier one did: each event
// is sent once.

// nextSeq is the sequence of the campaign's next event: increasing, and
// the time in microseconds when events are rarer than that (as agent
// events), so that a receiver orders a campaign's events.
func (c *campaign) nextSeq(now time.Time) int64 {
	c.seq = max(c.seq+1, now.UnixMicro())
	return c.seq
}

// report publishes the campaign's events not yet known to be stored, in
// the order of their transitions, and marks them sent.
func (s *Service) report(ctx context.Context, c *campaign) {
	if s.cfg.Events == nil {
		return
	}
	m := &c.meta
	var evs []amigate.CallEvent
	started := m.StartedAt != nil && !m.StartedSent
	if started {
		evs = append(evs, c.startedEvent())
	}
	n := min(len(c.unreported), reportBatch)
	for _, i := range c.unreported[:n] {
		evs = append(evs, c.contactEvent(i))
	}
	completed := m.State == amigate.CampaignCompleted && !m.CompletedSent && n == len(c.unreported)
	if completed {
		evs = append(evs, c.completedEvent())
	}
	if len(evs) == 0 {
		return
	}
	if c.recheck {
		// Published by a process that stopped before marking them?
		kept := evs[:0]
		for _, ev := range evs {
			ok, err := s.cfg.Events.Stored(ctx, ev.ID)
			if err != nil {
				s.log.Warn("campaign: look up event; retried", "campaign", m.ID, "event_id", ev.ID, "err", err)
				return
			}
			if !ok {
				kept = append(kept, ev)
			}
		}
		evs = kept
	}
	if err := s.cfg.Events.Publish(ctx, evs); err != nil {
		s.log.Warn("campaign: publish events; retried", "campaign", m.ID, "events", len(evs), "err", err)
		return
	}
	if started || completed {
		old := *m
		m.StartedSent = m.StartedSent || started
		m.CompletedSent = m.CompletedSent || completed
		if err := s.putMeta(ctx, c); err != nil {
			// Published again on a later step, under the same ids: the
			// store's dedup window drops them.
			*m = old
			s.log.Warn("campaign: mark events sent", "campaign", m.ID, "err", err)
			return
		}
	}
	for j, i := range c.unreported[:n] {
		c.contacts[i].p.Reported = true
		if err := s.putProgress(ctx, c, i); err != nil {
			c.contacts[i].p.Reported = false
			c.unreported = c.unreported[j:]
			s.log.Warn("campaign: mark event sent", "campaign", m.ID, "contact", i, "err", err)
			return
		}
	}
	c.unreported = c.unreported[n:]
	if len(c.unreported) == 0 {
		c.recheck = false
	}
}

func (c *campaign) ref(counts bool) *amigate.CampaignRef {
	r := &amigate.CampaignRef{ID: c.meta.ID, Name: c.meta.Name, State: c.meta.State}
	if counts {
		v := c.view()
		r.Counts = &v.Counts
	}
	return r
}

func (c *campaign) startedEvent() amigate.CallEvent {
	at := *c.meta.StartedAt
	return amigate.CallEvent{
		ID: eventID(c.meta.ID, amigate.EventCampaignStarted, ""), Type: amigate.EventCampaignStarted,
		OccurredAt: at, Sequence: at.UnixMicro(), Campaign: c.ref(true),
	}
}

func (c *campaign) contactEvent(i int) amigate.CallEvent {
	st := c.status(i)
	at := st.Attempts[len(st.Attempts)-1].StartedAt
	if end := st.Attempts[len(st.Attempts)-1].EndedAt; end != nil {
		at = *end
	}
	return amigate.CallEvent{
		ID: eventID(c.meta.ID, amigate.EventCampaignContactCompleted, strconv.Itoa(i)), Type: amigate.EventCampaignContactCompleted,
		OccurredAt: at, Sequence: c.contacts[i].p.Seq, Campaign: c.ref(false), Contact: &st,
	}
}

// completedEvent is the campaign's completion with its number of contacts:
// contacts appended to a completed campaign run it again, and it completes
// again, with a new event.
func (c *campaign) completedEvent() amigate.CallEvent {
	at := c.meta.CreatedAt
	if c.meta.EndedAt != nil {
		at = *c.meta.EndedAt
	}
	return amigate.CallEvent{
		ID: eventID(c.meta.ID, amigate.EventCampaignCompleted, strconv.Itoa(len(c.contacts))), Type: amigate.EventCampaignCompleted,
		OccurredAt: at, Sequence: c.meta.CompletedSeq, Campaign: c.ref(true),
	}
}

// eventID is a campaign event's id: the same for the same transition, in
// whichever process reports it.
func eventID(campaign, typ, disc string) string {
	h := sha256.New()
	for _, p := range []string{"campaign", campaign, typ, disc} {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	var sum [sha256.Size]byte
	return "evt_" + hex.EncodeToString(h.Sum(sum[:0])[:12])
}
