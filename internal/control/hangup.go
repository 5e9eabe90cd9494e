package control

import (
	"context"
	"fmt"
	"slices"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/agent"
	"github.com/amigate/amigate/internal/amiclient"
)

// Hangup hangs up every live channel of the call, each by its exact name
// (the ;2 half of a Local pair whose ;1 half is listed goes with it and is
// not sent).
// A call whose channels are not known yet (just originated) is hung up by
// its id, which Originate made the Uniqueid of its first channel (AMI
// Hangup accepts a name or a Uniqueid). Channels that are already gone
// ("No such channel": hanging up one half of a Local pair takes the other
// with it) are skipped. The call is returned as it was: the hang-up is
// asynchronous (202).
//
// Unknown call: ErrNotFound. Ended, or nothing left to hang up: ErrConflict.
func (s *Service) Hangup(ctx context.Context, id string) (amigate.Call, error) {
	c, err := s.Get(ctx, id)
	if err != nil {
		return amigate.Call{}, err
	}
	if c.State == amigate.StateEnded {
		return amigate.Call{}, amigate.Errorf(amigate.ErrCallEnded, "call %q has ended", id)
	}
	live := liveChannels(c)
	var names []string
	for _, ch := range live {
		if agent.LocalHalf(ch.Name) == 2 && hasChannel(live, ch.Name[:len(ch.Name)-1]+"1") {
			continue // goes with its ;1 half
		}
		names = append(names, ch.Name)
	}
	if len(names) == 0 {
		names = append(names, c.ID)
	}
	// Every name is checked before the first is sent, so that a call is not
	// left half hung up.
	for _, n := range names {
		if err := amiclient.CheckChannel(n); err != nil {
			return amigate.Call{}, fmt.Errorf("call %q: %w", id, err)
		}
	}
	hung := 0
	for _, n := range names {
		err := s.ami.Hangup(ctx, amiclient.HangupParams{Channel: n, Cause: s.cfg.HangupCause})
		switch {
		case err == nil:
			hung++
		case isRefusal(err, "No such channel"):
		default:
			return amigate.Call{}, pbxError("Hangup", err, "")
		}
	}
	if hung == 0 {
		return amigate.Call{}, amigate.Errorf(amigate.ErrCallEnded, "call %q has no live channel left", id)
	}
	return c, nil
}

func hasChannel(chs []amigate.Channel, name string) bool {
	return slices.ContainsFunc(chs, func(ch amigate.Channel) bool { return ch.Name == name })
}
