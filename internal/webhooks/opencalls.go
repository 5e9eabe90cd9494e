package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/amigate/amigate"
)

// The open calls bucket holds, under "call.<call token>", the last stored
// event of every call that has events and no call.ended yet, so that a new
// process can end or follow on what an earlier one left open (OpenCalls).
// Publish updates it after the events are stored; "checkpoint" is a stream
// sequence up to which it is current. A process killed between the two
// leaves a gap after the checkpoint, which OpenCalls reads back from the
// stream: the bucket is never behind the events when it is read. Reading
// back events the bucket already has changes nothing (they are applied in
// order, up to the last), so the checkpoint is written at most once per
// checkpointEvery rather than after every batch: each write is a round trip
// to the store on the event path, and a checkpoint late by a second costs
// a restart one second of events read back.
const (
	openKeyPrefix   = "call."
	checkpointKey   = "checkpoint"
	checkpointEvery = time.Second
)

func openKey(callID string) string { return openKeyPrefix + token(callID) }

// noteOpen records what evs, stored up to stream sequence last, leave open.
func (d *Dispatcher) noteOpen(ctx context.Context, evs []amigate.CallEvent, last uint64) error {
	latest := map[string]*amigate.CallEvent{}
	var order []string
	for i := range evs {
		ev := &evs[i]
		if ev.Call.ID == "" || amigate.IsAgentEvent(ev.Type) {
			continue
		}
		if _, seen := latest[ev.Call.ID]; !seen {
			order = append(order, ev.Call.ID)
		}
		latest[ev.Call.ID] = ev
	}
	if len(order) == 0 {
		return nil
	}
	for _, id := range order {
		if err := d.putOpen(ctx, latest[id]); err != nil {
			return err
		}
	}
	now := d.cfg.Now().UnixNano()
	if at := d.checkpointAt.Load(); now-at < int64(checkpointEvery) || !d.checkpointAt.CompareAndSwap(at, now) {
		return nil // written lately, or being written by another Publish
	}
	if _, err := d.st.openCalls.Put(ctx, checkpointKey, []byte(strconv.FormatUint(last, 10))); err != nil {
		return fmt.Errorf("webhooks: record open calls' checkpoint: %w", err)
	}
	return nil
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
