package control

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"strconv"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amiclient"
	"github.com/amigate/amigate/internal/chanvar"
	"github.com/amigate/amigate/internal/control/dialrules"
)

// CampaignActionIDPrefix starts the ActionID of a campaign attempt's
// Originate; the rest is the attempt's call id.
const CampaignActionIDPrefix = "cmp-"

// queueName is what a campaign's target queue may be called: it is sent
// as the extension in the campaign context, so it must be a literal
// extension (never a pattern: no leading "_") without dialplan syntax.
var queueName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// callerIDNumber is what a campaign may show the customer.
var callerIDNumber = regexp.MustCompile(`^\+?[0-9]{2,20}$`)

// CheckCampaign checks what a campaign asks to dial, by the same rules as
// click-to-call: every number against the dial rules (toll-fraud
// protection), the variables against the variable rule, the target and
// the caller id. Field paths name the contact ("contacts[3].number").
func (s *Service) CheckCampaign(r *amigate.CampaignRequest) error {
	switch {
	case r.Target.Queue != "" && !queueName.MatchString(r.Target.Queue):
		return fieldErr("target.queue", "must be letters, digits, '_' and '-', starting with a letter or digit, at most 64")
	case r.Target.Extension != "":
		if err := s.checkExtension("target.extension", r.Target.Extension); err != nil {
			return err
		}
	}
	if r.CallerID != "" && !callerIDNumber.MatchString(r.CallerID) {
		return fieldErr("caller_id", "must be a number: digits with an optional leading +")
	}
	if _, err := variables(s.cfg.Variables, r.Variables); err != nil {
		return err
	}
	for i, k := range r.Contacts {
		if _, err := s.c.rules.Check(k.Number); err != nil {
			return numberErr(fmt.Sprintf("contacts[%d].number", i), err)
		}
		if err := checkMetadata(k.Metadata); err != nil {
			return prefixField(fmt.Sprintf("contacts[%d].", i), err)
		}
		if _, err := variables(s.cfg.Variables, mergeVariables(r.Variables, k.Variables)); err != nil {
			return prefixField(fmt.Sprintf("contacts[%d].", i), err)
		}
	}
	return nil
}

// mergeVariables is a contact's channel variables over its campaign's:
// one set, checked by the request variable rule as a whole.
func mergeVariables(campaign, contact map[string]string) map[string]string {
	if len(campaign) == 0 {
		return contact
	}
	out := make(map[string]string, len(campaign)+len(contact))
	maps.Copy(out, campaign)
	maps.Copy(out, contact)
	return out
}

func prefixField(prefix string, err error) error {
	var fe *amigate.FieldError
	if errors.As(err, &fe) {
		return &amigate.FieldError{Field: prefix + fe.Field, Message: fe.Message}
	}
	return err
}

// DialCampaign sends the Originate of one campaign attempt: a Local
// channel dials the customer in the dial context and, once the customer
// answers, its other half goes to the target: the queue as an extension
// of the campaign context, or the agent's extension in the dial context.
// The attempt id is the ChannelId, so it becomes the call's id and the
// channel's Uniqueid.
//
// Errors: ErrInvalid (the number no longer passes the dial rules) and
// ErrUnavailable (nothing was sent) mean Asterisk will not dial;
// ErrPBXRefused that it refused; any other error (ErrTimeout) that it may
// be dialling.
func (s *Service) DialCampaign(ctx context.Context, d amigate.CampaignDial) error {
	n, err := s.c.rules.Check(d.Number)
	if err != nil {
		return numberErr("number", err)
	}
	vars, err := variables(s.cfg.Variables, mergeVariables(d.CampaignVariables, d.Variables))
	if err != nil {
		return err
	}
	context, exten := s.cfg.CampaignContext, d.Target.Queue
	if d.Target.Extension != "" {
		if err := s.checkExtension("target.extension", d.Target.Extension); err != nil {
			return err
		}
		context, exten = s.cfg.DialContext, d.Target.Extension
	} else if !queueName.MatchString(exten) {
		return fieldErr("target.queue", "is not a queue name")
	}
	if d.CallerID != "" && !callerIDNumber.MatchString(d.CallerID) || d.ID == "" || !queueName.MatchString(d.Campaign) {
		return fieldErr("campaign", "invalid attempt")
	}
	own := []ami.Field{
		{Name: chanvar.CallID, Value: d.ID},
		{Name: chanvar.CampaignID, Value: d.Campaign},
		{Name: chanvar.Contact, Value: strconv.Itoa(d.Contact)},
		{Name: chanvar.CustomerNumber, Value: n.Dial},
	}
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = s.cfg.DefaultTimeout
	}
	if d.Agent != "" {
		return s.dialAgentFirst(ctx, d, n, append(own[1:], vars...), timeout)
	}
	o := amiclient.OriginateParams{
		Channel:   "Local/" + n.Dial + "@" + s.cfg.DialContext,
		Context:   context,
		Exten:     exten,
		Priority:  1,
		Async:     true,
		ChannelID: d.ID,
		Variables: append(own, vars...),
		Timeout:   timeout,
		ActionID:  CampaignActionIDPrefix + d.ID,
	}
	if d.CallerID != "" {
		o.CallerID = "<" + d.CallerID + ">"
	}
	call := s.campaignCall(d, n)
	call.Queue = d.Target.Queue
	s.calls.Expect(call, o.ActionID)
	return s.originated(ctx, d.ID, o)
}

// campaignCall is the call a campaign attempt is expected to become: the
// correlator knows it by the attempt id, with its customer and contact.
func (s *Service) campaignCall(d amigate.CampaignDial, n dialrules.Number) amigate.Call {
	contact := d.Contact
	return amigate.Call{
		ID:        d.ID,
		Direction: amigate.DirectionOutbound,
		State:     amigate.StateDialing,
		Customer:  &amigate.Party{Number: n.Dial, E164: n.E164, Name: d.Name},
		StartedAt: s.cfg.Now().UTC(),
		Channels:  []amigate.Channel{},
		Metadata:  d.Metadata,
		Campaign:  d.Campaign,
		Contact:   &contact,
	}
}

// originated sends a campaign attempt's Originate and sorts its errors
// (see DialCampaign).
func (s *Service) originated(ctx context.Context, id string, o amiclient.OriginateParams) error {
	if _, err := s.ami.Originate(ctx, o); err != nil {
		if !definite(err) {
			// Asterisk may be dialling: the correlator follows the call.
			return fmt.Errorf("originate: outcome unknown: %w: %w", amigate.ErrTimeout, err)
		}
		if u, ok := s.calls.(Unexpecter); ok {
			u.Unexpect(id)
		}
		var r refusal
		if errors.As(err, &r) {
			return pbxError("Originate", err, "")
		}
		return fmt.Errorf("originate not sent: %w: %w", amigate.ErrUnavailable, err)
	}
	return nil
}

// dialAgentFirst is a preview attempt: the click-to-call Originate (the
// agent's device first, then the customer from the agent's context) with
// the attempt id as its ChannelId and the campaign's variables.
func (s *Service) dialAgentFirst(ctx context.Context, d amigate.CampaignDial, n dialrules.Number, vars []ami.Field, timeout time.Duration) error {
	if err := s.checkExtension("agent", d.Agent); err != nil {
		return err
	}
	p := dialPlan{from: d.Agent, to: n.Dial, e164: n.E164, display: n.Display, timeout: timeout, vars: vars}
	if checkCallerID(d.Name) == nil {
		p.callerID = d.Name // the agent's phone shows the contact's name
	}
	o := s.originate(p, d.ID, s.cfg.NewID())
	o.ActionID = CampaignActionIDPrefix + d.ID
	call := s.campaignCall(d, n)
	call.Agent, call.Extensions = &amigate.Agent{Extension: d.Agent}, []string{d.Agent}
	s.calls.Expect(call, o.ActionID)
	return s.originated(ctx, d.ID, o)
}
