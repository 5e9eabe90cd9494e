package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/amigate/amigate"
)

// The open calls bucket holds, under "call.<call token>", the last stored
// event of every call that has events and no call.ended yet, so that a new
// process can end or follow on what an earlier one left open (OpenCalls).
// It is written behind Publish, by one goroutine (writeOpen), once the
// events are stored: never ahead of the stream, and off the event path,
// where each write would be a round trip to the store. "checkpoint" is a
// stream sequence up to which the bucket is current. A process killed
// before the bucket caught up leaves a gap after the checkpoint, which
// OpenCalls reads back from the stream: the bucket is never behind the
// events when it is read. Reading back events the bucket already has
// changes nothing (they are applied in order, up to the last), so the
// checkpoint is written at most once per checkpointEvery; a checkpoint late
// by a second costs a restart one second of events read back.
const (
	openKeyPrefix   = "call."
	checkpointKey   = "checkpoint"
	checkpointEvery = time.Second
)

func openKey(callID string) string { return openKeyPrefix + token(callID) }

// openWriter is what Publish leaves for writeOpen to record.
type openWriter struct {
	mu     sync.Mutex
	latest map[string]*amigate.CallEvent // call id → its last stored event, not yet recorded
	last   uint64                        // the stream sequence latest is current up to
	busy   bool                          // writeOpen is recording what it took from latest
	round  chan struct{}                 // closed when writeOpen has finished a round
	wake   chan struct{}                 // capacity 1: latest has something

	// writeOpen's own:
	recorded     uint64    // every event up to this sequence is recorded
	checkpointed uint64    // the checkpoint last written
	checkpointAt time.Time // when
}

func newOpenWriter() *openWriter {
	return &openWriter{latest: map[string]*amigate.CallEvent{}, round: make(chan struct{}), wake: make(chan struct{}, 1)}
}

// noteOpen hands what evs, stored up to stream sequence last, leave open
// to writeOpen. A call's later event replaces an earlier one not yet
// recorded: only the last counts.
func (d *Dispatcher) noteOpen(evs []amigate.CallEvent, last uint64) {
	w := d.open
	w.mu.Lock()
	noted := false
	for i := range evs {
		ev := evs[i]
		if ev.Call.ID == "" || amigate.IsAgentEvent(ev.Type) {
			continue
		}
		w.latest[ev.Call.ID] = &ev
		noted = true
	}
	if noted {
		w.last = max(w.last, last)
	}
	w.mu.Unlock()
	if noted {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// writeOpen records what Publish notes, until the dispatcher closes. A
// record the store refuses is tried again a second later (unless a later
// event of its call replaced it), and the checkpoint does not move past it
// meanwhile.
func (d *Dispatcher) writeOpen() {
	defer d.wg.Done()
	w := d.open
	for {
		select {
		case <-d.ctx.Done():
			return
		case <-w.wake:
		}
		for d.recordOpen(d.ctx) {
			select {
			case <-d.ctx.Done():
				return
			case <-time.After(checkpointEvery):
			}
		}
	}
}

// recordOpen records what latest holds, round after round until it is
// empty, and then, when due, the checkpoint. It reports whether a write
// failed (what failed is back in latest).
func (d *Dispatcher) recordOpen(ctx context.Context) bool {
	w := d.open
	for {
		w.mu.Lock()
		taken, last := w.latest, w.last
		if len(taken) == 0 {
			w.mu.Unlock()
			break
		}
		w.latest, w.busy = map[string]*amigate.CallEvent{}, true
		w.mu.Unlock()
		var errs []error
		retry := map[string]*amigate.CallEvent{}
		for id, ev := range taken {
			if err := d.putOpen(ctx, ev); err != nil {
				errs, retry[id] = append(errs, err), ev
			}
		}
		w.mu.Lock()
		for id, ev := range retry {
			if _, later := w.latest[id]; !later {
				w.latest[id] = ev
			}
		}
		if len(retry) == 0 {
			// Everything up to last is recorded (what failed in an
			// earlier round was in this one): what latest holds now came
			// after it.
			w.recorded = max(w.recorded, last)
		}
		w.busy = false
		close(w.round)
		w.round = make(chan struct{})
		w.mu.Unlock()
		if len(errs) > 0 {
			if ctx.Err() == nil {
				d.cfg.Logger.Warn("webhooks: open calls not recorded; trying again", "calls", len(errs), "err", errors.Join(errs...))
			}
			return true
		}
	}
	now := d.cfg.Now()
	if w.recorded > w.checkpointed && now.Sub(w.checkpointAt) >= checkpointEvery {
		if _, err := d.st.openCalls.Put(ctx, checkpointKey, []byte(strconv.FormatUint(w.recorded, 10))); err != nil {
			if ctx.Err() == nil {
				d.cfg.Logger.Warn("webhooks: open calls' checkpoint not recorded", "err", err)
			}
			return false // a later round writes it
		}
		w.checkpointed, w.checkpointAt = w.recorded, now
	}
	return false
}

// flushOpen waits until what Publish noted so far is recorded (or ctx
// ends): what a process reads back of its own open calls is then current.
func (d *Dispatcher) flushOpen(ctx context.Context) error {
	w := d.open
	for {
		w.mu.Lock()
		idle, round := len(w.latest) == 0 && !w.busy, w.round
		w.mu.Unlock()
		if idle {
			return nil
		}
		select {
		case w.wake <- struct{}{}:
		default:
		}
		select {
		case <-round:
		case <-ctx.Done():
			return fmt.Errorf("webhooks: record open calls: %w", ctx.Err())
		}
	}
}

// putOpen records ev as its call's last event, or forgets the call when ev
// ends it.
func (d *Dispatcher) putOpen(ctx context.Context, ev *amigate.CallEvent) error {
	key := openKey(ev.Call.ID)
	if ev.Type == amigate.EventCallEnded {
		if err := d.st.openCalls.Purge(ctx, key); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			return fmt.Errorf("webhooks: forget ended call %s: %w", ev.Call.ID, err)
		}
		return nil
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("webhooks: encode open call %s: %w", ev.Call.ID, err)
	}
	if _, err := d.st.openCalls.Put(ctx, key, body); err != nil {
		return fmt.Errorf("webhooks: record open call %s: %w", ev.Call.ID, err)
	}
	return nil
}

// OpenCalls returns the last stored event of every call that has events
// and no call.ended in the store, by call id: what a process starting
// should settle (calls.Tracker.Restore). Events stored after the bucket's
// checkpoint (a process killed between storing events and recording them)
// are read back from the stream and recorded first.
func (d *Dispatcher) OpenCalls(ctx context.Context) ([]amigate.CallEvent, error) {
	if err := d.flushOpen(ctx); err != nil {
		return nil, err
	}
	open := map[string]amigate.CallEvent{}
	keys, err := d.st.openCalls.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("webhooks: list open calls: %w", err)
	}
	var checkpoint uint64
	for key := range keys.Keys() {
		e, err := d.st.openCalls.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // ended meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("webhooks: read open call %s: %w", key, err)
		}
		if key == checkpointKey {
			checkpoint, _ = strconv.ParseUint(string(e.Value()), 10, 64)
			continue
		}
		var ev amigate.CallEvent
		if err := json.Unmarshal(e.Value(), &ev); err != nil || ev.Call.ID == "" {
			d.cfg.Logger.Warn("open call record unreadable; dropped", "key", key, "err", err)
			continue
		}
		open[ev.Call.ID] = ev
	}
	if err := d.catchUp(ctx, open, checkpoint); err != nil {
		return nil, err
	}
	out := make([]amigate.CallEvent, 0, len(open))
	for _, ev := range open {
		out = append(out, ev)
	}
	slices.SortFunc(out, func(a, b amigate.CallEvent) int { return strings.Compare(a.Call.ID, b.Call.ID) })
	return out, nil
}

// catchUp applies the events stored after checkpoint to open and records
// them.
func (d *Dispatcher) catchUp(ctx context.Context, open map[string]amigate.CallEvent, checkpoint uint64) error {
	info, err := d.st.stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("webhooks: read the event stream's state: %w", err)
	}
	last := info.State.LastSeq
	if last <= checkpoint {
		return nil
	}
	for seq := max(checkpoint+1, info.State.FirstSeq); seq <= last; seq++ {
		m, err := d.st.stream.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("webhooks: read stored event %d: %w", seq, err)
		}
		var ev amigate.CallEvent
		if json.Unmarshal(m.Data, &ev) != nil || ev.Call.ID == "" || amigate.IsAgentEvent(ev.Type) {
			continue
		}
		if ev.Type == amigate.EventCallEnded {
			delete(open, ev.Call.ID)
		} else {
			open[ev.Call.ID] = ev
		}
		if err := d.putOpen(ctx, &ev); err != nil {
			return err
		}
	}
	if _, err := d.st.openCalls.Put(ctx, checkpointKey, []byte(strconv.FormatUint(last, 10))); err != nil {
		return fmt.Errorf("webhooks: record open calls' checkpoint: %w", err)
	}
	return nil
}
