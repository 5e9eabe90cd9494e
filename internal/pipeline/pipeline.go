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
	"sync/atomic"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amiclient"
)

// The loop's collaborators, as small interfaces so that its tests can drive
// it with fakes.
type (
	// Events is the AMI subscription (*amiclient.Subscription): a lossless
	// one hands out events as borrowed frames (NextFrame), which the loop
	// parses only when the correlator or the presence model wants them.
	Events interface {
		NextFrame(ctx context.Context) (amiclient.Event, ami.Frame, error)
	}
	// PBX lists the PBX's channels for a resync (*amiclient.Client).
	PBX interface {
		SendListInStream(ctx context.Context, a *ami.Action) (ami.Message, []ami.Message, error)
		WaitReady(ctx context.Context) error
	}
	// Correlator is the call model (*calls.Tracker): Handle in stream
	// order, Reconcile with the channel list after events were lost. Wants
	// tells from an event's text whether Handle would use it.
	Correlator interface {
		Wants(f ami.Frame) bool
		Handle(m ami.Message, readAt time.Time) []amigate.CallEvent
		Reconcile(channels []ami.Message, now time.Time) []amigate.CallEvent
		Expire(now time.Time)
	}
	// Store stores call events durably (*webhooks.Dispatcher).
	Store interface {
		Publish(ctx context.Context, evs []amigate.CallEvent) error
	}
	// Metrics counts stored call events (*metrics.Metrics), and the call
	// events the store refused as invalid.
	Metrics interface {
		CallEvent(typ string)
		CallEventInvalid(typ string)
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
	resync resyncState
	// synced holds nil once the resync after the current login has been
	// applied, and why not otherwise (Ready).
	synced atomic.Pointer[error]
	// fields is the array each wanted event is parsed into, reused from
	// one event to the next: nothing keeps an event's Fields beyond its
	// handling but pending, which copies them.
	fields []ami.Field
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
	l.unsynced(errNotConnected)
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
		default: // drain returns only on an error
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
	var p pending
	for {
		ev, frame, err := l.cfg.Events.NextFrame(wait)
		if err != nil {
			return err
		}
		for n := 1; ; n++ {
			l.handle(ctx, ev, frame, &p)
			if n == l.cfg.Batch {
				break
			}
			if ev, frame, err = l.cfg.Events.NextFrame(nowait); err != nil {
				break // nothing queued (or closed: the next wait says so)
			}
		}
		l.flush(ctx, &p)
	}
}

// handle applies one subscription event, adding the call events it causes
// to p. An event that comes as a frame (borrowed until the next NextFrame)
// is parsed only when the correlator or the presence model wants it: most
// of a busy PBX's stream is of no use to either. Anything that resyncs
// first stores what is pending, so that call events stay in stream order.
func (l *Loop) handle(ctx context.Context, ev amiclient.Event, frame ami.Frame, p *pending) {
	switch ev.Kind {
	case amiclient.KindEvent:
		m := ev.Message
		if frame != nil {
			if !l.cfg.Correlator.Wants(frame) && (l.agents == nil || !l.agents.Model.Wants(frame)) {
				return // neither would use it, nor cause a call event
			}
			m = frame.MessageInto(l.fields)
			l.fields = m.Fields[:0]
		}
		evs := l.cfg.Correlator.Handle(m, ev.ReadAt)
		p.add(evs, m)
		if l.agents != nil {
			p.add(l.agents.handle(nil, m, ev.ReadAt, evs), m)
		}
	case amiclient.KindConnected, amiclient.KindOverflow:
		l.flush(ctx, p)
		l.requestResync(ctx, ev.Kind)
	case amiclient.KindList:
		if l.resync.id == "" || ev.Message.ActionID() != l.resync.id {
			return // another consumer's list
		}
		l.flush(ctx, p)
		l.applyResync(ctx, ev.List)
	case amiclient.KindDisconnected:
		l.unsynced(errDisconnected)
		l.log.Warn("ami connection lost; calls resync on the next login")
	}
}

// flush stores what is pending.
func (l *Loop) flush(ctx context.Context, p *pending) {
	if len(p.evs) > 0 {
		l.publish(ctx, p)
	}
	p.reset()
}
