package control

import (
	"context"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/amiclient"
	"github.com/amigate/amigate/internal/control/dialrules"
)

// atxferHint is added to Asterisk's refusal of an Atxfer: the usual cause is
// the PBX's configuration, not the request.
const atxferHint = "attended transfer needs the atxfer feature code in features.conf and the t/T option on the agent's Dial or Queue"

// Transfer moves an answered call's customer to extension r.To in the
// transfer context.
//
// Blind (the default mode): AMI BlindTransfer on the agent's bridged channel
// (Config.BlindMethod "blindtransfer"), or AMI Redirect of the customer's
// channel ("redirect", also the fallback when no agent channel is known).
// Attended: AMI Atxfer on the agent's bridged channel; the agent then talks to
// r.To and completes the transfer by hanging up. Asterisk answers Success to
// an Atxfer even when the bridge has no transfer feature (the digits then
// just go to the customer); only a refusal is reported.
//
// r.To is an agent extension or an outside number (see transferTarget).
//
// Unknown call: ErrNotFound. Not answered (or on hold): ErrConflict.
func (s *Service) Transfer(ctx context.Context, id string, r amigate.TransferRequest) (amigate.Call, error) {
	to, err := s.transferTarget(r.To)
	if err != nil {
		return amigate.Call{}, err
	}
	mode := r.Mode
	if mode == "" {
		mode = amigate.TransferBlind
	}
	if mode != amigate.TransferBlind && mode != amigate.TransferAttended {
		return amigate.Call{}, fieldErr("mode", "must be %q or %q", amigate.TransferBlind, amigate.TransferAttended)
	}
	c, err := s.Get(ctx, id)
	if err != nil {
		return amigate.Call{}, err
	}
	if c.State != amigate.StateAnswered && c.State != amigate.StateOnHold {
		return amigate.Call{}, amigate.Errorf(amigate.ErrNotAnswered, "call %q is %s, not answered", id, c.State)
	}
	if err := s.transfer(ctx, c, mode, to); err != nil {
		return amigate.Call{}, err
	}
	return c, nil
}

// transferTarget checks a transfer's target and returns the Exten to send.
// An extension (Config.Devices' pattern) that is not a full number in the
// home region goes as it is, unless it starts with a prefix the dial rules
// deny: the transfer context usually reaches the outside world too.
// Anything else is an outside number, read and checked by the dial rules as
// a click-to-call's "to" is ("+7 (900) 123-45-67" is dialled 89001234567
// in RU), so that a transfer cannot reach what a click-to-call may not.
func (s *Service) transferTarget(to string) (string, error) {
	if to == "" {
		return "", fieldErr("to", "is required")
	}
	if s.cfg.Devices.IsExtension(to) && s.c.rules.E164(to) == "" {
		if p := s.c.rules.Denied(to); p != "" {
			return "", fieldErr("to", "starts with %q, a prefix the dial rules deny", p)
		}
		return to, nil
	}
	n, err := s.c.rules.Check(to)
	if err != nil {
		if !s.cfg.Devices.IsExtension(to) && !isNumberLike(to) {
			return "", fieldErr("to", "is neither an extension (%s) nor a phone number", s.cfg.Devices.Pattern())
		}
		return "", numberErr("to", err)
	}
	return n.Dial, nil
}

// isNumberLike reports whether s has only what people type into phone
// numbers: digits, a "+", spaces, dashes, dots and parentheses.
func isNumberLike(s string) bool {
	_, err := dialrules.Normalize(s)
	return err == nil
}

// transfer chooses the action and the channel it names, and sends it.
func (s *Service) transfer(ctx context.Context, c amigate.Call, mode, to string) error {
	agent, haveAgent := s.agentChannel(c)
	t := amiclient.TransferParams{Channel: agent, Context: s.cfg.TransferContext, Exten: to}
	if mode == amigate.TransferAttended {
		if !haveAgent {
			return amigate.Errorf(amigate.ErrConflict, "call %q has no agent channel to start an attended transfer from", c.ID)
		}
		if err := pbxError("Atxfer", s.ami.Atxfer(ctx, t), atxferHint); err != nil {
			return err
		}
		if w, ok := s.calls.(AtxferWatcher); ok {
			w.ExpectAtxfer(c.ID, agent, to, s.cfg.Now())
		}
		return nil
	}
	if haveAgent && s.cfg.BlindMethod == BlindTransferAction {
		return pbxError("BlindTransfer", s.ami.BlindTransfer(ctx, t), "")
	}
	customer, ok := s.customerChannel(c)
	if !ok {
		return amigate.Errorf(amigate.ErrConflict, "call %q has no customer channel to transfer", c.ID)
	}
	r := amiclient.RedirectParams{Channel: customer, Context: s.cfg.TransferContext, Exten: to, Priority: 1}
	return pbxError("Redirect", s.ami.Redirect(ctx, r), "")
}
