package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amiclient"
)

// resyncState is the resync the loop waits for: it asked for the channel
// list with SendListInStream and applies it when the list's KindList
// reaches it in the stream, after every event read before the list
// completed and before every event read after it. Applied any earlier,
// older events still queued would be handled on top of a newer snapshot
// and could report a call's ringing after its answer.
type resyncState struct {
	n      int    // resyncs asked for, for unique ActionIDs
	id     string // ActionID of the list awaited; "" when none is
	reason amiclient.EventKind
}

var (
	errNotConnected = errors.New("not logged in to the asterisk manager yet")
	errDisconnected = errors.New("asterisk manager connection lost")
)

// Ready is nil once the calls have been resynced with the PBX after the
// current login (the correlator's model is current), and says why not
// otherwise: for /readyz.
func (l *Loop) Ready() error {
	if err := l.synced.Load(); err != nil {
		return *err
	}
	return nil
}

func (l *Loop) unsynced(why error) { l.synced.Store(&why) }

// requestResync asks for the PBX's channels after events were lost (a new
// login, or a subscription that overflowed); the answer is applied where
// it lands in the stream (applyResync). A request that fails waits for the
// next login, and the loop stays not Ready.
func (l *Loop) requestResync(ctx context.Context, kind amiclient.EventKind) {
	l.resync.n++
	l.resync.id, l.resync.reason = "", kind
	l.unsynced(fmt.Errorf("calls not yet resynced after %s", kind))
	// KindConnected sits in the stream at the login response; the client
	// takes actions only once the PBX is fully booted, a moment later.
	rctx, cancel := context.WithTimeout(ctx, l.cfg.ResyncTimeout)
	defer cancel()
	a := ami.NewAction("CoreShowChannels")
	a.ID = "amigate-resync-" + strconv.Itoa(l.resync.n)
	err := l.cfg.PBX.WaitReady(rctx)
	if err == nil {
		_, _, err = l.cfg.PBX.SendListInStream(rctx, a)
	}
	if err != nil {
		// The connection is likely gone again; its next login resyncs.
		l.log.Warn("resync: listing channels failed", "reason", kind.String(), "err", err)
		l.unsynced(fmt.Errorf("resync after %s failed: %w", kind, err))
		return
	}
	l.resync.id = a.ID
}

// applyResync reconciles the correlator (and the presence model) with the
// channel list, at the list's place in the stream.
func (l *Loop) applyResync(ctx context.Context, list []ami.Message) {
	kind := l.resync.reason
	l.resync.id = ""
	if n := len(list); n > 0 {
		list = list[:n-1] // the completing event, which KindList's Message is
	}
	now := l.cfg.Now()
	evs := l.cfg.Correlator.Reconcile(list, now)
	l.log.Info("resynced calls", "reason", kind.String(), "channels", len(list), "events", len(evs))
	if l.agents != nil {
		rctx, cancel := context.WithTimeout(ctx, l.cfg.ResyncTimeout)
		evs = l.agents.resync(rctx, evs, now)
		cancel()
	}
	if len(evs) > 0 {
		p := pending{evs: evs}
		l.publish(ctx, &p)
	}
	l.synced.Store(nil)
}
