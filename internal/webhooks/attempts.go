package webhooks

import (
	"slices"
	"time"
)

// run attempts one event until it is delivered, dead or the subscription
// is gone, then hands its call over to the call's next event.
func (w *worker) run(it *item) {
	defer w.wg.Done()
	r := &it.rec
	for {
		if !w.waitRetry(it) {
			return
		}
		select {
		case w.sem <- struct{}{}:
		case <-w.ctx.Done():
			return
		}
		tg := w.target.Load()
		a := w.d.send(w.ctx, tg.rec.URL, tg.keys.signer(w.d.cfg.Now()), r.EventID, it.body)
		<-w.sem
		if w.ctx.Err() != nil {
			return // stopping: this attempt does not count
		}
		now := w.d.cfg.Now()
		r.Attempts++
		r.StatusCode, r.Error, r.UpdatedAt, r.NextRetryAt = a.status, a.err, now.UTC(), nil
		switch {
		case a.ok():
			w.d.cfg.Metrics.DeliveryDone(OutcomeDelivered, now.Sub(it.readAt))
			r.Delivered = true
			w.save(r)
			w.finish(it, false)
			return
		case a.gone():
			w.d.cfg.Metrics.DeliveryDone(OutcomeGone, 0)
			r.Error = "410 Gone: subscription disabled"
			w.save(r)
			w.d.goneAsync(w.id)
			return
		}
		delay, ok := w.d.backoff.Next(r.Attempts)
		if !ok {
			w.d.cfg.Metrics.DeliveryDone(OutcomeDead, 0)
			r.Dead = true
			w.save(r)
			w.d.cfg.Logger.Warn("webhooks: delivery dead", "subscription", w.id, "event", r.EventID, "attempts", r.Attempts, "err", a.err)
			w.finish(it, true)
			return
		}
		next := now.Add(delay).UTC()
		r.NextRetryAt = &next
		w.save(r)
		// Counted once the attempt is on record: a retry the metric shows
		// is one a restart continues from.
		w.d.cfg.Metrics.DeliveryDone(OutcomeRetry, 0)
		w.d.cfg.Logger.Info("webhooks: delivery failed, will retry", "subscription", w.id, "event", r.EventID, "attempt", r.Attempts, "in", delay, "err", a.err)
	}
}

// waitRetry waits until the event's next retry time or a manual retry.
func (w *worker) waitRetry(it *item) bool {
	if it.rec.NextRetryAt == nil {
		return w.ctx.Err() == nil
	}
	wait := it.rec.NextRetryAt.Sub(w.d.cfg.Now())
	if wait <= 0 {
		return w.ctx.Err() == nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-it.wakeC:
		return true
	case <-w.ctx.Done():
		return false
	}
}

// wake makes a held event's pending retry happen now.
func (w *worker) wake(seq uint64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	it := w.held[seq]
	if it == nil {
		return false
	}
	select {
	case it.wakeC <- struct{}{}:
	default:
	}
	return true
}

func (w *worker) save(r *deliveryRecord) {
	if err := w.d.saveDelivery(w.ctx, w.id, r); err != nil {
		w.d.cfg.Logger.Warn("webhooks: delivery state not saved", "subscription", w.id, "event", r.EventID, "err", err)
	}
}

// finish releases a delivered or dead event, acknowledges it (terminates a
// dead one) and starts its call's next event.
func (w *worker) finish(it *item, dead bool) {
	w.mu.Lock()
	delete(w.held, it.seq)
	q := w.calls[it.call]
	if i := slices.Index(q, it); i >= 0 {
		q = slices.Delete(q, i, i+1)
	}
	if len(q) == 0 {
		delete(w.calls, it.call)
	} else {
		w.calls[it.call] = q
		w.launch(q[0])
	}
	msg := it.msg
	w.mu.Unlock()
	if msg == nil {
		return // seeded: acknowledged when the store redelivers it
	}
	if dead {
		_ = msg.Term()
	} else {
		_ = msg.Ack()
	}
}

// goneAsync disables a subscription after 410 Gone, off the worker's own
// goroutines because disabling stops the worker.
func (d *Dispatcher) goneAsync(id string) {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		if err := d.disable(d.ctx, id); err != nil && d.ctx.Err() == nil {
			d.cfg.Logger.Error("webhooks: disable after 410 Gone", "subscription", id, "err", err)
		}
	}()
}
