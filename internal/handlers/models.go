package handlers

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/amigate/amigate"
)

// The request models of the API: what a client may send, with its rules.
// They are kept apart from the domain types, which the services take, so
// that the wire format can change without touching them; responses use the
// domain types directly.

// CreateCallRequest is the body of POST /v1/calls.
type CreateCallRequest struct {
	// From is the agent's extension: its phone rings first.
	From string `json:"from" validate:"required,max=32,ext" example:"101"`
	// To is the customer's number in any format ("+7 (900) 123-45-67",
	// "8 900 123 45 67"), read in the home region (AMIGATE_PHONE_REGION);
	// the dial rules decide whether (number type, country, prefixes) and
	// how (AMIGATE_PHONE_DIAL_FORMAT) it is dialled.
	To string `json:"to" validate:"required,max=32,phone" example:"+7 (900) 123-45-67"`
	// CallerID is shown on the agent's phone instead of the customer number.
	CallerID string `json:"caller_id,omitempty" maxLength:"80" example:"Deal 42"`
	// TimeoutSeconds is how long the agent's phone rings: at least 5, at
	// most AMIGATE_DIAL_MAX_TIMEOUT (more is 422): 120 by default, as the
	// schema states; a deployment may raise it to at most 3600. 0 or
	// absent is AMIGATE_DIAL_TIMEOUT (30 by default).
	TimeoutSeconds int `json:"timeout_seconds,omitempty" minimum:"5" maximum:"120" example:"30"`
	// Variables are set on the call's channel, at most 32 of them. Names
	// must match the configured pattern (AMIGATE_DIAL_VARIABLE_PATTERN,
	// default CRM_ then letters, digits and _) and start with a letter: no
	// inherited _/__ variables, no function such as FILE(), nothing
	// Asterisk acts on. Values of at most 200 characters, so that each fits
	// one AMI header line.
	Variables map[string]string `json:"variables,omitempty" validate:"omitempty,dive,keys,varname,endkeys" example:"CRM_DEAL_ID:42"`
	// Metadata is any JSON object of at most 8192 bytes, kept with the call
	// and sent in webhooks.
	Metadata json.RawMessage `json:"metadata,omitempty" swaggertype:"object"`
} //	@name	CreateCallRequest

func (r *CreateCallRequest) domain(key, caller string) amigate.DialRequest {
	return amigate.DialRequest{
		From:           r.From,
		To:             r.To,
		CallerID:       r.CallerID,
		Timeout:        time.Duration(r.TimeoutSeconds) * time.Second,
		Variables:      r.Variables,
		Metadata:       r.Metadata,
		IdempotencyKey: key,
		Caller:         caller,
	}
}

// TransferCallRequest is the body of POST /v1/calls/{id}/transfer.
type TransferCallRequest struct {
	// To is where the customer goes: an agent extension ("102"), or an
	// outside number in any format ("+7 (900) 123-45-67"), which the dial
	// rules read and check as a click-to-call's "to" (422 naming the rule
	// that refused it) and which is dialled in the dial format.
	To string `json:"to" validate:"required,max=32,ext|phone" example:"102"`
	// Mode is blind (default) or attended (needs the atxfer feature code).
	Mode string `json:"mode,omitempty" enums:"blind,attended" example:"blind"`
} //	@name	TransferCallRequest

func (r *TransferCallRequest) domain() amigate.TransferRequest {
	return amigate.TransferRequest{To: r.To, Mode: r.Mode}
}

// ListCallsQuery is the query of GET /v1/calls.
type ListCallsQuery struct {
	State       string `json:"state" query:"state" validate:"omitempty,oneof=dialing ringing answered on_hold transferring ended"`
	Extension   string `json:"extension" query:"extension" validate:"omitempty,ext"`
	Since       string `json:"since" query:"since" validate:"omitempty,datetime=2006-01-02T15:04:05Z07:00"`
	Until       string `json:"until" query:"until" validate:"omitempty,datetime=2006-01-02T15:04:05Z07:00"`
	Direction   string `json:"direction" query:"direction" validate:"omitempty,oneof=inbound outbound internal"`
	Disposition string `json:"disposition" query:"disposition" validate:"omitempty,oneof=answered no_answer busy failed canceled abandoned"`
	Queue       string `json:"queue" query:"queue" validate:"omitempty,max=80,printascii,excludes= "`
	Customer    string `json:"customer" query:"customer" validate:"omitempty,phone"`
	Campaign    string `json:"campaign" query:"campaign" validate:"omitempty,id"`
	Cursor      string `json:"cursor" query:"cursor" validate:"omitempty,max=512,printascii,excludes= "`
	Limit       string `json:"limit" query:"limit" validate:"omitempty,number"`
}

// domain is the query as the call listing takes it; scope is the token's
// ext claim.
func (q *ListCallsQuery) domain(scope string) (amigate.CallQuery, error) {
	out := amigate.CallQuery{
		CallFilter:  amigate.CallFilter{State: q.State, Extension: q.Extension},
		Direction:   q.Direction,
		Disposition: q.Disposition,
		Queue:       q.Queue,
		Customer:    q.Customer,
		Campaign:    q.Campaign,
		Scope:       scope,
		Cursor:      q.Cursor,
	}
	// The validator checked the layouts.
	out.Since, _ = time.Parse(time.RFC3339, q.Since)
	out.Until, _ = time.Parse(time.RFC3339, q.Until)
	if q.Limit != "" {
		n, err := strconv.Atoi(q.Limit)
		if err != nil || n < 1 || n > maxListLimit {
			return out, &amigate.FieldError{Field: "limit", Message: "must be 1 to " + strconv.Itoa(maxListLimit)}
		}
		out.Limit = n
	}
	return out, nil
}

// maxListLimit is the largest page of GET /v1/calls (history.MaxLimit).
const maxListLimit = 1000

// PauseMemberRequest is the body of POST /v1/queues/{name}/pause.
type PauseMemberRequest struct {
	// Interface is the member's interface as the queue knows it.
	Interface string `json:"interface" validate:"required" maxLength:"128" example:"PJSIP/101"`
	// Paused pauses (true) or unpauses (false) the member.
	Paused *bool `json:"paused" validate:"required" example:"true"`
	// Reason is shown in queue status and logs.
	Reason string `json:"reason,omitempty" maxLength:"128" example:"lunch"`
} //	@name	PauseMemberRequest

func (r *PauseMemberRequest) domain() amigate.QueuePauseRequest {
	return amigate.QueuePauseRequest{Interface: r.Interface, Paused: *r.Paused, Reason: r.Reason}
}

// PauseAgentRequest is the body of POST /v1/agents/{ext}/pause and /unpause.
type PauseAgentRequest struct {
	// Queue is the one queue to pause the agent in; absent: all of the
	// agent's queues.
	Queue string `json:"queue,omitempty" validate:"omitempty,max=128,printascii,excludes= " example:"support"`
	// Reason is shown in queue status, logs and agent.paused events.
	Reason string `json:"reason,omitempty" maxLength:"128" example:"lunch"`
} //	@name	PauseAgentRequest

func (r *PauseAgentRequest) domain() amigate.PauseRequest {
	return amigate.PauseRequest{Queue: r.Queue, Reason: r.Reason}
}

// CreateWebhookRequest is the body of POST /v1/webhooks.
type CreateWebhookRequest struct {
	// URL receives the signed POSTs.
	URL string `json:"url" validate:"required,max=2048,http_url" example:"https://crm.example/hooks/asterisk"`
	// Events filters by event type; empty or ["*"] is every call event.
	// Agent events (agent.state_changed, ...) and campaign events
	// (campaign.started, ...) are sent only when named.
	Events []string `json:"events,omitempty" validate:"omitempty,max=16,unique,dive,oneof=* call.ringing call.answered call.transferred call.transfer_failed call.ended agent.state_changed agent.queue_joined agent.queue_left agent.paused agent.unpaused campaign.started campaign.contact_completed campaign.completed" example:"call.ringing,call.ended"`
	// Secret signs the deliveries (whsec_ and base64 key bytes); one is
	// generated when it is empty or absent.
	Secret string `json:"secret,omitempty" validate:"omitempty,max=256,startswith=whsec_,safetext" example:""`
} //	@name	CreateWebhookRequest

func (r *CreateWebhookRequest) domain() amigate.SubscriptionRequest {
	return amigate.SubscriptionRequest{URL: r.URL, Events: r.Events, Secret: r.Secret}
}

// PatchWebhookRequest is the body of PATCH /v1/webhooks/{id}: a JSON merge
// patch (RFC 7396) of the subscription. Fields left out, or null, stay as
// they are; at least one must be given.
type PatchWebhookRequest struct {
	// URL receives the signed POSTs from now on; checked as at creation.
	URL *string `json:"url,omitempty" validate:"omitempty,max=2048,http_url" example:"https://crm.example/hooks/asterisk-v2"`
	// Events replaces the filter; [] or ["*"] is every call event; agent
	// and campaign events only when named.
	Events *[]string `json:"events,omitempty" validate:"omitempty,max=16,unique,dive,oneof=* call.ringing call.answered call.transferred call.transfer_failed call.ended agent.state_changed agent.queue_joined agent.queue_left agent.paused agent.unpaused campaign.started campaign.contact_completed campaign.completed" example:"call.ringing,call.ended"`
	// Enabled false stops deliveries (events wait in the store); true
	// resumes them where they stopped, in order, also after a 410 Gone.
	Enabled *bool `json:"enabled,omitempty" example:"true"`
	// RotateSecret replaces the signing secret with a generated one,
	// returned in this response only. The previous secret keeps signing
	// alongside it for secret_grace_seconds.
	RotateSecret bool `json:"rotate_secret,omitempty" example:"true"`
	// SecretGraceSeconds is how long the previous secret keeps signing
	// after a rotation: 0 to 604800 (7 days); default 86400 (24 h).
	SecretGraceSeconds *int `json:"secret_grace_seconds,omitempty" validate:"omitempty,min=0,max=604800" minimum:"0" maximum:"604800" example:"86400"`
} //	@name	PatchWebhookRequest

func (r *PatchWebhookRequest) domain() amigate.SubscriptionPatch {
	p := amigate.SubscriptionPatch{URL: r.URL, Events: r.Events, Enabled: r.Enabled, RotateSecret: r.RotateSecret}
	if r.SecretGraceSeconds != nil {
		g := time.Duration(*r.SecretGraceSeconds) * time.Second
		p.SecretGrace = &g
	}
	return p
}

// ListDeliveriesQuery is the query of GET /v1/webhooks/{id}/deliveries.
type ListDeliveriesQuery struct {
	State  string `query:"state" json:"state" validate:"omitempty,oneof=queued held failing delivered dead"`
	CallID string `query:"call_id" json:"call_id" validate:"omitempty,id"`
	Cursor string `query:"cursor" json:"cursor" validate:"omitempty,max=512,printascii,excludes= "`
	Limit  string `query:"limit" json:"limit" validate:"omitempty,number"`
}

func (q *ListDeliveriesQuery) domain() (amigate.DeliveryQuery, error) {
	out := amigate.DeliveryQuery{State: q.State, CallID: q.CallID, Cursor: q.Cursor}
	if q.Limit != "" {
		n, err := strconv.Atoi(q.Limit)
		if err != nil || n < 1 {
			// The upper bound is the listing's own.
			return out, &amigate.FieldError{Field: "limit", Message: "must be a positive whole number"}
		}
		out.Limit = n
	}
	return out, nil
}

// Status is the body of /healthz and /readyz when all is well.
type Status struct {
	Status string `json:"status" example:"ok"`
} //	@name	Status
