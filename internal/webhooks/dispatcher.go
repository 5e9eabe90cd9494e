package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/amigate/amigate"
)

// ErrClosed is returned by a Dispatcher that has been closed.
var ErrClosed = errors.New("webhooks: dispatcher closed")

// Dispatcher stores call events durably and delivers them to subscribers.
type Dispatcher struct {
	cfg     Config
	st      *store
	client  *http.Client
	backoff Backoff

	ctx    context.Context // ends at Close; every worker runs under it
	cancel context.CancelFunc
	wg     sync.WaitGroup // the watcher, backlog reporter and disablers

	mu            sync.Mutex
	workers       map[string]*worker
	configSecrets map[string]string // config subscription id → secrets
	closed        bool

	storeErr atomic.Pointer[error] // last publish failure, for Ready

	crashed bool // tests: Close without handing held events back, as after kill -9
}

// New opens the store (embedded nats-server with JetStream file storage
// under cfg.DataDir, or cfg.NATSURL), registers the configuration's
// subscriptions and starts a delivery worker per enabled subscription.
func New(ctx context.Context, cfg Config) (*Dispatcher, error) {
	cfg = cfg.withDefaults()
	transport := cfg.Transport
	if transport == nil {
		transport = newTransport(cfg.AllowPrivate, cfg.MaxInFlight)
	}
	d := &Dispatcher{
		cfg: cfg,
		client: &http.Client{
			Transport:     transport,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		backoff:       Backoff{Schedule: cfg.Schedule, Jitter: cfg.Jitter},
		workers:       make(map[string]*worker),
		configSecrets: make(map[string]string),
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	d.st = st
	if err := d.registerConfig(ctx); err != nil {
		st.close()
		return nil, err
	}
	watch, err := st.subs.WatchAll(context.Background())
	if err != nil {
		st.close()
		return nil, fmt.Errorf("webhooks: watch subscriptions: %w", err)
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	d.wg.Add(2)
	go d.watch(watch)
	go d.reportBacklog()
	return d, nil
}

// Close stops the workers and waits for them, flushes the store and shuts
// the embedded server down. Events held by workers are handed back to the
// store, to be delivered after a restart or by another instance.
func (d *Dispatcher) Close(ctx context.Context) error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return ErrClosed
	}
	d.closed = true
	workers := d.workers
	d.workers = nil
	d.mu.Unlock()

	d.cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for _, w := range workers {
			wg.Add(1)
			go func() { defer wg.Done(); w.stop() }()
		}
		wg.Wait()
		d.wg.Wait()
		d.st.close()
		if t, ok := d.client.Transport.(interface{ CloseIdleConnections() }); ok {
			t.CloseIdleConnections()
		}
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("webhooks: close: %w", ctx.Err())
	}
}

// Ready returns nil while the store is connected and writable, for /readyz.
func (d *Dispatcher) Ready() error {
	if d.st.ns != nil && !d.st.ns.Running() {
		return errors.New("webhooks: embedded store stopped")
	}
	if st := d.st.nc.Status(); st != nats.CONNECTED {
		return fmt.Errorf("webhooks: store connection %s", st)
	}
	if p := d.storeErr.Load(); p != nil {
		return fmt.Errorf("webhooks: store not writable: %w", *p)
	}
	return nil
}

// Publish stores call events; they are durable when it returns nil (every
// one acknowledged by JetStream). An event whose id was stored within the
// dedup window is dropped by the store, so two instances watching one
// Asterisk send each webhook once.
func (d *Dispatcher) Publish(ctx context.Context, evs []amigate.CallEvent) error {
	if len(evs) == 0 {
		return nil
	}
	futures := make([]jetstream.PubAckFuture, 0, len(evs))
	for i := range evs {
		ev := &evs[i]
		if err := checkEvent(ev); err != nil {
			return err
		}
		body, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("webhooks: encode event %s: %w", ev.ID, err)
		}
		m := &nats.Msg{Subject: eventSubject(ev.Type, ev.ID), Data: body, Header: make(nats.Header, 4)}
		m.Header.Set(hdrCallID, token(callKey(ev)))
		m.Header.Set(hdrReadAt, ev.ReadAt.UTC().Format(time.RFC3339Nano))
		f, err := d.st.js.PublishMsgAsync(m, jetstream.WithMsgID(ev.ID), jetstream.WithExpectStream(streamName))
		if err != nil {
			return d.publishFailed(fmt.Errorf("webhooks: publish %s: %w", ev.ID, err))
		}
		futures = append(futures, f)
	}
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return d.publishFailed(fmt.Errorf("webhooks: publish %s: %w", f.Msg().Header.Get(jetstream.MsgIDHeader), err))
		case <-ctx.Done():
			return fmt.Errorf("webhooks: publish: %w", ctx.Err())
		}
	}
	d.storeErr.Store(nil)
	return nil
}

func (d *Dispatcher) publishFailed(err error) error {
	d.storeErr.Store(&err)
	return err
}

// checkEvent refuses events the store cannot file: an unknown type or no id.
func checkEvent(ev *amigate.CallEvent) error {
	if ev.ID == "" {
		return fmt.Errorf("webhooks: event without id: %w", amigate.ErrInvalid)
	}
	for _, t := range amigate.EventTypes {
		if ev.Type == t {
			return nil
		}
	}
	return fmt.Errorf("webhooks: event %s has unknown type %q: %w", ev.ID, ev.Type, amigate.ErrInvalid)
}

// callKey is what orders deliveries: the call, or the event itself when it
// names no call.
func callKey(ev *amigate.CallEvent) string {
	if ev.Call.ID != "" {
		return ev.Call.ID
	}
	return ev.ID
}

// watch keeps one worker per enabled subscription, on this and every other
// instance sharing the store: subscriptions created, deleted or disabled
// anywhere show up here.
func (d *Dispatcher) watch(w jetstream.KeyWatcher) {
	defer d.wg.Done()
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-d.ctx.Done():
			return
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e == nil {
				continue // initial values done
			}
			if e.Operation() != jetstream.KeyValuePut {
				d.stopWorker(e.Key())
				continue
			}
			var rec subRecord
			if err := json.Unmarshal(e.Value(), &rec); err != nil {
				d.cfg.Logger.Error("webhooks: bad subscription record", "key", e.Key(), "err", err)
				continue
			}
			if rec.Disabled {
				d.stopWorker(rec.ID)
				continue
			}
			d.startWorker(rec)
		}
	}
}

func (d *Dispatcher) startWorker(rec subRecord) {
	secrets := rec.Secret
	if rec.Source == sourceConfig {
		d.mu.Lock()
		secrets = d.configSecrets[rec.ID]
		d.mu.Unlock()
		if secrets == "" {
			return // another instance's configuration
		}
	}
	d.mu.Lock()
	busy := d.closed || d.workers[rec.ID] != nil
	d.mu.Unlock()
	if busy {
		return
	}
	// Built outside the lock: it talks to the store.
	w, err := newWorker(d, rec, secrets)
	if err != nil {
		d.cfg.Logger.Error("webhooks: cannot start subscription", "id", rec.ID, "err", err)
		return
	}
	d.mu.Lock()
	if d.closed || d.workers[rec.ID] != nil {
		d.mu.Unlock()
		w.stop()
		return
	}
	d.workers[rec.ID] = w
	d.mu.Unlock()
}

func (d *Dispatcher) stopWorker(id string) {
	d.mu.Lock()
	w := d.workers[id]
	delete(d.workers, id)
	d.mu.Unlock()
	if w != nil {
		w.stop()
	}
}

func (d *Dispatcher) worker(id string) *worker {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.workers[id]
}

// isGoneErr reports whether err says the consumer or stream is gone, which
// is expected while a subscription is being deleted.
func isGoneErr(err error) bool {
	return errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrConsumerDeleted) ||
		strings.Contains(err.Error(), "consumer not found")
}
