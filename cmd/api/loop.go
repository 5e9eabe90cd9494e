package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amiclient"
)

// The event loop's collaborators, as small interfaces so that its tests
// can drive it with fakes.
type (
	// events is the AMI subscription (*amiclient.Subscription).
	events interface {
		Next(ctx context.Context) (amiclient.Event, error)
	}
	// channelLister lists the PBX's channels for a resync (*amiclient.Client).
	channelLister interface {
		CoreShowChannels(ctx context.Context) ([]ami.Message, error)
		WaitReady(ctx context.Context) error
	}
	// correlator is the call model (*calls.Tracker).
	correlator interface {
		Handle(m ami.Message, readAt time.Time) []amigate.CallEvent
		Expire(now time.Time)
	}
	// reconciler is the correlator's resync after events were lost
	// (calls.Tracker's Reconcile, in the agreed interface). A correlator
	// without it is logged and only catches up from new events.
	reconciler interface {
		Reconcile(channels []ami.Message, now time.Time) []amigate.CallEvent
	}
	// publisher stores call events durably (*webhooks.Dispatcher).
	publisher interface {
		Publish(ctx context.Context, evs []amigate.CallEvent) error
	}
	// callCounter counts call events (*metrics.Metrics).
	callCounter interface {
		CallEvent(typ string)
	}
	// agentCounter counts agent events (*metrics.Metrics); a callCounter
	// without it does not count them.
	agentCounter interface {
		AgentEvent(typ string)
	}
)

// eventLoop turns the AMI event stream into stored call events: each event
// goes through the correlator, and the call events it causes are durable
// before the next AMI event is taken. It runs in one goroutine, which is
// what the correlator requires (Handle and Reconcile in stream order).
type eventLoop struct {
	events  events
	pbx     channelLister
	calls   correlator
	store   publisher
	metrics callCounter
	// agents is the presence model; nil leaves agents out.
	agents *agentSync
	log    *slog.Logger
	now    func() time.Time

	// expireEvery is how often ended calls are forgotten.
	expireEvery time.Duration
	// resyncTimeout bounds the CoreShowChannels of a resync.
	resyncTimeout time.Duration
	// retryMin and retryMax bound the wait between attempts to store call
	// events while the store refuses them; publishTimeout bounds one
	// attempt, which shutdown lets finish.
	retryMin, retryMax time.Duration
	publishTimeout     time.Duration
	// batch bounds the AMI events taken in one batch; default maxBatch.
	batch int
}

// run consumes events until ctx ends or the subscription is closed. It
// returns nil then; there is no other way out: a failure to store is
// retried, a failed resync waits for the next connection.
func (l *eventLoop) run(ctx context.Context) error {
	nextExpire := l.now().Add(l.expireEvery)
	for {
		// One deadline per expiry period, not one context per event.
		wait, cancel := context.WithDeadline(ctx, nextExpire)
		err := l.drain(ctx, wait)
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, amiclient.ErrClosed):
			return nil
		case errors.Is(err, context.DeadlineExceeded):
			now := l.now()
			l.calls.Expire(now)
			nextExpire = now.Add(l.expireEvery)
		case err != nil:
			return err
		}
	}
}

// maxBatch is the default bound on the AMI events taken in one batch: their
// call events are stored with one Publish, one round trip to the store
// instead of one each (BenchmarkEventLoopStore measures the difference).
const maxBatch = 256

// nowait is a context that is already done: Next with it returns an event
// already queued, or the context's error at once.
var nowait = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// drain handles events until wait ends or the subscription fails; ctx
// (without wait's deadline) bounds the work on each event. It waits for one
// event, then takes those already queued behind it (up to maxBatch) and
// stores the call events of all of them at once before taking more: the
// AMI events of a batch count as handled together.
func (l *eventLoop) drain(ctx, wait context.Context) error {
	batch := l.batch
	if batch <= 0 {
		batch = maxBatch
	}
	var pending []amigate.CallEvent
	for {
		ev, err := l.events.Next(wait)
		if err != nil {
			return err
		}
		for n := 1; ; n++ {
			pending = l.handle(ctx, ev, pending)
			if n == batch {
				break
			}
			if ev, err = l.events.Next(nowait); err != nil {
				break // nothing queued (or closed: the next wait says so)
			}
		}
		if len(pending) > 0 {
			l.publish(ctx, pending)
			pending = pending[:0]
		}
	}
}

// handle applies one subscription event and returns pending with the call
// events it causes appended. A resync first stores what is pending, so
// that call events stay in stream order.
func (l *eventLoop) handle(ctx context.Context, ev amiclient.Event, pending []amigate.CallEvent) []amigate.CallEvent {
	switch ev.Kind {
	case amiclient.KindEvent:
		evs := l.calls.Handle(ev.Message, ev.ReadAt)
		pending = append(pending, evs...)
		if l.agents != nil {
			pending = l.agents.handle(pending, ev.Message, ev.ReadAt, evs)
		}
		return pending
	case amiclient.KindConnected, amiclient.KindOverflow:
		if len(pending) > 0 {
			l.publish(ctx, pending)
			pending = pending[:0]
		}
		l.resync(ctx, ev.Kind)
	case amiclient.KindDisconnected:
		l.log.Warn("ami connection lost; calls resync on the next login")
	}
	return pending
}

// resync asks the PBX which channels exist after events were lost (a new
// login, or a subscription that overflowed) and lets the correlator
// reconcile its model with them.
func (l *eventLoop) resync(ctx context.Context, kind amiclient.EventKind) {
	r, ok := l.calls.(reconciler)
	if !ok {
		l.log.Warn("correlator cannot reconcile; calls catch up from new events", "reason", kind.String())
		return
	}
	// KindConnected sits in the stream at the login response; the client
	// takes actions only once the PBX is fully booted, a moment later.
	rctx, cancel := context.WithTimeout(ctx, l.resyncTimeout)
	defer cancel()
	err := l.pbx.WaitReady(rctx)
	var channels []ami.Message
	if err == nil {
		channels, err = l.pbx.CoreShowChannels(rctx)
	}
	if err != nil {
		// The connection is likely gone again; its next login resyncs.
		l.log.Warn("resync: listing channels failed", "reason", kind.String(), "err", err)
		return
	}
	evs := r.Reconcile(channels, l.now())
	l.log.Info("resynced calls", "reason", kind.String(), "channels", len(channels), "events", len(evs))
	if l.agents != nil {
		evs = l.agents.resync(rctx, evs, l.now())
	}
	if len(evs) > 0 {
		l.publish(ctx, evs)
	}
}

// publish stores evs, retrying with backoff until the store takes them or
// ctx ends: an AMI event counts as handled only once its call events are
// durable. Meanwhile AMI events wait in the lossless subscription.
func (l *eventLoop) publish(ctx context.Context, evs []amigate.CallEvent) {
	delay := l.retryMin
	for attempt := 1; ; attempt++ {
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.publishTimeout)
		err := l.store.Publish(pctx, evs)
		cancel()
		if err == nil {
			for i := range evs {
				if !amigate.IsAgentEvent(evs[i].Type) {
					l.metrics.CallEvent(evs[i].Type)
				} else if ac, ok := l.metrics.(agentCounter); ok {
					ac.AgentEvent(evs[i].Type)
				}
			}
			return
		}
		if ctx.Err() != nil {
			l.log.Warn("stopping with call events not stored", "events", len(evs), "err", err)
			return
		}
		l.log.Error("storing call events failed; retrying", "events", len(evs), "attempt", attempt, "retry_in", delay, "err", err)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
		delay = min(2*delay, l.retryMax)
	}
}
