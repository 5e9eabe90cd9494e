package webhooks

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

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
			rec, _, err := d.decodeSub(e.Key(), e.Value())
			if err != nil {
				d.cfg.Logger.Error("webhooks: bad subscription record", "key", e.Key(), "err", err)
				continue
			}
			if rec.Disabled {
				d.park(rec.ID)
				continue
			}
			d.startWorker(rec)
		}
	}
}

// startWorker starts the worker of an enabled subscription, or points the
// running one at the subscription's new URL, filter and secrets: it keeps
// the events it holds, their order and retry state. (The consumer's filter
// is changed where the subscription is, by Patch.)
func (d *Dispatcher) startWorker(rec subRecord) {
	keys, ok, err := d.keyring(rec)
	if err != nil {
		d.cfg.Logger.Error("webhooks: cannot start subscription", "id", rec.ID, "err", err)
		return
	}
	if !ok {
		return // another instance's configuration
	}
	d.mu.Lock()
	old := d.workers[rec.ID]
	closed := d.closed
	d.mu.Unlock()
	if closed {
		return
	}
	if old != nil {
		if !old.target.Load().rec.sameDelivery(rec) {
			old.target.Store(&target{rec: rec, keys: keys})
		}
		return
	}
	// Built outside the lock: it talks to the store.
	w, err := newWorker(d, rec, keys)
	if err != nil {
		d.cfg.Logger.Error("webhooks: cannot start subscription", "id", rec.ID, "err", err)
		return
	}
	d.mu.Lock()
	if d.closed || d.workers[rec.ID] != nil {
		d.mu.Unlock()
		w.stop(true)
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
		w.stop(true)
	}
}

// park stops the worker of a disabled subscription and releases the
// consumer's pin: every instance parks it, so no pin is worth keeping, and
// a pin left to a stopped worker would keep the worker that resumes it
// waiting for the pin's TTL.
func (d *Dispatcher) park(id string) {
	d.stopWorker(id)
	ctx, cancel := context.WithTimeout(d.ctx, 2*time.Second)
	defer cancel()
	if err := d.st.stream.UnpinConsumer(ctx, id, priorityGroup); err != nil && d.ctx.Err() == nil {
		d.cfg.Logger.Debug("webhooks: unpin a disabled subscription", "subscription", id, "err", err)
	}
}

func (d *Dispatcher) worker(id string) *worker {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.workers[id]
}
