package pbxsim

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Load describes generated traffic: customer calls at a steady rate, each
// with a random talk time, for load tests and the demo.
type Load struct {
	// Rate is new calls per second. Required.
	Rate float64
	// Duration stops the generator after this long; 0 means until ctx ends
	// or Total calls were placed.
	Duration time.Duration
	// Total stops the generator after this many calls; 0 means no limit.
	Total int
	// DIDs are dialled in turn. Default: every DID that dials an agent
	// directly (queues serve one caller per free agent, so they saturate).
	DIDs []string
	// HangupMin and HangupMax bound each caller's HangupAfter, drawn
	// uniformly. Default: 2 s to 8 s (500 concurrent calls at 100 calls/s).
	HangupMin, HangupMax time.Duration
}

// ErrBadLoad is returned by Generate for an invalid Load.
var ErrBadLoad = errors.New("pbxsim: invalid load")

// Generate places calls as l says and returns when it is done (nil), when
// ctx ends (its error) or when the PBX closes (ErrClosed). Calls it placed go
// on after it returns; Close ends them.
func (p *PBX) Generate(ctx context.Context, l Load) error {
	if l.Rate <= 0 {
		return fmt.Errorf("%w: rate %v", ErrBadLoad, l.Rate)
	}
	if len(l.DIDs) == 0 {
		for _, d := range p.office.DIDs {
			if d.Agent != "" && !d.Transfer {
				l.DIDs = append(l.DIDs, d.Exten)
			}
		}
	}
	if len(l.DIDs) == 0 {
		return fmt.Errorf("%w: no DIDs", ErrBadLoad)
	}
	if l.HangupMin <= 0 {
		l.HangupMin = 2 * time.Second
	}
	if l.HangupMax < l.HangupMin {
		l.HangupMax = 4 * l.HangupMin
	}
	if l.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, l.Duration)
		defer cancel()
	}
	interval := time.Duration(float64(time.Second) / l.Rate)
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	done := func() error {
		if l.Duration > 0 && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil // the Duration is over
		}
		return ctx.Err()
	}
	for i := 0; l.Total == 0 || i < l.Total; i++ {
		select {
		case <-ctx.Done():
			return done()
		case <-p.ctx.Done():
			return ErrClosed
		case <-timer.C:
		}
		p.mu.Lock()
		span := l.HangupMax - l.HangupMin
		after := l.HangupMin
		if span > 0 {
			after += time.Duration(p.rnd.Int63n(int64(span)))
		}
		p.mu.Unlock()
		in := Incoming{DID: l.DIDs[i%len(l.DIDs)], From: fmt.Sprintf("7900%07d", i%10000000), HangupAfter: after}
		if _, err := p.IncomingCall(ctx, in); err != nil {
			if ctx.Err() != nil {
				return done()
			}
			return err
		}
		// Schedule against the start, not the last call, so the rate holds
		// however long IncomingCall took.
		timer.Reset(time.Until(start.Add(time.Duration(i+1) * interval)))
	}
	return nil
}
