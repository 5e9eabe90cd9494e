package campaign

import (
	"context"
	"fmt"
	"time"
)

// RunElected is Run for instances that share one store: it steps the
// scheduler only while this instance holds l, until ctx ends. Every
// LeaseConfig.Every it renews the lease; not holding it, it tries to take
// it every LeaseConfig.Poll. On taking it, it loads the campaigns from the store, as a
// restart does: attempts the former holder left in progress are followed
// by their call ids and never dialled again. Losing the lease stops the
// scheduler (the fence in Step has already stopped the dialling); ending
// releases it, so that another instance takes over at once.
//
// Dialling needs the PBX as well as the lease (Config.Ready): an instance
// that cannot reach it does not take the lease, and a holder that has not
// reached it for a whole lease Duration gives the lease up, so that an
// instance that can reach it takes over, as it would from a dead one.
func (s *Service) RunElected(ctx context.Context, l *Lease) error {
	every := l.cfg.Every
	t := time.NewTimer(every)
	defer t.Stop()
	var (
		sched       *scheduler
		unreachable time.Time // since when the PBX has not been ready; zero while it is
	)
	defer func() {
		sched.stop()
		// ctx has ended: the release has its own short deadline.
		rctx, cancel := context.WithTimeout(context.Background(), every)
		defer cancel()
		if err := l.Release(rctx); err != nil {
			s.log.Warn("campaign dialer: release lease", "err", err)
		}
	}()
	for {
		ready := s.cfg.Ready()
		switch now := s.cfg.Now(); {
		case ready:
			unreachable = time.Time{}
		case unreachable.IsZero():
			unreachable = now
		}
		var ok bool
		switch {
		case !ready && sched == nil:
			// Not the instance to take the campaigns over: it could not
			// dial them.
		case !ready && s.cfg.Now().Sub(unreachable) >= l.cfg.Duration:
			s.log.Warn("campaign dialer: the PBX has not been reachable from this instance for a whole lease; handing the campaigns over", "lease", l.cfg.Duration)
			sched.stop()
			sched = nil
			if err := l.Release(ctx); err != nil {
				s.log.Warn("campaign dialer: release lease", "err", err)
			}
		default:
			actx, cancel := context.WithTimeout(ctx, every)
			var err error
			ok, err = l.Acquire(actx)
			cancel()
			if err != nil && ctx.Err() == nil {
				s.log.Warn("campaign dialer: lease", "err", err)
			}
		}
		switch {
		case ok && sched == nil:
			if err := s.takeOver(ctx); err != nil {
				s.log.Error("campaign dialer: taking over", "err", err)
				if err := l.Release(ctx); err != nil {
					s.log.Warn("campaign dialer: release lease", "err", err)
				}
				break
			}
			s.log.Info("campaign dialer: this instance dials the campaigns")
			sched = s.startScheduler(ctx)
		case !ok && sched != nil:
			s.log.Warn("campaign dialer: lease lost; this instance stops dialling")
			sched.stop()
			sched = nil
		}
		if sched != nil {
			t.Reset(every)
		} else {
			t.Reset(l.cfg.Poll)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// takeOver replaces the campaigns in memory with the store's: while
// another instance held the lease they changed there.
func (s *Service) takeOver(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.campaigns, s.order = make(map[string]*campaign), nil
	// Attempts in progress are looked for from now on before they may end
	// as unknown, as after a restart.
	s.readySince = time.Time{}
	if err := s.load(ctx); err != nil {
		return fmt.Errorf("campaign: load: %w", err)
	}
	return nil
}

// scheduler is Run in a goroutine of RunElected's, which stops it.
type scheduler struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func (s *Service) startScheduler(ctx context.Context) *scheduler {
	rctx, cancel := context.WithCancel(ctx)
	sc := &scheduler{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(sc.done)
		_ = s.Run(rctx) // returns nil once rctx ends
	}()
	return sc
}

// stop ends the scheduler and waits for it; nil is stopped.
func (sc *scheduler) stop() {
	if sc == nil {
		return
	}
	sc.cancel()
	<-sc.done
}
