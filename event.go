package amigate

import "time"

// Call event types: the webhook events of webhooks.md.
const (
	EventCallRinging     = "call.ringing"
	EventCallAnswered    = "call.answered"
	EventCallTransferred = "call.transferred"
	EventCallEnded       = "call.ended"
)

// EventTypes lists every call event type, in lifecycle order.
var EventTypes = []string{EventCallRinging, EventCallAnswered, EventCallTransferred, EventCallEnded}

// Transfer modes.
const (
	TransferBlind    = "blind"
	TransferAttended = "attended"
)

// CallEvent is one step of a call's lifecycle; its JSON form is the body of
// a webhook. ID is deterministic from the Asterisk data (linkedid, type, the
// channel concerned) so that two instances watching one Asterisk produce the
// same ids; Sequence increases per call.
type CallEvent struct {
	ID         string    `json:"id"`
	Type       string    `json:"type" enums:"call.ringing,call.answered,call.transferred,call.ended"`
	OccurredAt time.Time `json:"occurred_at" format:"date-time"`
	Sequence   int64     `json:"sequence"`
	Call       Call      `json:"call"`
	// Agent is the agent this event is about (the one rung, the one who
	// answered); the call's own Agent is the current one.
	Agent    *Agent    `json:"agent,omitempty"`
	Transfer *Transfer `json:"transfer,omitempty"`

	// ReadAt is when the AMI event that caused this call event was read, for
	// the latency metric from AMI to webhook; it is not sent.
	ReadAt time.Time `json:"-"`
}

// Transfer describes a call.transferred event.
type Transfer struct {
	FromExtension string `json:"from_extension,omitempty"`
	ToExtension   string `json:"to_extension,omitempty"`
	Mode          string `json:"mode" enums:"blind,attended"`
}
