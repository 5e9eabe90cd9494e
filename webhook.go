package amigate

import "time"

// Subscription is a webhook receiver and the call events it wants.
type Subscription struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`           // empty or ["*"]: every event
	Secret    string    `json:"secret,omitempty"` // shown once, when created
	Disabled  bool      `json:"disabled"`         // set after a 410 Gone
	Source    string    `json:"source"`           // "api" or "config" (config ones cannot be deleted)
	CreatedAt time.Time `json:"created_at" format:"date-time"`
}

// SubscriptionRequest creates a subscription.
type SubscriptionRequest struct {
	URL    string
	Events []string
	Secret string // optional whsec_...; generated when empty
}

// Delivery is the state of one call event's delivery to one subscription.
type Delivery struct {
	EventID     string     `json:"event_id"`
	EventType   string     `json:"event_type"`
	Attempts    int        `json:"attempts"`
	StatusCode  int        `json:"status_code,omitempty"`
	Error       string     `json:"error,omitempty"`
	NextRetryAt *time.Time `json:"next_retry_at,omitempty" format:"date-time"`
	Delivered   bool       `json:"delivered"`
	Dead        bool       `json:"dead"`
	UpdatedAt   time.Time  `json:"updated_at" format:"date-time"`
}
