package amigate

import "time"

// EventWebhookTest is the type of the event POST /v1/webhooks/{id}/test
// sends: a signed ping that carries no call.
const EventWebhookTest = "webhook.test"

// Why a subscription is disabled.
const (
	DisabledGone     = "gone"     // the receiver answered 410 Gone
	DisabledOperator = "operator" // PATCH with "enabled": false
)

// Subscription is a webhook receiver and the call events it wants.
type Subscription struct {
	ID     string   `json:"id"`
	URL    string   `json:"url"`
	Events []string `json:"events"`           // empty or ["*"]: every event
	Secret string   `json:"secret,omitempty"` // shown once, when created or rotated
	// Disabled: nothing is delivered; events keep queueing (within the
	// store's retention) and go out in order once it is enabled again.
	Disabled bool `json:"disabled"`
	// DisabledReason says who disabled it: the receiver (410 Gone) or an operator.
	DisabledReason string     `json:"disabled_reason,omitempty" enums:"gone,operator"`
	DisabledAt     *time.Time `json:"disabled_at,omitempty" format:"date-time"`
	Source         string     `json:"source"` // "api" or "config" (config ones cannot be changed or deleted)
	CreatedAt      time.Time  `json:"created_at" format:"date-time"`
	// PreviousSecretExpiresAt is set after a secret rotation: until then
	// the previous secret signs every delivery too.
	PreviousSecretExpiresAt *time.Time `json:"previous_secret_expires_at,omitempty" format:"date-time"`
}

// SubscriptionRequest creates a subscription.
type SubscriptionRequest struct {
	URL    string
	Events []string
	Secret string // optional whsec_...; generated when empty
}

// SubscriptionPatch changes a subscription; nil fields stay as they are.
type SubscriptionPatch struct {
	URL     *string
	Events  *[]string
	Enabled *bool
	// RotateSecret replaces the secret with a generated one; the previous
	// secret keeps signing alongside it for SecretGrace (nil: the default).
	RotateSecret bool
	SecretGrace  *time.Duration
}

// Empty reports whether the patch changes nothing.
func (p SubscriptionPatch) Empty() bool {
	return p.URL == nil && p.Events == nil && p.Enabled == nil && !p.RotateSecret && p.SecretGrace == nil
}

// WebhookTestResult is the outcome of one webhook.test ping.
type WebhookTestResult struct {
	// EventID is the ping's webhook-id (and body id).
	EventID string `json:"event_id" example:"evt_test_5f0c3a9d2b7e41c8a6d4e2f1"`
	// Delivered: the receiver answered 2xx.
	Delivered bool `json:"delivered" example:"true"`
	// StatusCode is the receiver's answer; absent when none came.
	StatusCode int `json:"status_code,omitempty" example:"204"`
	// LatencyMS is from sending the request to the answer (or the error).
	LatencyMS float64 `json:"latency_ms" example:"42.5"`
	// Error is why it was not delivered: the status and the start of the
	// answer, a timeout or a connection error.
	Error string `json:"error,omitempty" example:""`
}

// Delivery states.
const (
	DeliveryQueued    = "queued"    // not attempted yet, nothing ahead of it failing
	DeliveryHeld      = "held"      // waiting: behind a failing event of its call (BlockedBy), or the subscription is disabled
	DeliveryFailing   = "failing"   // attempted, not delivered; retried at NextRetryAt
	DeliveryDelivered = "delivered" // the receiver answered 2xx
	DeliveryDead      = "dead"      // retries exhausted; retry by hand
)

// DeliveryStates lists the states, for validation.
var DeliveryStates = []string{DeliveryQueued, DeliveryHeld, DeliveryFailing, DeliveryDelivered, DeliveryDead}

// Delivery is the state of one call event's delivery to one subscription.
type Delivery struct {
	EventID   string `json:"event_id" example:"evt_3f73cd80ba7e744ea2be5248"`
	EventType string `json:"event_type" example:"call.ringing"`
	// State: queued, held, failing, delivered or dead.
	State string `json:"state" enums:"queued,held,failing,delivered,dead" example:"failing"`
	// CallID is the call the event is about (absent from agent events).
	CallID string `json:"call_id,omitempty" example:"01JD3Q8Y0M9T7ZKX5R2W4N6B8C"`
	// Sequence is the event's sequence within its call (or agent).
	Sequence int64 `json:"sequence,omitempty" example:"1"`
	// BlockedBy is the earlier event of the same call a held event waits
	// behind: it goes out once that one is delivered or dead.
	BlockedBy   string     `json:"blocked_by,omitempty" example:""`
	Attempts    int        `json:"attempts" example:"3"`
	StatusCode  int        `json:"status_code,omitempty" example:"503"`
	Error       string     `json:"error,omitempty" example:"HTTP 503: Service Unavailable"`
	NextRetryAt *time.Time `json:"next_retry_at,omitempty" format:"date-time"`
	Delivered   bool       `json:"delivered" example:"false"`
	Dead        bool       `json:"dead" example:"false"`
	// UpdatedAt is the last attempt's time; absent for events never attempted.
	UpdatedAt time.Time `json:"updated_at,omitzero" format:"date-time"`
}

// DeliveryQuery selects a page of a subscription's deliveries.
type DeliveryQuery struct {
	State  string // one of DeliveryStates; empty: all
	CallID string
	Cursor string // from the previous page's Next
	Limit  int    // 0: the default
}

// DeliveryPage is one page of deliveries: the undelivered events first, in
// the order they go out, then the attempted ones, most recent first.
type DeliveryPage struct {
	Deliveries []Delivery
	Next       string // cursor of the next page; empty on the last
}
