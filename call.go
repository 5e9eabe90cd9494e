// Package amigate holds the product's domain types: a call as the CRM sees
// it and the call events that become webhooks. The packages under internal/
// talk to each other in these types; only cmd/api wires them together.
package amigate

import (
	"encoding/json"
	"time"
)

// Direction of a call.
const (
	DirectionInbound  = "inbound"
	DirectionOutbound = "outbound"
	DirectionInternal = "internal"
)

// States of a call.
const (
	StateDialing      = "dialing"
	StateRinging      = "ringing"
	StateAnswered     = "answered"
	StateOnHold       = "on_hold"
	StateTransferring = "transferring"
	StateEnded        = "ended"
)

// Dispositions of an ended call.
const (
	DispositionAnswered  = "answered"
	DispositionNoAnswer  = "no_answer"
	DispositionBusy      = "busy"
	DispositionFailed    = "failed"
	DispositionCanceled  = "canceled"
	DispositionAbandoned = "abandoned"
)

// Call is one conversation, however many channels it spreads over. Its JSON
// form is the call object of the API and of every webhook.
type Call struct {
	ID        string `json:"id"`
	Linkedid  string `json:"linkedid,omitempty"`
	Direction string `json:"direction,omitempty" enums:"inbound,outbound,internal"`
	State     string `json:"state" enums:"dialing,ringing,answered,on_hold,transferring,ended"`
	Customer  *Party `json:"customer,omitempty"`
	Agent     *Agent `json:"agent,omitempty"`
	// Caller is the agent who placed an internal call (direction internal):
	// such a call has no customer, Agent is the agent called.
	Caller          *Agent     `json:"caller,omitempty"`
	Extensions      []string   `json:"extensions,omitempty"` // every agent extension that took part
	Queue           string     `json:"queue,omitempty"`
	DID             string     `json:"did,omitempty"`
	StartedAt       time.Time  `json:"started_at" format:"date-time"`
	AnsweredAt      *time.Time `json:"answered_at,omitempty" format:"date-time"`
	EndedAt         *time.Time `json:"ended_at,omitempty" format:"date-time"`
	DurationSeconds float64    `json:"duration_seconds"`
	TalkSeconds     float64    `json:"talk_seconds"`
	HangupCause     *int       `json:"hangup_cause,omitempty"`
	HangupCauseText string     `json:"hangup_cause_text,omitempty"`
	Disposition     string     `json:"disposition,omitempty" enums:"answered,no_answer,busy,failed,canceled,abandoned"`
	// EndInferred is true on a call.ended the service did not see happen:
	// the call's channels were gone when it next listed the PBX's channels
	// (after an AMI reconnect, an Asterisk restart, or its own restart).
	// EndedAt is then when it learnt of the end, and the disposition is
	// what it knew by then.
	EndInferred bool            `json:"end_inferred,omitempty"`
	Channels    []Channel       `json:"channels"`
	Metadata    json.RawMessage `json:"metadata,omitempty" swaggertype:"object"`
	// Campaign is the id of the campaign that placed the call, and
	// Contact the index of its contact (GET /v1/campaigns/{id}/contacts).
	Campaign string `json:"campaign,omitempty"`
	Contact  *int   `json:"contact,omitempty"`
}

// Party is the customer side of a call.
type Party struct {
	// Number is the customer's number exactly as Asterisk reported it (for
	// a click-to-call: as it was dialled).
	Number string `json:"number" example:"89001234567"`
	// E164 is Number read in the home region (AMIGATE_PHONE_REGION), the
	// key to find the customer's card by; absent when it cannot be told (an
	// extension, "anonymous", no region and no "+").
	E164 string `json:"e164,omitempty" example:"+79001234567"`
	Name string `json:"name,omitempty"`
}

// Agent is the agent side of a call.
type Agent struct {
	Extension string `json:"extension"`
	Name      string `json:"name,omitempty"`
}

// Channel is one Asterisk channel of a call.
type Channel struct {
	Name     string `json:"name"`
	Uniqueid string `json:"uniqueid"`
	State    string `json:"state"`
	// Role is "agent" for an agent's device leg, "customer" for the
	// customer's leg, "" for helper legs; transfers act on it.
	Role string `json:"role,omitempty" enums:"agent,customer"`
	// Bridged is true while the channel is in a bridge: AMI BlindTransfer
	// and Atxfer work only on a bridged channel (the ;1 half of a Local pair).
	Bridged bool `json:"bridged,omitempty"`
}

// Channel roles.
const (
	RoleAgent    = "agent"
	RoleCustomer = "customer"
)

// HasExtension reports whether the agent extension ext takes part in the
// call: what a token restricted by its ext claim may see and act on.
func (c *Call) HasExtension(ext string) bool {
	if c.Agent != nil && c.Agent.Extension == ext || c.Caller != nil && c.Caller.Extension == ext {
		return true
	}
	for _, e := range c.Extensions {
		if e == ext {
			return true
		}
	}
	return false
}
