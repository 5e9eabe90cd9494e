// Package pipeline is the service's event pipeline: it turns the AMI event
// stream into durably stored call events. Each AMI event goes through the
// correlator, and the call events it causes are stored before the next AMI
// event is taken; after events were lost (a new login, an overflowing
// subscription) it resyncs the correlator with the PBX's channel list.
//
// One Loop runs in one goroutine, which is what the correlator requires
// (Handle and Reconcile in stream order).
package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amiclient"
)

// The loop's collaborators, as small interfaces so that its tests can drive
// it with fakes.
type (
	// Events is the AMI subscription (*amiclient.Subscription).
	Events interface {
		Next(ctx context.Context) (amiclient.Event, error)
	}
	// PBX lists the PBX's channels for a resync (*amiclient.Client).
	PBX interface {
		CoreShowChannels(ctx context.Context) ([]ami.Message, error)
		WaitReady(ctx context.Context) error
	}
	// Correlator is the call model (*calls.Tracker): Handle in stream
	// order, Reconcile with the channel list after events were lost.
	Correlator interface {
		Handle(m ami.Message, readAt time.Time) []amigate.CallEvent
		Reconcile(channels []ami.Message, now time.Time) []amigate.CallEvent
		Expire(now time.Time)
	}
	// Store stores call events durably (*webhooks.Dispatcher).
	Store interface {
		Publish(ctx context.Context, evs []amigate.CallEvent) error
	}
	// Metrics counts stored call events (*metrics.Metrics).
	Metrics interface {
		CallEvent(typ string)
	}
	// agentCounter counts agent events (*metrics.Metrics); Metrics
	// without it does not count them.
	agentCounter interface {
		AgentEvent(typ string)
	}
)

// Config is a Loop's collaborators and timings. Zero durations take the
// defaults below.
type Config struct {
	Events     Events
	PBX        PBX
	Correlator Correlator
	Store      Store
	Metrics    Metrics
	// Agents, when set, feeds the presence model beside the correlator.
	Agents *Agents
	Logger *slog.Logger
	Now    func() time.Time // time.Now when nil

	// ExpireEvery is how often ended calls are forgotten (default 1 min).
	ExpireEvery time.Duration
	// ResyncTimeout bounds the CoreShowChannels of a resync (default 10 s).
	ResyncTimeout time.Duration
	// RetryMin and RetryMax bound the wait between attempts to store call
	// events while the store refuses them (default 100 ms and 5 s);
	// PublishTimeout bounds one attempt, which shutdown lets finish
	// (default 5 s).
	RetryMin, RetryMax time.Duration
	PublishTimeout     time.Duration
	// Batch bounds the AMI events taken in one batch (default MaxBatch).
	Batch int
}

// MaxBatch is the default bound on the AMI events taken in one batch: their
// call events are stored with one Publish, one round trip to the store
// instead of one each (BenchmarkLoopStore measures the difference).
const MaxBatch = 256

// Loop is the event pipeline; New makes one, Run runs it.
type Loop struct {
	cfg    Config
	agents *agentSync // nil leaves agents out
	log    *slog.Logger
}

// New returns a loop over cfg's collaborators, with defaults filled in.
func New(cfg Config) *Loop {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.ExpireEvery, time.Minute)
	def(&cfg.ResyncTimeout, 10*time.Second)
	def(&cfg.RetryMin, 100*time.Millisecond)
	def(&cfg.RetryMax, 5*time.Second)
	def(&cfg.PublishTimeout, 5*time.Second)
	if cfg.Batch <= 0 {
		cfg.Batch = MaxBatch
	}
	l := &Loop{cfg: cfg, log: cfg.Logger}
	if cfg.Agents != nil {
		l.agents = &agentSync{Agents: *cfg.Agents, log: cfg.Logger}
	}
	return l
}

// Run consumes events until ctx ends or the subscription is closed. It
// returns nil then; there is no other way out: a failure to store is
// retried, a failed resync waits for the next connection.
func (l *Loop) Run(ctx context.Context) error {
	nextExpire := l.cfg.Now().Add(l.cfg.ExpireEvery)
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
			now := l.cfg.Now()
			l.cfg.Correlator.Expire(now)
			nextExpire = now.Add(l.cfg.ExpireEvery)
		case err != nil:
			return err
		}
	}
}

// nowait is a context that is already done: Next with it returns an event
// already queued, or the context's error at once.
var nowait = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// drain handles events until wait ends or the subscription fails; ctx
// (without wait's deadline) bounds the work on each event. It waits for one
// event, then takes those already queued behind it (up to Batch) and
// stores the call events of all of them at once before taking more: the
// AMI events of a batch count as handled together.
func (l *Loop) drain(ctx, wait context.Context) error {
	var pending []amigate.CallEvent
	for {
		ev, err := l.cfg.Events.Next(wait)
		if err != nil {
			return err
		}
		for n := 1; ; n++ {
			pending = l.handle(ctx, ev, pending)
			if n == l.cfg.Batch {
				break
			}
			if ev, err = l.cfg.Events.Next(nowait); err != nil {
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
func (l *Loop) handle(ctx context.Context, ev amiclient.Event, pending []amigate.CallEvent) []amigate.CallEvent {
	switch ev.Kind {
	case amiclient.KindEvent:
		evs := l.cfg.Correlator.Handle(ev.Message, ev.ReadAt)
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
func (l *Loop) resync(ctx context.Context, kind amiclient.EventKind) {
	// KindConnected sits in the stream at the login response; the client
	// takes actions only once the PBX is fully booted, a moment later.
	rctx, cancel := context.WithTimeout(ctx, l.cfg.ResyncTimeout)
	defer cancel()
	err := l.cfg.PBX.WaitReady(rctx)
	var channels []ami.Message
	if err == nil {
		channels, err = l.cfg.PBX.CoreShowChannels(rctx)
	}
	if err != nil {
		// The connection is likely gone again; its next login resyncs.
		l.log.Warn("resync: listing channels failed", "reason", kind.String(), "err", err)
		return
	}
	evs := l.cfg.Correlator.Reconcile(channels, l.cfg.Now())
	l.log.Info("resynced calls", "reason", kind.String(), "channels", len(channels), "events", len(evs))
	if l.agents != nil {
		evs = l.agents.resync(rctx, evs, l.cfg.Now())
	}
	if len(evs) > 0 {
		l.publish(ctx, evs)
	}
}

// publish stores evs, retrying with backoff until the store takes them or
// ctx ends: an AMI event counts as handled only once its call events are
// durable. Meanwhile AMI events wait in the lossless subscription.
func (l *Loop) publish(ctx context.Context, evs []amigate.CallEvent) {
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
		delay = min(2*delay, l.cfg.RetryMax)
	}
}
