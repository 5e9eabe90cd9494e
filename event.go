package amigate

import (
	"slices"
	"time"
)

// Call event types: the webhook events of webhooks.md.
const (
	EventCallRinging     = "call.ringing"
	EventCallAnswered    = "call.answered"
	EventCallTransferred = "call.transferred"
	// EventCallTransferFailed: an attended transfer the API asked for did
	// not start (Reason: TransferNoFeature or TransferAborted); the call is
	// answered again.
	EventCallTransferFailed = "call.transfer_failed"
	EventCallEnded          = "call.ended"
)

// Reasons of a call.transfer_failed.
const (
	// TransferNoFeature: no consultation call started, and the agent's
	// channel was not even put on hold: the bridge has no transfer feature
	// (Dial or Queue option t/T), the digits went to the customer.
	TransferNoFeature = "no_transfer_feature"
	// TransferAborted: Asterisk put the agent on hold, then took it off
	// hold (or not) without a consultation call.
	TransferAborted = "aborted"
)

// EventTypes lists every call event type, in lifecycle order.
var EventTypes = []string{EventCallRinging, EventCallAnswered, EventCallTransferred, EventCallTransferFailed, EventCallEnded}

// Wants reports whether an event filter (a subscription's, or an event
// stream's) takes an event type: "*", or an empty filter, takes every call
// event; agent and campaign events are taken only when named, so that
// receivers written for call events never see them.
func Wants(filter []string, typ string) bool {
	for _, f := range filter {
		if f == typ || f == "*" && slices.Contains(EventTypes, typ) {
			return true
		}
	}
	return len(filter) == 0 && slices.Contains(EventTypes, typ)
}

// Transfer modes.
const (
	TransferBlind    = "blind"
	TransferAttended = "attended"
)

// CallEvent is one event of the outbox: a step of a call's lifecycle, a
// change of an agent (the agent.* types), or a step of an outbound
// campaign (the campaign.* types); its JSON form is the body of a
// webhook. ID is deterministic from the Asterisk data (linkedid, type, the
// channel concerned; for agents the extension, type and the AMI event's
// time) so that two instances watching one Asterisk produce the same ids;
// Sequence increases per call, or per agent.
type CallEvent struct {
	ID         string    `json:"id"`
	Type       string    `json:"type" enums:"call.ringing,call.answered,call.transferred,call.transfer_failed,call.ended,agent.state_changed,agent.queue_joined,agent.queue_left,agent.paused,agent.unpaused,campaign.started,campaign.contact_completed,campaign.completed"`
	OccurredAt time.Time `json:"occurred_at" format:"date-time"`
	Sequence   int64     `json:"sequence"`
	// Call is the call object; absent from agent events.
	Call Call `json:"call,omitzero"`
	// Agent is the agent this event is about (the one rung, the one who
	// answered, the one whose state changed); the call's own Agent is the
	// current one.
	Agent    *Agent    `json:"agent,omitempty"`
	Transfer *Transfer `json:"transfer,omitempty"`

	// Presence is the agent after the change (agent events only).
	Presence *AgentPresence `json:"presence,omitempty"`
	// PreviousState is the agent's state before an agent.state_changed.
	PreviousState string `json:"previous_state,omitempty" enums:"available,ringing,in_call,on_hold,paused,unavailable,unknown"`
	// Queue is the queue of an agent.queue_joined, queue_left, paused or
	// unpaused event.
	Queue string `json:"queue,omitempty"`
	// Reason is the pause reason of an agent.paused event, and why a
	// call.transfer_failed failed (no_transfer_feature, aborted).
	Reason string `json:"reason,omitempty"`

	// Campaign is the campaign of a campaign.* event, and Contact the
	// contact of a campaign.contact_completed (its outcome, attempts and
	// last call id).
	Campaign *CampaignRef           `json:"campaign,omitempty"`
	Contact  *CampaignContactStatus `json:"contact,omitempty"`

	// ReadAt is when the AMI event that caused this call event was read, for
	// the latency metric from AMI to webhook; it is not sent.
	ReadAt time.Time `json:"-"`
}

// Transfer describes a call.transferred event.
type Transfer struct {
	FromExtension string `json:"from_extension,omitempty"`
	// ToExtension is set when the target is an agent extension: an agent's
	// device was dialled, or joined the customer (attended).
	ToExtension string `json:"to_extension,omitempty"`
	// ToNumber is set when a blind transfer's target dialled something that
	// is no agent's device: an outside number.
	ToNumber string `json:"to_number,omitempty" example:"89001234567"`
	// ToE164 is ToNumber read in the home region (AMIGATE_PHONE_REGION),
	// as customer.e164 is; absent when it cannot be told.
	ToE164 string `json:"to_e164,omitempty" example:"+79001234567"`
	// To is the target as the transfer named it (the dialplan extension),
	// whatever it turned out to be; with neither ToExtension nor ToNumber
	// the service could not tell (the target dialled nothing).
	To   string `json:"to,omitempty"`
	Mode string `json:"mode" enums:"blind,attended"`
}
