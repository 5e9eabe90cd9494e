package amiclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amigate/amigate/internal/ami"
)

// conn is one AMI session: its socket, the actions in flight on it, and the
// goroutine that alone reads it. A new conn is made for every connection;
// nothing of it survives a reconnect.
type conn struct {
	c  *Client
	nc net.Conn
	r  *ami.Reader

	wmu     sync.Mutex // guards the write queue
	wq      []byte     // encoded actions waiting for the writer
	wspare  []byte     // the previous write's buffer, for reuse
	writing bool       // a caller is writing the queue

	mu      sync.Mutex
	pending map[string]*call // by ActionID, registered before writing
	dead    bool             // the reader has ended: no more registrations
	err     error            // why it ended

	lists     atomic.Int32  // pending list actions: events must be checked
	connected atomic.Bool   // the login succeeded (KindConnected was queued)
	announced bool          // KindConnected reached the subscribers, Disconnected not yet; guarded by Client.subMu
	booted    chan struct{} // closed on the first FullyBooted
	bootOnce  sync.Once
	done      chan struct{} // closed when the reader has ended
}

// callKind says how a response completes a call.
type callKind uint8

const (
	plainCall callKind = iota
	listCall           // collects events up to EventList: Complete
	loginCall          // a Success response means KindConnected
)

// call is one action in flight. The reader fills it and closes done.
type call struct {
	action     string
	kind       callKind
	collecting bool // a list whose start response came
	resp       ami.Message
	events     []ami.Message
	err        error
	done       chan struct{}
}

func newConn(c *Client, nc net.Conn) *conn {
	return &conn{
		c: c, nc: nc,
		r:       ami.NewReader(nc, c.cfg.MaxMessageSize),
		pending: map[string]*call{},
		booted:  make(chan struct{}),
		done:    make(chan struct{}),
	}
}

// roundTrip sends the action under id and waits for its answer. Nothing is
// written if the action fails validation; an action whose connection drops
// fails with ErrDisconnected and is not re-sent.
func (cn *conn) roundTrip(ctx context.Context, a *ami.Action, id string, kind callKind) (ami.Message, []ami.Message, error) {
	if err := a.Validate(id); err != nil {
		return ami.Message{}, nil, fmt.Errorf("amiclient: %s: %w", a.Name, err)
	}
	cl := &call{action: a.Name, kind: kind, done: make(chan struct{})}
	cn.mu.Lock()
	if cn.dead {
		err := cn.err
		cn.mu.Unlock()
		return ami.Message{}, nil, fmt.Errorf("%w: %w", ErrDisconnected, err)
	}
	if _, dup := cn.pending[id]; dup {
		cn.mu.Unlock()
		return ami.Message{}, nil, fmt.Errorf("%w: %q", ErrDuplicateID, id)
	}
	cn.pending[id] = cl
	if kind == listCall {
		cn.lists.Add(1)
	}
	cn.mu.Unlock()

	if err := cn.write(a, id); err != nil {
		cn.forget(id, cl)
		return ami.Message{}, nil, err
	}

	var timeout <-chan time.Time
	if _, ok := ctx.Deadline(); !ok {
		t := time.NewTimer(cn.c.cfg.ActionTimeout)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-cl.done:
		if cl.err != nil {
			return ami.Message{}, nil, cl.err
		}
		if strings.EqualFold(cl.resp.Response(), "Error") {
			return cl.resp, cl.events, &ActionError{
				Action: a.Name, Response: cl.resp.Response(),
				Message: cl.resp.Get("Message"), Output: cl.resp.Output(),
			}
		}
		return cl.resp, cl.events, nil
	case <-ctx.Done():
		cn.forget(id, cl)
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return ami.Message{}, nil, fmt.Errorf("%w: %s: %w", ErrTimeout, a.Name, ctx.Err())
		}
		return ami.Message{}, nil, fmt.Errorf("amiclient: %s: %w", a.Name, ctx.Err())
	case <-timeout:
		cn.forget(id, cl)
		return ami.Message{}, nil, fmt.Errorf("%w: %s after %v", ErrTimeout, a.Name, cn.c.cfg.ActionTimeout)
	}
}

// forget drops a call that stopped waiting: a late answer is discarded.
func (cn *conn) forget(id string, cl *call) {
	cn.mu.Lock()
	if cn.pending[id] == cl {
		delete(cn.pending, id)
		if cl.kind == listCall {
			cn.lists.Add(-1)
		}
	}
	cn.mu.Unlock()
}

// write encodes one action and writes it. Concurrent callers combine
// their writes: whoever finds no write in progress becomes the writer and
// writes, in one syscall per round, everything queued until the queue is
// empty; the others only append. A failed write kills the connection, and
// the reader then fails every call in flight, including those whose bytes
// were in the failed write.
func (cn *conn) write(a *ami.Action, id string) error {
	cn.wmu.Lock()
	var err error
	if cn.wq, err = a.Encode(cn.wq, id); err != nil {
		cn.wmu.Unlock()
		return fmt.Errorf("amiclient: %s: %w", a.Name, err)
	}
	if cn.writing {
		cn.wmu.Unlock()
		return nil
	}
	cn.writing = true
	for len(cn.wq) > 0 {
		buf := cn.wq
		cn.wq = cn.wspare[:0]
		cn.wmu.Unlock()
		cn.nc.SetWriteDeadline(time.Now().Add(cn.c.cfg.ActionTimeout))
		_, err := cn.nc.Write(buf)
		cn.wmu.Lock()
		cn.wspare = buf[:0]
		if err != nil {
			cn.writing, cn.wq = false, cn.wq[:0]
			cn.wmu.Unlock()
			cn.nc.Close()
			return fmt.Errorf("%w: writing %s: %w", ErrDisconnected, a.Name, err)
		}
	}
	cn.writing = false
	cn.wmu.Unlock()
	return nil
}

// maxBatch bounds how many events the reader holds before handing them to
// the subscribers; it also hands them over whenever the socket buffer is
// empty, that is before it could block.
const maxBatch = 256

// readLoop is the only reader of the socket. It answers calls and hands
// events to the subscribers in batches, never waiting for anyone.
func (cn *conn) readLoop() {
	defer close(cn.done)
	c := cn.c
	batch := make([]Event, 0, maxBatch)
	var now time.Time
	for {
		m, err := cn.r.ReadMessage()
		if err != nil {
			if errors.Is(err, ami.ErrMessageTooLarge) {
				c.log.Error("amiclient: message over the size bound skipped", "max", c.cfg.MaxMessageSize, "err", err)
				continue
			}
			c.deliver(cn, batch)
			cn.fail(err)
			return
		}
		if len(batch) == 0 {
			now = c.cfg.Now()
		}
		if m.IsResponse() {
			// Events read before a response reach the subscribers before
			// the caller gets the response.
			c.deliver(cn, batch)
			clear(batch)
			batch = batch[:0]
			if cn.answer(m) {
				batch = append(batch, Event{Kind: KindConnected, ReadAt: now})
			}
		} else if cn.lists.Load() == 0 || !cn.claim(m) {
			if cn.connected.Load() {
				batch = append(batch, Event{Kind: KindEvent, Message: m, ReadAt: now})
			}
			if len(m.Fields) > 0 && m.Fields[0].Value == "FullyBooted" && ami.EqualFold(m.Fields[0].Name, "Event") {
				cn.bootOnce.Do(func() { close(cn.booted) })
			}
		}
		if len(batch) >= maxBatch || cn.r.Buffered() == 0 {
			c.deliver(cn, batch)
			clear(batch)
			batch = batch[:0]
		}
	}
}

// answer completes the call a response belongs to. It reports whether the
// response is a successful login.
func (cn *conn) answer(m ami.Message) bool {
	id := m.ActionID()
	cn.mu.Lock()
	cl := cn.pending[id]
	if cl == nil {
		cn.mu.Unlock()
		cn.c.log.Debug("amiclient: response to no action in flight (late or foreign)", "actionid", id)
		return false
	}
	cl.resp = m
	if cl.kind == listCall && listStarts(m) {
		cl.collecting = true
		cn.mu.Unlock()
		return false
	}
	delete(cn.pending, id)
	if cl.kind == listCall {
		cn.lists.Add(-1)
	}
	cn.mu.Unlock()
	login := cl.kind == loginCall && strings.EqualFold(m.Response(), "Success")
	if login {
		cn.connected.Store(true)
	}
	close(cl.done)
	return login
}

// claim adds an event to the list action it answers, if any, and completes
// the action on the list's last event.
func (cn *conn) claim(m ami.Message) bool {
	id, ok := m.Lookup("ActionID")
	if !ok {
		return false
	}
	cn.mu.Lock()
	cl := cn.pending[id]
	if cl == nil || !cl.collecting {
		cn.mu.Unlock()
		return false
	}
	cl.events = append(cl.events, m)
	if !listEnds(m) {
		cn.mu.Unlock()
		return true
	}
	delete(cn.pending, id)
	cn.lists.Add(-1)
	cn.mu.Unlock()
	close(cl.done)
	return true
}

// listStarts tells a list action's start response ("EventList: start", or
// "... will follow" from Asterisks older than 11).
func listStarts(m ami.Message) bool {
	if v, ok := m.Lookup("EventList"); ok {
		return ami.EqualFold(v, "start")
	}
	return strings.EqualFold(m.Response(), "Success") && strings.HasSuffix(strings.ToLower(m.Get("Message")), "will follow")
}

// listEnds tells a list's last event ("EventList: Complete", or an event
// named ...Complete from older Asterisks).
func listEnds(m ami.Message) bool {
	if v, ok := m.Lookup("EventList"); ok {
		return ami.EqualFold(v, "Complete")
	}
	return strings.HasSuffix(m.Event(), "Complete")
}

// fail ends the connection: every call in flight fails with
// ErrDisconnected and no more are accepted.
func (cn *conn) fail(cause error) {
	cn.nc.Close()
	cn.mu.Lock()
	cn.dead, cn.err = true, cause
	pending := cn.pending
	cn.pending = nil
	cn.lists.Store(0)
	cn.mu.Unlock()
	for _, cl := range pending {
		cl.err = fmt.Errorf("%w: %s in flight: %w", ErrDisconnected, cl.action, cause)
		close(cl.done)
	}
}

// deliver hands a batch of events to every subscriber.
func (c *Client) deliver(cn *conn, batch []Event) {
	if len(batch) == 0 {
		return
	}
	for i := range batch {
		if batch[i].Kind == KindEvent {
			c.met.EventReceived()
		}
	}
	c.subMu.Lock()
	for _, s := range c.subs {
		s.push(batch)
	}
	for i := range batch {
		switch batch[i].Kind {
		case KindConnected:
			cn.announced = true
		case KindDisconnected:
			cn.announced = false
		}
	}
	c.subMu.Unlock()
}
