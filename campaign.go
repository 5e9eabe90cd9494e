package amigate

import (
	"encoding/json"
	"slices"
	"time"
)

// Campaign states.
const (
	CampaignScheduled = "scheduled" // created; the calling window has not opened yet
	CampaignRunning   = "running"
	CampaignPaused    = "paused"
	CampaignCompleted = "completed" // every contact has its final outcome
	CampaignCanceled  = "canceled"
)

// Contact states.
const (
	ContactPending  = "pending"  // waiting for its first attempt or a retry
	ContactDialing  = "dialing"  // an attempt is in progress
	ContactDone     = "done"     // final outcome reached
	ContactCanceled = "canceled" // the campaign was canceled before it was done
)

// Attempt and contact outcomes. Answered means the customer answered and
// was connected to an agent; abandoned, that the customer answered but
// hung up before an agent took the call. Unknown is an attempt whose
// Originate may or may not have reached Asterisk and of which neither the
// PBX nor the call history knows anything: it is never retried, so that
// no one is dialled twice.
const (
	OutcomeAnswered  = "answered"
	OutcomeAbandoned = "abandoned"
	OutcomeBusy      = "busy"
	OutcomeNoAnswer  = "no_answer"
	OutcomeFailed    = "failed"
	OutcomeCanceled  = "canceled"
	OutcomeUnknown   = "unknown"
)

// Campaign modes.
const (
	// CampaignModeProgressive dials the customer first, while the target
	// has a free agent; an answered customer is sent to the target.
	CampaignModeProgressive = "progressive"
	// CampaignModePreview (agent-first) rings a free agent of the target
	// first, then dials the customer from the agent's answered phone, as
	// click-to-call does.
	CampaignModePreview = "preview"
)

// Campaign event types. Like agent events they are opt-in: a
// subscription or an event stream gets them only when it names them.
const (
	// EventCampaignStarted: the campaign's first attempt is about to be
	// dialled (its calling window opened).
	EventCampaignStarted = "campaign.started"
	// EventCampaignContactCompleted: a contact has its final outcome.
	EventCampaignContactCompleted = "campaign.contact_completed"
	// EventCampaignCompleted: every contact has its final outcome (not
	// sent for a canceled campaign).
	EventCampaignCompleted = "campaign.completed"
)

// CampaignEventTypes lists every campaign event type.
var CampaignEventTypes = []string{EventCampaignStarted, EventCampaignContactCompleted, EventCampaignCompleted}

// IsCampaignEvent reports whether typ is a campaign event type.
func IsCampaignEvent(typ string) bool { return slices.Contains(CampaignEventTypes, typ) }

// CampaignRef is the campaign a campaign event is about.
type CampaignRef struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	State string `json:"state" enums:"scheduled,running,paused,completed,canceled"`
	// Counts are the campaign's counts when the event was sent
	// (campaign.started and campaign.completed).
	Counts *CampaignCounts `json:"counts,omitempty"`
}

// CampaignTarget is where an answered customer goes: a queue, or an agent
// extension. The dialplan context is configuration, never the request's.
type CampaignTarget struct {
	Queue     string `json:"queue,omitempty" example:"support"`
	Extension string `json:"extension,omitempty" example:"101"`
}

// CampaignPacing bounds how fast a campaign dials.
type CampaignPacing struct {
	// MaxConcurrent is the most attempts in progress at once.
	MaxConcurrent int `json:"max_concurrent" example:"4"`
	// PerMinute is the most new calls started in any 60 seconds.
	PerMinute int `json:"per_minute" example:"120"`
}

// CampaignWindow is when a campaign may dial: on Days, from From to To
// (HH:MM, To excluded) in TimeZone. The zero value is always.
type CampaignWindow struct {
	TimeZone string `json:"time_zone,omitempty" example:"Europe/Moscow"`
	// Days are lowercase three-letter weekdays ("mon" ... "sun"); empty is every day.
	Days []string `json:"days,omitempty" example:"mon,tue,wed,thu,fri"`
	From string   `json:"from,omitempty" example:"09:00"`
	To   string   `json:"to,omitempty" example:"20:00"`
}

// RetryRule is how often, and how long after, a contact whose attempt
// ended with one outcome is dialled again.
type RetryRule struct {
	// Attempts is how many more times the contact is dialled after
	// attempts that ended this way (0: never).
	Attempts     int `json:"attempts" example:"2"`
	DelaySeconds int `json:"delay_seconds" example:"300"`
}

// CampaignRetry holds a retry rule per retryable outcome.
type CampaignRetry struct {
	Busy     RetryRule `json:"busy"`
	NoAnswer RetryRule `json:"no_answer"`
	Failed   RetryRule `json:"failed"`
}

// CampaignContact is one customer to call, as the CRM gives it.
type CampaignContact struct {
	Number    string            `json:"number" example:"+79001234567"`
	Name      string            `json:"name,omitempty"`
	Metadata  json.RawMessage   `json:"metadata,omitempty" swaggertype:"object"`
	Variables map[string]string `json:"variables,omitempty"`
}

// CampaignRequest creates a campaign.
type CampaignRequest struct {
	Name        string
	Mode        string
	Contacts    []CampaignContact
	Target      CampaignTarget
	Pacing      CampaignPacing
	Window      CampaignWindow
	Retry       CampaignRetry
	RingTimeout time.Duration
	CallerID    string
	// Variables are set on every contact's call; a contact's own win.
	Variables map[string]string
	Caller    string // the token's subject
}

// CampaignCounts are a campaign's contacts by state and by final outcome.
type CampaignCounts struct {
	Total    int            `json:"total"`
	Pending  int            `json:"pending"`
	Dialing  int            `json:"dialing"`
	Done     int            `json:"done"`
	Canceled int            `json:"canceled"`
	Outcomes map[string]int `json:"outcomes"`
	// Attempts is the number of calls started so far.
	Attempts int `json:"attempts"`
}

// Campaign is a campaign as the API shows it.
type Campaign struct {
	ID                 string         `json:"id"`
	Name               string         `json:"name"`
	Mode               string         `json:"mode" enums:"progressive,preview"`
	State              string         `json:"state" enums:"scheduled,running,paused,completed,canceled"`
	Target             CampaignTarget `json:"target"`
	Pacing             CampaignPacing `json:"pacing"`
	Window             CampaignWindow `json:"window"`
	Retry              CampaignRetry  `json:"retry"`
	RingTimeoutSeconds int            `json:"ring_timeout_seconds"`
	CallerID           string         `json:"caller_id,omitempty"`
	// Variables are set on every contact's call; a contact's own win.
	Variables map[string]string `json:"variables,omitempty"`
	Counts    CampaignCounts    `json:"counts"`
	CreatedAt time.Time         `json:"created_at" format:"date-time"`
	StartedAt *time.Time        `json:"started_at,omitempty" format:"date-time"`
	EndedAt   *time.Time        `json:"ended_at,omitempty" format:"date-time"`
	// ETA is when a scheduled or running campaign should complete: its
	// attempts left (retries as observed so far), at its pacing with calls
	// of the average length observed, counted only while its calling
	// window is open. Null when unknown: no attempt ended yet, or the
	// campaign is paused, completed or canceled.
	ETA *time.Time `json:"eta" format:"date-time"`
}

// CampaignAttempt is one call to a contact.
type CampaignAttempt struct {
	// CallID is the call's id (GET /v1/calls/{id}); Asterisk's Uniqueid of
	// the customer's channel.
	CallID    string     `json:"call_id"`
	StartedAt time.Time  `json:"started_at" format:"date-time"`
	EndedAt   *time.Time `json:"ended_at,omitempty" format:"date-time"`
	// Result is empty while the attempt is in progress.
	Result string `json:"result,omitempty" enums:"answered,abandoned,busy,no_answer,failed,canceled,unknown"`
}

// CampaignContactStatus is one contact with its attempts.
type CampaignContactStatus struct {
	Index    int               `json:"index"`
	Number   string            `json:"number"`
	Name     string            `json:"name,omitempty"`
	Metadata json.RawMessage   `json:"metadata,omitempty" swaggertype:"object"`
	State    string            `json:"state" enums:"pending,dialing,done,canceled"`
	Outcome  string            `json:"outcome,omitempty" enums:"answered,abandoned,busy,no_answer,failed,canceled,unknown"`
	NextAt   *time.Time        `json:"next_attempt_at,omitempty" format:"date-time"`
	Attempts []CampaignAttempt `json:"attempts"`
	// CallID is the last attempt's call id.
	CallID string `json:"call_id,omitempty"`
}

// ContactQuery is a page of a campaign's contacts.
type ContactQuery struct {
	State   string
	Outcome string
	// Cursor is the index of the contact the page starts at (0: the first).
	Cursor int
	Limit  int
}

// ContactPage is one page of contacts; Next is 0 on the last page.
type ContactPage struct {
	Contacts []CampaignContactStatus
	Next     int
}

// CampaignDial is one attempt to originate: the customer's number is
// dialled and, once answered, sent to Target.
type CampaignDial struct {
	// ID is the attempt's call id, sent as the Originate's ChannelId.
	ID       string
	Campaign string
	Contact  int
	Number   string
	Name     string
	Metadata json.RawMessage
	// Variables are the contact's own channel variables, and
	// CampaignVariables the campaign's: call control merges them, the
	// contact's winning.
	Variables         map[string]string
	CampaignVariables map[string]string
	Target            CampaignTarget
	// Agent, in preview mode, is the agent rung first; the customer is
	// dialled once the agent answers.
	Agent    string
	CallerID string
	Timeout  time.Duration
}
