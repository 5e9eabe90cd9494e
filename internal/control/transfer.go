package control

import (
	"context"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/amiclient"
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
// r.To must be an extension (Config.ExtensionPattern) and must not start
// with a prefix the dial rules deny: the transfer context usually reaches
// the outside world too.
//
// Unknown call: ErrNotFound. Not answered (or on hold): ErrConflict.
func (s *Service) Transfer(ctx context.Context, id string, r amigate.TransferRequest) (amigate.Call, error) {
	if err := s.checkExtension("to", r.To); err != nil {
		return amigate.Call{}, err
	}
	if s.c.rules.Denied(r.To) {
		return amigate.Call{}, fieldErr("to", "the dial rules do not allow this number")
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
	if err := s.transfer(ctx, c, mode, r.To); err != nil {
		return amigate.Call{}, err
	}
	return c, nil
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
