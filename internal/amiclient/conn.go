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
	plainCall      callKind = iota
	listCall                // collects events up to EventList: Complete
	streamListCall          // a listCall whose list also reaches the subscribers as KindList
	loginCall               // a Success response means KindConnected
)

// list reports whether calls of the kind collect a list.
func (k callKind) list() bool { return k == listCall || k == streamListCall }

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
	if kind.list() {
		cn.lists.Add(1)
	}
	cn.mu.Unlock()

	if err := cn.write(a, id); err != nil {
		cn.forget(id, cl)
		return ami.Message{}, nil, err
	}

	var timeout <-chan time.Time
	if _, ok := ctx.Deadline(); !ok {
		t := getTimer(cn.c.cfg.ActionTimeout)
		defer putTimer(t)
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
		if cl.kind.list() {
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

// timers recycles the per-action timers: since Go 1.23 a stopped timer
// delivers nothing stale, so Reset on a pooled one is safe.
var timers sync.Pool

func getTimer(d time.Duration) *time.Timer {
	if t, ok := timers.Get().(*time.Timer); ok {
		t.Reset(d)
		return t
	}
	return time.NewTimer(d)
}

func putTimer(t *time.Timer) {
	t.Stop()
	timers.Put(t)
}
