package amiclient

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/amigate/amigate/internal/ami"
)

// EventKind says what an Event is.
type EventKind int

// Kinds of Event.
const (
	// KindEvent carries an AMI event in Message.
	KindEvent EventKind = iota + 1
	// KindConnected: the client logged in (again). It comes in stream
	// order, before the first event of the new session, so the consumer
	// reconciles its state (events during the gap are lost for good).
	// It marks the login response, which comes before FullyBooted: actions
	// sent at once may get ErrNotReady, so call WaitReady first.
	KindConnected
	// KindDisconnected: the connection that KindConnected announced ended.
	KindDisconnected
	// KindOverflow: a lossless subscription passed its MaxBuffer and its
	// whole backlog was discarded; the consumer must resync.
	KindOverflow
	// KindList: a list sent with SendListInStream completed here. Message
	// is its completing event (its ActionID names the action), List every
	// event of the list, the completing one included.
	KindList
)

var kindNames = [...]string{"", "event", "connected", "disconnected", "overflow", "list"}

// String returns the kind's lowercase name.
func (k EventKind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is one item of a subscription.
type Event struct {
	Kind    EventKind
	Message ami.Message   // the AMI event (KindEvent), the list's completing event (KindList)
	List    []ami.Message // the list's events (KindList only)
	ReadAt  time.Time     // when it was read off the socket

	// raw is an event's text as read, not yet parsed into Message: a
	// lossless subscription queues events so, and Next parses them in
	// the consumer's goroutine. The text sits in blocks that hold no
	// pointers for the garbage collector to trace (one slice per event
	// points into them, not the strings and fields of a parsed message),
	// and the reader goroutine does little more than split frames.
	raw []byte
}

// DropPolicy says which events a bounded subscription loses when full.
type DropPolicy int

// Drop policies of a bounded subscription.
const (
	DropOldest DropPolicy = iota // discard the oldest queued events
	DropNewest                   // discard the arriving events
)

// dropLogInterval spaces the log lines about a subscriber losing events:
// every loss is counted in the metrics, but a stuck subscriber must not
// flood the log.
const dropLogInterval = time.Second

// maxSpare bounds the queue array a subscription keeps for reuse after a
// burst has been drained.
const maxSpare = 16384

// textChunk is the size of the blocks a lossless subscription copies the
// raw events it queues into; maxSpareText bounds how many drained blocks
// it keeps for reuse.
const (
	textChunk    = 256 << 10
	maxSpareText = 16
)

// DefaultMaxBuffer bounds a lossless subscription's backlog.
const DefaultMaxBuffer = 1_000_000

// DefaultMaxBufferBytes bounds a lossless subscription's backlog in bytes,
// counted as ami.Message.Size counts a message.
const DefaultMaxBufferBytes = 64 << 20

// SubscribeOptions configure a subscription.
type SubscribeOptions struct {
	// Name identifies the subscription in logs. Default "subscription".
	Name string
	// Lossless queues every event in an elastic buffer, up to MaxBuffer
	// events and MaxBufferBytes bytes, counting the batch Next is handing
	// out until it is drained; past either the queued events are
	// discarded, KindOverflow is delivered after that batch, and the loss
	// is logged and counted. Otherwise (the default) the subscription is bounded by
	// Buffer with Policy.
	Lossless bool
	// MaxBuffer bounds a lossless backlog in events. Default
	// DefaultMaxBuffer.
	MaxBuffer int
	// MaxBufferBytes bounds a lossless backlog in bytes (each message as
	// ami.Message.Size counts it; an event queued unparsed counts its raw
	// text and ami.FieldCost per line, what parsing it will take): events
	// differ in size, and what a peer can make the service hold is memory. Default DefaultMaxBufferBytes.
	MaxBufferBytes int
	// Buffer is a bounded subscription's capacity (events queued and not
	// yet taken by Next). Default 1024.
	Buffer int
	// Policy chooses what a full bounded subscription drops. Default
	// DropOldest.
	Policy DropPolicy
}

// Subscription receives the client's events in order. The reader goroutine
// appends batches of events to it under its lock and never waits for it;
// Next hands them out one by one from a batch it swapped out, so the lock
// is taken once per batch on both sides.
type Subscription struct {
	c    *Client
	opts SubscribeOptions
	log  *slog.Logger
	met  Metrics

	mu       sync.Mutex
	q        []Event  // queued by the reader
	qBytes   int      // what q's messages hold (lossless only)
	outN     int      // events of the batch Next hands out, until drained
	outBytes int      // what they hold: they count against the bounds too
	spare    []Event  // the consumer's previous batch, reused as q
	qText    [][]byte // the blocks q's raw events are in
	outText  [][]byte // the blocks out's raw events are in
	spareTxt [][]byte // drained blocks, for reuse
	dropped  int64    // events lost, in total
	unlogged int64    // events lost since the last log line
	lastLog  time.Time
	closed   bool // Close was called: Next fails at once
	ended    bool // the client closed: Next drains, then fails
	wake     chan struct{}
	closedCh chan struct{}

	nmu  sync.Mutex // serialises Next
	out  []Event    // batch being handed out by Next
	outi int
}

// Subscribe starts a subscription; it receives every event read from now
// on, starting with KindConnected when a session is already up. Close it
// when done.
func (c *Client) Subscribe(opts SubscribeOptions) *Subscription {
	if opts.Name == "" {
		opts.Name = "subscription"
	}
	if opts.MaxBuffer <= 0 {
		opts.MaxBuffer = DefaultMaxBuffer
	}
	if opts.MaxBufferBytes <= 0 {
		opts.MaxBufferBytes = DefaultMaxBufferBytes
	}
	if opts.Buffer <= 0 {
		opts.Buffer = 1024
	}
	s := &Subscription{
		c: c, opts: opts, log: c.log.With("subscription", opts.Name), met: c.met,
		wake: make(chan struct{}, 1), closedCh: make(chan struct{}),
	}
	c.subMu.Lock()
	defer c.subMu.Unlock()
	c.mu.Lock()
	closed, cur := c.closed, c.cur
	c.mu.Unlock()
	if closed {
		s.ended = true
		return s
	}
	// Joining a live session: start with KindConnected so the consumer
	// reconciles.
	if cur != nil && cur.announced {
		s.push([]Event{{Kind: KindConnected, ReadAt: c.cfg.Now()}})
	}
	c.subs = append(c.subs, s)
	return s
}

// Dropped is the number of events this subscription has lost.
func (s *Subscription) Dropped() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// push appends a batch; called by the reader, never blocks on the consumer.
func (s *Subscription) push(evs []Event) {
	s.mu.Lock()
	if s.closed || s.ended {
		s.mu.Unlock()
		return
	}
	if s.q == nil && s.spare != nil {
		s.q, s.spare = s.spare[:0], nil
	}
	var lost int
	switch {
	case s.opts.Lossless:
		n := len(s.q)
		s.q = append(s.q, evs...)
		for i := n; i < len(s.q); i++ {
			ev := &s.q[i]
			if ev.raw == nil {
				s.qBytes += ev.Message.Size()
				continue
			}
			// Counted as the parsed message will count (names, values,
			// FieldCost per field), and then some: the line ends.
			s.qBytes += len(ev.raw) + ami.FieldCost*(bytes.Count(ev.raw, newline)-1)
			ev.raw = s.keep(ev.raw)
		}
		// The batch Next is handing out counts too: without it a slow
		// consumer would hold a second backlog in its hands.
		if len(s.q)+s.outN > s.opts.MaxBuffer || s.qBytes+s.outBytes > s.opts.MaxBufferBytes {
			lost = len(s.q)
			clear(s.q)
			s.q = append(s.q[:0], Event{Kind: KindOverflow, ReadAt: evs[len(evs)-1].ReadAt})
			s.qBytes = 0
			s.recycle(&s.qText)
		}
	case s.opts.Policy == DropNewest:
		room := s.opts.Buffer - len(s.q)
		if room < len(evs) {
			lost = len(evs) - max(room, 0)
			evs = evs[:max(room, 0)]
		}
		s.q = appendParsed(s.q, evs)
	default: // DropOldest
		s.q = appendParsed(s.q, evs)
		if n := len(s.q) - s.opts.Buffer; n > 0 {
			lost = n
			copy(s.q, s.q[n:])
			clear(s.q[len(s.q)-n:])
			s.q = s.q[:len(s.q)-n]
		}
	}
	s.dropped += int64(lost)
	var report int64 // events lost since the last log line, if one is due
	if lost > 0 {
		s.unlogged += int64(lost)
		if now := time.Now(); now.Sub(s.lastLog) >= dropLogInterval {
			report, s.unlogged, s.lastLog = s.unlogged, 0, now
		}
	}
	s.mu.Unlock()
	if lost > 0 {
		s.met.EventsDropped(lost)
	}
	if report > 0 {
		if s.opts.Lossless {
			s.log.Error("amiclient: subscriber too slow, backlog discarded: it must resync", "lost", report, "max_buffer", s.opts.MaxBuffer, "max_buffer_bytes", s.opts.MaxBufferBytes)
		} else {
			s.log.Warn("amiclient: subscriber too slow, events dropped", "lost", report, "buffer", s.opts.Buffer)
		}
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

var newline = []byte("\n")

// appendParsed appends events to a bounded subscription's queue, parsing
// raw ones: what such a queue holds is bounded by count, and events
// dropped from its middle must not leave their text behind.
func appendParsed(q, evs []Event) []Event {
	n := len(q)
	q = append(q, evs...)
	for i := n; i < len(q); i++ {
		if q[i].raw != nil {
			q[i].Message, q[i].raw = ami.ParseFrame(q[i].raw), nil
		}
	}
	return q
}

// keep copies a raw event (the reader reuses its buffer) into the blocks
// of the queue's text. Blocks are filled, never grown: a queued event's
// text stays where it is until Next has parsed it.
func (s *Subscription) keep(raw []byte) []byte {
	if n := len(s.qText); n > 0 {
		if b := s.qText[n-1]; cap(b)-len(b) >= len(raw) {
			off := len(b)
			b = append(b, raw...)
			s.qText[n-1] = b
			return b[off:len(b):len(b)]
		}
	}
	var b []byte
	if n := len(s.spareTxt); n > 0 && cap(s.spareTxt[n-1]) >= len(raw) {
		b, s.spareTxt = s.spareTxt[n-1][:0], s.spareTxt[:n-1]
	} else {
		b = make([]byte, 0, max(textChunk, len(raw)))
	}
	b = append(b, raw...)
	s.qText = append(s.qText, b)
	return b[:len(raw):len(raw)]
}

// recycle moves blocks no queued event refers to any more to the spares:
// up to maxSpareText of them, or while a burst queues more blocks than that,
// as many as the queue holds now (the next batch will want about as many);
// once the burst is over the extra spares go.
func (s *Subscription) recycle(blocks *[][]byte) {
	limit := max(maxSpareText, len(s.qText))
	for _, b := range *blocks {
		if len(s.spareTxt) < limit && cap(b) == textChunk {
			s.spareTxt = append(s.spareTxt, b)
		}
	}
	if len(s.spareTxt) > limit {
		clear(s.spareTxt[limit:])
		s.spareTxt = s.spareTxt[:limit]
	}
	clear(*blocks)
	*blocks = (*blocks)[:0]
}

// end marks the subscription as finished by the client: Next returns what
// is queued, then ErrClosed.
func (s *Subscription) end() {
	s.mu.Lock()
	s.ended = true
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Next returns the next event, waiting for one until ctx is done. After
// Close, or once the client is closed and the queue drained, it returns
// ErrClosed.
func (s *Subscription) Next(ctx context.Context) (Event, error) {
	ev, _, err := s.next(ctx, true)
	return ev, err
}

// NextFrame is Next for a consumer that reads events in place: a KindEvent
// of a lossless subscription comes with an empty Message and its raw text
// in frame, which is borrowed — valid until the next call of Next or
// NextFrame; copy what you keep (frame.Message() parses it into a Message
// of its own). Reading an event so allocates nothing. Any other item, and
// every item of a bounded subscription, comes as from Next with a nil
// frame.
func (s *Subscription) NextFrame(ctx context.Context) (Event, ami.Frame, error) {
	return s.next(ctx, false)
}

func (s *Subscription) next(ctx context.Context, parse bool) (Event, ami.Frame, error) {
	s.nmu.Lock()
	defer s.nmu.Unlock()
	for {
		if s.outi < len(s.out) {
			ev := s.out[s.outi]
			s.out[s.outi] = Event{}
			s.outi++
			frame := ami.Frame(ev.raw)
			ev.raw = nil
			if frame != nil && parse {
				ev.Message, frame = frame.Message(), nil
			}
			return ev, frame, nil
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return Event{}, nil, ErrClosed
		}
		if s.out != nil {
			// out is drained: give its array back for the reader to reuse,
			// unless a burst made it big and the burst is over (the queue
			// is well below its size): while the consumer is behind, each
			// batch it takes is about as large as the last, and growing a
			// new array for it every time costs more than the events.
			if cap(s.out) <= maxSpare || cap(s.out) <= 2*len(s.q) {
				s.spare = s.out[:0]
			}
			s.out, s.outi, s.outN, s.outBytes = nil, 0, 0, 0
			// Every event of out is handed out, and the frame lent last
			// is given back by this call: its text blocks are free.
			s.recycle(&s.outText)
		}
		if len(s.q) > 0 {
			s.out, s.q, s.outN, s.outBytes, s.qBytes = s.q, nil, len(s.q), s.qBytes, 0
			s.outText, s.qText = s.qText, s.outText
			s.mu.Unlock()
			continue
		}
		ended := s.ended
		s.mu.Unlock()
		if ended {
			return Event{}, nil, ErrClosed
		}
		select {
		case <-s.wake:
		case <-s.closedCh:
		case <-ctx.Done():
			return Event{}, nil, ctx.Err()
		}
	}
}

// Close ends the subscription: the client stops queueing for it and Next
// returns ErrClosed. It may be called more than once.
func (s *Subscription) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.q, s.spare = nil, nil
	s.qText, s.outText, s.spareTxt = nil, nil, nil
	close(s.closedCh)
	s.mu.Unlock()
	c := s.c
	c.subMu.Lock()
	defer c.subMu.Unlock()
	for i, x := range c.subs {
		if x == s {
			c.subs = append(c.subs[:i:i], c.subs[i+1:]...)
			break
		}
	}
}
