package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/nats-io/nats.go"
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

	open *openWriter // what the stored events leave open, recorded behind Publish
}

// New opens the store (embedded nats-server with JetStream file storage
// under cfg.DataDir, or cfg.NATSURL), registers the configuration's
// subscriptions and starts a delivery worker per enabled subscription.
func New(ctx context.Context, cfg Config) (*Dispatcher, error) {
	cfg = cfg.withDefaults()
	if err := cfg.check(); err != nil {
		return nil, err
	}
	transport := cfg.Transport
	if transport == nil {
		transport = newTransport(cfg.AllowPrivate, cfg.MaxInFlight)
	}
	d := &Dispatcher{
		cfg:           cfg,
		client:        newClient(transport),
		backoff:       Backoff{Schedule: cfg.Schedule, Jitter: cfg.Jitter},
		workers:       make(map[string]*worker),
		configSecrets: make(map[string]string),
		open:          newOpenWriter(),
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	d.st = st
	if err := d.openSecrets(ctx); err != nil {
		st.close()
		return nil, err
	}
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
	d.wg.Add(3)
	go d.watch(watch)
	go d.reportBacklog()
	go d.writeOpen()
	return d, nil
}

// Close stops the workers and waits for them, flushes the store and shuts
// the embedded server down. Events held by workers are handed back to the
// store, to be delivered after a restart or by another instance.
func (d *Dispatcher) Close(ctx context.Context) error { return d.close(ctx, true) }

// close is Close; with handBack false the held events are left to the
// store's redelivery after AckWait, as after a crash (kill -9).
func (d *Dispatcher) close(ctx context.Context, handBack bool) error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return ErrClosed
	}
	d.closed = true
	workers := d.workers
	d.workers = nil
	d.mu.Unlock()

	if handBack {
		// What the stored events leave open is recorded before the
		// store goes: a restart then has nothing to read back.
		if err := d.flushOpen(ctx); err != nil {
			d.cfg.Logger.Warn("webhooks: closing", "err", err)
		}
	}
	d.cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for _, w := range workers {
			wg.Add(1)
			go func() { defer wg.Done(); w.stop(handBack) }()
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

// newClient is the HTTP client of deliveries: redirects are not followed
// (a 3xx is a failed attempt), so a receiver cannot bounce requests to an
// address the guard would refuse or to another host.
func newClient(t http.RoundTripper) *http.Client {
	return &http.Client{
		Transport:     t,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
