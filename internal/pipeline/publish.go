package pipeline

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
)

// pending is the call events waiting to be stored, with the AMI event
// that caused each run of them (to name it when the store refuses one).
type pending struct {
	evs    []amigate.CallEvent
	causes []cause
}

// cause: the call events before index end (and after the previous
// cause's) came from msg.
type cause struct {
	end int
	msg ami.Message
}

// add keeps a copy of msg's fields: the loop parses event after event
// into one array.
func (p *pending) add(evs []amigate.CallEvent, msg ami.Message) {
	if len(evs) == 0 {
		return
	}
	p.evs = append(p.evs, evs...)
	p.causes = append(p.causes, cause{len(p.evs), ami.Message{Fields: slices.Clone(msg.Fields)}})
}

// causeOf is the AMI event that caused call event i; none for a resync's.
func (p *pending) causeOf(i int) (ami.Message, bool) {
	for _, c := range p.causes {
		if i < c.end {
			return c.msg, true
		}
	}
	return ami.Message{}, false
}

func (p *pending) reset() {
	clear(p.evs)
	clear(p.causes)
	p.evs, p.causes = p.evs[:0], p.causes[:0]
}

// publish stores p's events, retrying with backoff until the store takes
// them or ctx ends: an AMI event counts as handled only once its call
// events are durable. Meanwhile AMI events wait in the lossless
// subscription. A call event the store refuses as invalid
// (amigate.ErrInvalid) can never be stored: it is logged with the AMI
// event that caused it, counted, and skipped, and the others are stored.
func (l *Loop) publish(ctx context.Context, p *pending) {
	err := l.store(ctx, p.evs)
	if !errors.Is(err, amigate.ErrInvalid) {
		return
	}
	// One by one, to find the invalid ones; the store deduplicates by
	// event id whatever of the batch it had already taken.
	for i := range p.evs {
		evs := p.evs[i : i+1]
		if err := l.store(ctx, evs); errors.Is(err, amigate.ErrInvalid) {
			ev := &evs[0]
			msg, _ := p.causeOf(i)
			l.log.Error("call event refused as invalid and skipped: a correlator bug, please report it with this line",
				"err", err, "event_id", ev.ID, "type", ev.Type, "call_id", ev.Call.ID, "sequence", ev.Sequence,
				"ami_event", msg.String())
			l.cfg.Metrics.CallEventInvalid(ev.Type)
		}
	}
}

// store stores evs and counts them, retrying every error but ErrInvalid
// until ctx ends; it returns that error, or nil.
func (l *Loop) store(ctx context.Context, evs []amigate.CallEvent) error {
	delay := l.cfg.RetryMin
	for attempt := 1; ; attempt++ {
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.cfg.PublishTimeout)
		err := l.cfg.Store.Publish(pctx, evs)
		cancel()
		if err == nil {
			for i := range evs {
				if !amigate.IsAgentEvent(evs[i].Type) {
					l.cfg.Metrics.CallEvent(evs[i].Type)
				} else if ac, ok := l.cfg.Metrics.(agentCounter); ok {
					ac.AgentEvent(evs[i].Type)
				}
			}
			return nil
		}
		if errors.Is(err, amigate.ErrInvalid) {
			return err
		}
		if ctx.Err() != nil {
			l.log.Warn("stopping with call events not stored", "events", len(evs), "err", err)
			return nil
		}
		l.log.Error("storing call events failed; retrying", "events", len(evs), "attempt", attempt, "retry_in", delay, "err", err)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
		delay = min(2*delay, l.cfg.RetryMax)
	}
}
