// Package amiclient keeps one long-lived connection to Asterisk's manager
// interface (AMI): it logs in (MD5 or plain), correlates responses and list
// events to actions by ActionID, checks liveness with Ping, reconnects with
// backoff, and hands the event stream to subscribers without ever letting a
// slow subscriber hold up the socket. It imports nothing of the product.
package amiclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amigate/amigate/internal/ami"
)

// Client is a managed AMI connection. It is safe for concurrent use.
type Client struct {
	cfg Config
	log *slog.Logger
	met Metrics

	ctx    context.Context // canceled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // the manager and the current reader
	notify *notifier

	mu      sync.Mutex
	state   State
	since   time.Time     // when state began
	stateCh chan struct{} // closed and replaced on every state change
	cur     *conn         // the current connection, nil between them
	ready   *conn         // cur once logged in: where actions go
	version string
	lastErr error
	// loggedOff is set by Logoff: the session's end is then expected and
	// the manager waits for Close instead of reconnecting.
	loggedOff bool
	closed    bool

	// subMu guards subs and conn.announced; the reader takes it once per
	// batch, so a subscription joins between two batches.
	subMu sync.Mutex
	subs  []*Subscription

	ids       atomic.Uint64
	everReady bool // touched by the manager goroutine only
}

// New validates cfg and starts the connection manager, which connects in
// the background: use WaitReady to wait for the first login.
func New(cfg Config) (*Client, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, log: cfg.Logger, met: cfg.Metrics, stateCh: make(chan struct{}), since: cfg.Now()}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	onState := cfg.OnStateChange
	c.notify = newNotifier(func(s State) {
		c.met.SetState(s)
		if onState != nil {
			onState(s)
		}
	})
	c.notify.push(Connecting)
	c.wg.Add(1)
	go c.run()
	return c, nil
}

// Close stops the connection manager, closes the connection (actions in
// flight fail with ErrDisconnected), ends every subscription once drained,
// and waits for all goroutines. A second call returns ErrClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	c.closed = true
	cur := c.cur
	c.mu.Unlock()
	c.cancel()
	if cur != nil {
		cur.nc.Close()
	}
	c.wg.Wait()
	c.setState(Closed)
	c.notify.close()
	c.subMu.Lock()
	for _, s := range c.subs {
		s.end()
	}
	c.subs = nil
	c.subMu.Unlock()
	return nil
}

// State returns the current state.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Version returns the AMI protocol version from the current connection's
// banner ("11.0.0" for Asterisk 22), or "" before the first connection.
func (c *Client) Version() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.version
}

// WaitReady waits until the client is logged in. When ctx ends first the
// error wraps both ctx's error and the last connection error (so
// errors.Is(err, ErrAuthFailed) tells a wrong password).
func (c *Client) WaitReady(ctx context.Context) error {
	for {
		c.mu.Lock()
		st, ch, last := c.state, c.stateCh, c.lastErr
		c.mu.Unlock()
		switch st {
		case Ready:
			return nil
		case Closed:
			return ErrClosed
		}
		select {
		case <-ch:
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("amiclient: not ready: %w (last attempt: %w)", ctx.Err(), last)
			}
			return fmt.Errorf("amiclient: not ready: %w", ctx.Err())
		}
	}
}

func (c *Client) setState(s State) {
	c.mu.Lock()
	if c.state == s || c.state == Closed {
		c.mu.Unlock()
		return
	}
	c.state, c.since = s, c.cfg.Now()
	close(c.stateCh)
	c.stateCh = make(chan struct{})
	c.mu.Unlock()
	c.log.Debug("amiclient: state", "state", s.String())
	c.notify.push(s)
}

// nextID returns a connection-unique ActionID.
func (c *Client) nextID() string {
	var b [24]byte
	return string(strconv.AppendUint(append(b[:0], "amigate-"...), c.ids.Add(1), 10))
}

// Send sends an action and returns its response. a.ID, when set, is the
// ActionID (refused with ErrDuplicateID while another action uses it);
// otherwise the client picks one. A "Response: Error" comes back as an
// *ActionError together with the response. Send fails fast with
// ErrNotReady when not logged in; an action in flight when the connection
// drops fails with ErrDisconnected and is never re-sent. After a timeout,
// a cancellation or a disconnection the action may or may not have reached
// Asterisk; a late response is discarded.
func (c *Client) Send(ctx context.Context, a *ami.Action) (ami.Message, error) {
	resp, _, err := c.do(ctx, a, plainCall)
	return resp, err
}

// SendList sends a list action (QueueStatus, CoreShowChannels, Status...)
// and returns its response and every event carrying its ActionID, up to
// and including the one that completes the list ("EventList: Complete").
// Those events are not delivered to subscribers. An action refused with
// "Response: Error" returns no events.
func (c *Client) SendList(ctx context.Context, a *ami.Action) (ami.Message, []ami.Message, error) {
	return c.do(ctx, a, listCall)
}

// SendListInStream is SendList whose list also reaches every subscriber, as
// one KindList event in stream order: after every event read before the
// list's completing event, before every event read after it. A consumer
// that applies a snapshot (CoreShowChannels after a reconnect) applies it
// when it takes that event, exactly where the snapshot was taken. The
// list comes as KindList only when it completes; an action refused or
// failed sends none.
func (c *Client) SendListInStream(ctx context.Context, a *ami.Action) (ami.Message, []ami.Message, error) {
	return c.do(ctx, a, streamListCall)
}

func (c *Client) do(ctx context.Context, a *ami.Action, kind callKind) (ami.Message, []ami.Message, error) {
	c.mu.Lock()
	cn, closed := c.ready, c.closed
	c.mu.Unlock()
	if closed {
		return ami.Message{}, nil, ErrClosed
	}
	if cn == nil {
		return ami.Message{}, nil, fmt.Errorf("%w: %s not sent", ErrNotReady, a.Name)
	}
	id := a.ID
	if id == "" {
		id = c.nextID()
	}
	start := c.cfg.Now()
	resp, evs, err := cn.roundTrip(ctx, a, id, kind)
	c.met.ActionDone(a.Name, outcome(err), c.cfg.Now().Sub(start))
	return resp, evs, err
}

// outcome is the metric label of an action's result.
func outcome(err error) string {
	switch {
	case err == nil:
		return "success"
	case isActionError(err):
		return "error"
	case errors.Is(err, ErrTimeout):
		return "timeout"
	case errors.Is(err, ErrDisconnected):
		return "disconnected"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "error"
}

func isActionError(err error) bool {
	var ae *ActionError
	return errors.As(err, &ae)
}
