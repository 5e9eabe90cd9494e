package amiclient

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/amigate/amigate/internal/ami"
)

// maxBatch bounds how many events the reader holds before handing them to
// the subscribers; it also hands them over whenever the socket buffer is
// empty, that is before it could block.
const maxBatch = 256

// readLoop is the only reader of the socket. It answers calls and hands
// events to the subscribers in batches, never waiting for anyone.
func (cn *conn) readLoop() {
	defer close(cn.done)
	c := cn.c
	// The batch's raw events point into the reader's buffer, valid until
	// the next read from the socket refills it: they are handed over
	// before that read, so each event is copied once, by its subscribers.
	batch := make([]Event, 0, maxBatch)
	flush := func() {
		c.deliver(cn, batch)
		clear(batch)
		batch = batch[:0]
	}
	var now time.Time
	for {
		var (
			m   ami.Message
			err error
		)
		f := cn.r.BufferedFrame()
		if f == nil {
			flush() // the next read may move what the batch points to
			f, m, err = cn.r.ReadFrame()
		}
		if err != nil {
			if errors.Is(err, ami.ErrMessageTooLarge) {
				c.log.Error("amiclient: message over the size bound skipped", "max", c.cfg.MaxMessageSize, "err", err)
				continue
			}
			c.deliver(cn, batch)
			cn.fail(err)
			c.lost(cn)
			return
		}
		if len(batch) == 0 {
			now = c.cfg.Now()
		}
		if f != nil && (fullyBooted(f) || cn.lists.Load() > 0 && hasActionID(f)) {
			// The reader needs what is in it: the boot, or an item of a
			// list in flight (which names its action). Other events stay
			// unparsed while a list is read: a resync on a busy PBX must
			// not move their parsing into this goroutine.
			m, f = ami.ParseFrame(f), nil
		}
		switch {
		case f != nil:
			// An event goes to the subscribers unparsed: each consumer
			// parses it in its own goroutine (see Subscription.Next).
			if cn.connected.Load() {
				batch = append(batch, Event{Kind: KindEvent, ReadAt: now, raw: f[:len(f):len(f)]})
			}
		case m.IsResponse():
			// Events read before a response reach the subscribers before
			// the caller gets the response.
			flush()
			if cn.answer(m) {
				batch = append(batch, Event{Kind: KindConnected, ReadAt: now})
			}
		default:
			if claimed, done := cn.claim(m); claimed {
				if done != nil && done.kind == streamListCall {
					// The list takes its place in the stream: after every
					// event read before its last one, before every event after.
					batch = append(batch, Event{Kind: KindList, Message: m, List: done.events, ReadAt: now})
				}
				break
			}
			if cn.connected.Load() {
				batch = append(batch, Event{Kind: KindEvent, Message: m, ReadAt: now})
			}
			if len(m.Fields) > 0 && m.Fields[0].Value == "FullyBooted" && ami.EqualFold(m.Fields[0].Name, "Event") {
				cn.bootOnce.Do(func() { close(cn.booted) })
			}
		}
		if len(batch) >= maxBatch || cn.r.Buffered() == 0 {
			flush()
		}
	}
}

// fullyBooted tells an event frame whose first field is "Event:
// FullyBooted" (ReadFrame returns only frames whose first field is Event).
func fullyBooted(f []byte) bool {
	line, _, _ := bytes.Cut(f, []byte("\n"))
	if !bytes.HasSuffix(bytes.TrimSuffix(line, []byte("\r")), []byte("FullyBooted")) {
		return false // every other event: no more than the first line looked at
	}
	_, v, _ := bytes.Cut(line, []byte(":"))
	v = bytes.TrimSuffix(v, []byte("\r"))
	v = bytes.TrimPrefix(v, []byte(" "))
	return string(v) == "FullyBooted"
}

// hasActionID tells a frame with an ActionID field: only such an event may
// be a list's (claim).
func hasActionID(f ami.Frame) bool {
	_, ok := f.Lookup("ActionID")
	return ok
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
	if cl.kind.list() && listStarts(m) {
		cl.collecting = true
		cn.mu.Unlock()
		return false
	}
	delete(cn.pending, id)
	if cl.kind.list() {
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
// the action on the list's last event: it then returns the completed call.
func (cn *conn) claim(m ami.Message) (claimed bool, done *call) {
	if cn.lists.Load() == 0 {
		return false, nil
	}
	id, ok := m.Lookup("ActionID")
	if !ok {
		return false, nil
	}
	cn.mu.Lock()
	cl := cn.pending[id]
	if cl == nil || !cl.collecting {
		cn.mu.Unlock()
		return false, nil
	}
	cl.events = append(cl.events, m)
	if !listEnds(m) {
		cn.mu.Unlock()
		return true, nil
	}
	delete(cn.pending, id)
	cn.lists.Add(-1)
	cn.mu.Unlock()
	close(cl.done)
	return true, cl
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

// lost takes a dead connection out of service at once, before the manager
// notices: actions fail fast with ErrNotReady and WaitReady waits for the
// next login instead of seeing a stale Ready.
func (c *Client) lost(cn *conn) {
	c.mu.Lock()
	current := c.cur == cn
	if c.ready == cn {
		c.ready = nil
	}
	c.mu.Unlock()
	if current {
		c.setState(BackingOff)
	}
}
