package webhooks

import (
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
				d.stopWorker(rec.ID)
				continue
			}
			d.startWorker(rec)
		}
	}
}

func (d *Dispatcher) startWorker(rec subRecord) {
	secrets := rec.Secret
	if rec.Source == sourceConfig {
		d.mu.Lock()
		secrets = d.configSecrets[rec.ID]
		d.mu.Unlock()
		if secrets == "" {
			return // another instance's configuration
		}
	}
	d.mu.Lock()
	busy := d.closed || d.workers[rec.ID] != nil
	d.mu.Unlock()
	if busy {
		return
	}
	// Built outside the lock: it talks to the store.
	w, err := newWorker(d, rec, secrets)
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

func (d *Dispatcher) worker(id string) *worker {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.workers[id]
}
