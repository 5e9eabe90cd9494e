package pbxsim

import (
	"context"
	"strconv"
	"time"
)

// thread is one dialplan execution, as Asterisk runs one per channel: a
// goroutine owned by the PBX that drives its channel c and watches the
// channels it dialled. Channels it watches wake it through wake.
type thread struct {
	p    *PBX
	ctx  context.Context
	c    *channel
	wake chan struct{}

	// queued is set while the channel is in a Queue: Dial's variables are
	// not set when its bridge ends.
	queued bool
	// onBridgeEnd runs (locked) when the channel's bridge starts to end.
	onBridgeEnd func(reason string)
	// pending is an OriginateResponse held until the dialplan's first
	// DialBegin, where Asterisk sends it.
	pending func()
}

// startThreadLocked runs f on a new thread that owns c.
func (p *PBX) startThreadLocked(c *channel, f func(t *thread)) {
	t := &thread{p: p, c: c, wake: make(chan struct{}, 1)}
	t.watchLocked(c)
	p.spawnLocked(func(ctx context.Context) {
		t.ctx = ctx
		f(t)
	})
}

// watchLocked routes c's wake-ups to this thread.
func (t *thread) watchLocked(c *channel) {
	c.sig = t.wake
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

func (t *thread) lock()   { t.p.mu.Lock() }
func (t *thread) unlock() { t.p.mu.Unlock() }

// alive reports whether the PBX still runs.
func (t *thread) alive() bool { return t.ctx.Err() == nil }

// interruptedLocked: the channel must stop what it does (hang up or jump).
func (t *thread) interruptedLocked() bool {
	return t.c.dead || t.c.hangupReq || t.c.redirect != nil
}

// wait runs the Wait application: d (forever when negative) unless the
// channel is interrupted. It returns false when interrupted.
func (t *thread) wait(d time.Duration) bool {
	var deadline time.Time
	if d >= 0 {
		deadline = time.Now().Add(d)
	}
	for {
		t.lock()
		stop := t.interruptedLocked()
		t.unlock()
		if stop || !t.alive() {
			return false
		}
		left := time.Duration(-1)
		if d >= 0 {
			left = time.Until(deadline)
			if left <= 0 {
				return true
			}
		}
		if !t.p.sleep(t.ctx, t.wake, left) {
			return false
		}
	}
}

// app emits Newexten for the next priority of the channel's dialplan.
func (t *thread) app(prio *int, name, data string) {
	t.lock()
	t.c.priority = *prio
	*prio++
	t.p.newextenLocked(t.c, name, data)
	t.unlock()
}

// answerLocked answers c; a Local half answers its peer too.
func (p *PBX) answerLocked(c *channel) {
	p.newstateLocked(c, stateUp)
	if c.peer != nil && !c.peer.dead {
		p.newstateLocked(c.peer, stateUp)
	}
}

// awaitAck holds a Local ;2 that just answered until whoever dialled its ;1
// has handled the answer (DialEnd, bridge): Asterisk's Answer() returns
// only after the frame crossed the Local pair, so the next Newexten comes
// after those events. It gives up after a short while.
func (t *thread) awaitAck() {
	deadline := time.Now().Add(100 * time.Millisecond)
	for t.alive() {
		t.lock()
		pr := t.c.peer
		done := pr == nil || pr.dead || pr.ackUp || t.interruptedLocked()
		t.unlock()
		left := time.Until(deadline)
		if done || left <= 0 {
			return
		}
		t.p.sleep(t.ctx, t.wake, left)
	}
}

// ackLocked tells the ;2 half of one that its answer was handled.
func ackLocked(one *channel) {
	one.ackUp = true
	if one.peer != nil {
		one.peer.notify()
	}
}

// ringingLocked is the Ringing indication of a Local ;2: its ;1 rings.
func (p *PBX) ringingLocked(c *channel) {
	if c.peer != nil && !c.peer.dead && c.peer.state < stateRinging {
		p.newstateLocked(c.peer, stateRinging)
	}
}

// end finishes the thread's channel: SoftHangupRequest, then Hangup with the
// cause of the hangup request, if any.
func (t *thread) end() {
	t.lock()
	defer t.unlock()
	c := t.c
	if c.dead || !t.alive() {
		return
	}
	cause := 16
	if c.hangupReq {
		cause = c.cause
	}
	if cause == 0 && c.state == stateUp && !t.queued {
		cause = 16 // an answered channel ends with Normal Clearing
	}
	t.p.causeEventLocked("SoftHangupRequest", c, 16)
	t.p.hangupLocked(c, cause)
}

// seconds renders a duration as a dialplan argument ("2", "0.002").
func seconds(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.Itoa(int(d / time.Second))
	}
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}
