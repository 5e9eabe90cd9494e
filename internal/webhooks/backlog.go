package webhooks

import (
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// reportBacklog reports, every BacklogInterval, how many events this
// instance's subscriptions have not delivered yet (waiting in the stream or
// held for a retry) and how old the oldest is.
func (d *Dispatcher) reportBacklog() {
	defer d.wg.Done()
	t := time.NewTicker(d.cfg.BacklogInterval)
	defer t.Stop()
	for {
		select {
		case <-d.ctx.Done():
			return
		case <-t.C:
			pending, oldest := d.backlog()
			d.cfg.Metrics.Backlog(pending, oldest)
		}
	}
}

func (d *Dispatcher) backlog() (int, time.Duration) {
	d.mu.Lock()
	workers := make([]*worker, 0, len(d.workers))
	for _, w := range d.workers {
		workers = append(workers, w)
	}
	d.mu.Unlock()
	now := d.cfg.Now()
	var pending int
	var oldest time.Duration
	for _, w := range workers {
		info, err := w.cons.Info(d.ctx)
		if err != nil {
			continue
		}
		pending += int(info.NumPending) + info.NumAckPending
		if t, ok := w.oldest(); ok {
			oldest = max(oldest, now.Sub(t))
		}
		if info.NumPending > 0 {
			// The first event not yet handed out to any worker.
			raw, err := d.st.stream.GetMsg(d.ctx, info.Delivered.Stream+1, jetstream.WithGetMsgSubject(subjectPrefix+".>"))
			if err == nil {
				oldest = max(oldest, now.Sub(readAt(raw.Header.Get(hdrReadAt), raw.Time)))
			}
		}
	}
	return pending, oldest
}
