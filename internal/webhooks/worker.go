package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/amigate/amigate"
)

// maxSeed bounds how many stream messages a worker inspects when it takes
// over a subscription with unacknowledged events.
const maxSeed = 10000

// worker delivers one subscription's events on this instance. Events of
// different calls go out concurrently (up to MaxInFlight requests); events
// of one call queue behind the first, which alone is attempted until it is
// delivered or dead.
type worker struct {
	d      *Dispatcher
	id     string
	target atomic.Pointer[target] // swapped when the subscription changes
	cons   jetstream.Consumer
	cc     jetstream.ConsumeContext

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // run and keepAlive goroutines
	sem    chan struct{}  // requests in flight

	seeded bool        // touched only by the consume callback
	served atomic.Bool // received events: the consumer is (or was) pinned here

	mu    sync.Mutex
	calls map[string][]*item // per call, in stream order; [0] is being attempted
	held  map[uint64]*item   // by stream sequence
}

// item is one event held by a worker.
type item struct {
	seq    uint64
	call   string
	body   []byte
	readAt time.Time
	msg    jetstream.Msg // guarded by worker.mu; nil when seeded from the stream
	rec    deliveryRecord
	wakeC  chan struct{}
}

// target is where and how a worker delivers: the subscription's URL, event
// filter and signing keys. A PATCH swaps it under the running worker, which
// keeps the events it holds and their order.
type target struct {
	rec  subRecord
	keys keyring
}

func newWorker(d *Dispatcher, rec subRecord, keys keyring) (*worker, error) {
	var err error
	w := &worker{
		d: d, id: rec.ID,
		sem:   make(chan struct{}, d.cfg.MaxInFlight),
		calls: make(map[string][]*item),
		held:  make(map[uint64]*item),
	}
	w.target.Store(&target{rec: rec, keys: keys})
	w.ctx, w.cancel = context.WithCancel(d.ctx)
	// The consumer is made where the subscription is (Create, New); one
	// missing here belongs to a subscription deleted meanwhile, and making
	// it again would leave an orphan behind.
	w.cons, err = d.st.stream.Consumer(w.ctx, rec.ID)
	if err != nil {
		w.cancel()
		return nil, fmt.Errorf("webhooks: consumer %s: %w", rec.ID, err)
	}
	if d.st.ns != nil {
		// The embedded store has no other instance: what the consumer
		// handed out and never got acknowledged was held by this process
		// before a crash. Take it up now, not after AckWait.
		w.seeded = true
		w.seed(math.MaxUint64)
	}
	w.cc, err = w.cons.Consume(w.handle,
		jetstream.PullPriorityGroup(priorityGroup),
		jetstream.PullExpiry(pullExpiry),
		jetstream.PullMaxMessages(min(d.cfg.MaxPending, 256)),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			if !errors.Is(err, nats.ErrConnectionClosed) && !errors.Is(err, jetstream.ErrPinIDMismatch) {
				d.cfg.Logger.Debug("webhooks: consume", "subscription", rec.ID, "err", err)
			}
		}))
	if err != nil {
		w.cancel()
		return nil, fmt.Errorf("webhooks: consume %s: %w", rec.ID, err)
	}
	w.wg.Add(1)
	go w.keepAlive()
	return w, nil
}

// stop ends consumption, waits for every goroutine and, with handBack,
// hands the events still held back to the store for prompt redelivery.
func (w *worker) stop(handBack bool) {
	w.cancel()
	w.cc.Stop()
	<-w.cc.Closed()
	w.wg.Wait()
	w.mu.Lock()
	msgs := make([]jetstream.Msg, 0, len(w.held))
	for _, seq := range slices.Sorted(maps.Keys(w.held)) {
		if m := w.held[seq].msg; m != nil {
			msgs = append(msgs, m)
		}
	}
	w.held, w.calls = map[uint64]*item{}, map[string][]*item{}
	w.mu.Unlock()
	if !handBack {
		return
	}
	for _, m := range msgs {
		_ = m.Nak()
	}
	if w.served.Load() {
		// Let another instance take the subscription over now rather than
		// after the pin's TTL.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = w.d.st.stream.UnpinConsumer(ctx, w.id, priorityGroup)
	}
}

// handle is the consume callback: it files each message under its call.
func (w *worker) handle(msg jetstream.Msg) {
	md, err := msg.Metadata()
	if err != nil {
		_ = msg.Term()
		return
	}
	seq := md.Sequence.Stream
	w.served.Store(true)
	if !w.seeded {
		w.seeded = true
		w.seed(seq)
	}
	w.mu.Lock()
	if it := w.held[seq]; it != nil {
		it.msg = msg // a redelivery of an event already held
		w.mu.Unlock()
		return
	}
	w.mu.Unlock()
	if !w.wanted(msg.Subject()) {
		// A consumer made before its filter could tell call from agent
		// events (its filter was every subject): not for this subscription.
		_ = msg.Ack()
		return
	}
	it := newItem(seq, msg.Subject(), msg.Headers(), msg.Data(), md.Timestamp)
	if md.NumDelivered > 1 && !w.restore(it) {
		_ = msg.Ack() // delivered or dead before a restart lost the ack
		return
	}
	it.msg = msg
	w.enqueue(it)
}

func newItem(seq uint64, subject string, h nats.Header, body []byte, stored time.Time) *item {
	typ := subjectType(subject)
	it := &item{
		seq: seq, call: h.Get(hdrCallID), body: body,
		readAt: readAt(h.Get(hdrReadAt), stored),
		wakeC:  make(chan struct{}, 1),
	}
	it.rec.EventID, it.rec.EventType, it.rec.Seq = h.Get(jetstream.MsgIDHeader), typ, seq
	it.rec.CallID, it.rec.Sequence = eventCall(h, body)
	return it
}

// eventCall is the call id and sequence of a stored event: from its
// headers, or from its body for events stored before they had them.
func eventCall(h nats.Header, body []byte) (string, int64) {
	if s := h.Get(hdrSequence); s != "" {
		n, _ := strconv.ParseInt(s, 10, 64)
		return h.Get(hdrCall), n
	}
	var ev struct {
		Sequence int64 `json:"sequence"`
		Call     struct {
			ID string `json:"id"`
		} `json:"call"`
	}
	_ = json.Unmarshal(body, &ev)
	return ev.Call.ID, ev.Sequence
}

// restore loads an event's delivery state after a restart or takeover; it
// returns false when the event needs nothing more.
func (w *worker) restore(it *item) bool {
	rec, found, err := w.d.loadDelivery(w.ctx, w.id, it.rec.EventID)
	if err != nil {
		w.d.cfg.Logger.Warn("webhooks: delivery state unavailable, sending again", "subscription", w.id, "event", it.rec.EventID, "err", err)
		return true
	}
	if !found {
		return true
	}
	if rec.final() {
		return false
	}
	rec.Seq = it.seq
	if rec.CallID == "" && rec.Sequence == 0 { // saved before records named the call
		rec.CallID, rec.Sequence = it.rec.CallID, it.rec.Sequence
	}
	it.rec = rec
	return true
}

// seed runs when a worker receives its first event (with an external
// store, that is when the subscription is pinned to this instance; with the
// embedded one, at start): events before it that the consumer handed out
// but never got acknowledged (a previous instance crashed or was stopped
// holding them) are queued first, so that a call's earlier events still go
// out before its later ones.
func (w *worker) seed(first uint64) {
	info, err := w.cons.Info(w.ctx)
	if err != nil {
		return
	}
	from, to := info.AckFloor.Stream+1, min(info.Delivered.Stream, first-1)
	if to >= from+maxSeed {
		to = from + maxSeed - 1
	}
	for seq := from; seq <= to && seq >= from; seq++ {
		raw, err := w.d.st.stream.GetMsg(w.ctx, seq)
		if err != nil {
			continue // deleted, or the store is unavailable: redelivery covers it
		}
		if !w.matches(raw.Subject) {
			continue
		}
		it := newItem(seq, raw.Subject, raw.Header, raw.Data, raw.Time)
		if w.restore(it) {
			w.enqueue(it)
		}
	}
}

// wanted is matches for what the consumer sends. A type the worker's filter
// lacks is checked against the stored record, which Patch changes before
// the consumer's filter: an event of an added type may come before this
// instance's watch brought the worker the new filter.
func (w *worker) wanted(subject string) bool {
	if w.matches(subject) {
		return true
	}
	rec, err := w.d.record(w.ctx, w.id)
	if err != nil {
		return true // in doubt, deliver: at least once
	}
	return amigate.Wants(rec.Events, subjectType(subject))
}

func (w *worker) matches(subject string) bool {
	return amigate.Wants(w.target.Load().rec.Events, subjectType(subject))
}

// subjectType is the event type of a stream subject.
func subjectType(subject string) string {
	typ := strings.TrimPrefix(subject, subjectPrefix+".")
	if i := strings.LastIndexByte(typ, '.'); i >= 0 {
		typ = typ[:i]
	}
	return typ
}

// enqueue files an event behind the earlier ones of its call and starts it
// when it is the first.
func (w *worker) enqueue(it *item) {
	w.mu.Lock()
	defer w.mu.Unlock()
	q := w.calls[it.call]
	pos := len(q)
	for pos > 1 && q[pos-1].seq > it.seq {
		pos-- // a redelivered earlier event; never ahead of the one in flight
	}
	q = slices.Insert(q, pos, it)
	w.calls[it.call] = q
	w.held[it.seq] = it
	if len(q) == 1 {
		w.launch(it)
	}
}

// launch starts the goroutine that delivers the head of a call's queue.
// Callers hold w.mu.
func (w *worker) launch(it *item) {
	w.wg.Add(1)
	go w.run(it)
}

// oldest returns when the oldest held event was read, or false.
func (w *worker) oldest() (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var t time.Time
	for _, it := range w.held {
		if t.IsZero() || it.readAt.Before(t) {
			t = it.readAt
		}
	}
	return t, !t.IsZero()
}

// keepAlive tells the store the held events are still being worked on, so
// it does not hand them to another instance after AckWait.
func (w *worker) keepAlive() {
	defer w.wg.Done()
	t := time.NewTicker(w.d.cfg.AckWait / 3)
	defer t.Stop()
	for {
		select {
		case <-w.ctx.Done():
			return
		case <-t.C:
		}
		w.mu.Lock()
		msgs := make([]jetstream.Msg, 0, len(w.held))
		for _, it := range w.held {
			if it.msg != nil {
				msgs = append(msgs, it.msg)
			}
		}
		w.mu.Unlock()
		for _, m := range msgs {
			_ = m.InProgress()
		}
	}
}
