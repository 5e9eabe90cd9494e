package amigate

import (
	"encoding/json"
	"time"
	"unicode"
	"unicode/utf8"
)

// PlainText reports whether s is what a free-text request field (a caller
// id's display name, a variable's value, a pause reason, an
// Idempotency-Key) may be: valid UTF-8 without control characters, so
// that neither CR, LF and NUL nor their look-alikes reach a log or an AMI
// header.
func PlainText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// DialRequest asks for a click-to-call: ring the agent's device From, then
// dial the customer number To. Numbers are as the client sent them; the call
// control service normalises them and applies the dial rules.
type DialRequest struct {
	From           string
	To             string
	CallerID       string
	Timeout        time.Duration
	Variables      map[string]string
	Metadata       json.RawMessage
	IdempotencyKey string
	// Caller is who asks (the token's subject): an Idempotency-Key is
	// only the same key for the same caller, so one CRM cannot replay or
	// block another's calls by guessing its keys.
	Caller string
}

// TransferRequest moves a call's customer to another extension.
type TransferRequest struct {
	To   string
	Mode string // TransferBlind or TransferAttended
}

// CallFilter selects calls in a listing; empty fields match everything.
type CallFilter struct {
	State     string
	Extension string
}

// CallQuery is a page of GET /v1/calls: active calls and the call history,
// newest first. Empty fields match everything.
type CallQuery struct {
	CallFilter
	// Since and Until bound the start time: Since <= started_at < Until.
	Since, Until time.Time
	Direction    string
	Disposition  string
	Queue        string
	// Customer is a customer number in any format; it is compared in its
	// normalised form.
	Customer string
	Campaign string
	// Scope is the extension of a token restricted by its ext claim: only
	// calls it takes part in are listed, whatever Extension asks.
	Scope string
	// Cursor is the opaque position after which the page starts ("" for
	// the newest call), as returned in CallPage.Next.
	Cursor string
	// Limit is the most calls in the page.
	Limit int
}

// CallPage is one page of a call listing.
type CallPage struct {
	Calls []Call
	// Next is the cursor of the following page; "" on the last one.
	Next string
}

// QueueSummary is one queue in the listing of GET /v1/queues.
type QueueSummary struct {
	Name               string  `json:"name"`
	LoggedIn           int     `json:"logged_in"`
	Available          int     `json:"available"`
	Callers            int     `json:"callers"`
	HoldTimeSeconds    float64 `json:"hold_time_seconds"`
	TalkTimeSeconds    float64 `json:"talk_time_seconds"`
	LongestHoldSeconds float64 `json:"longest_hold_seconds"`
}

// QueueStatus is one queue with its members and waiting callers.
type QueueStatus struct {
	Name             string        `json:"name"`
	Strategy         string        `json:"strategy"`
	Calls            int           `json:"calls"`
	Completed        int           `json:"completed"`
	Abandoned        int           `json:"abandoned"`
	ServiceLevel     int           `json:"service_level"`
	ServiceLevelPerf float64       `json:"service_level_perf"`
	HoldTimeSeconds  float64       `json:"hold_time_seconds"`
	TalkTimeSeconds  float64       `json:"talk_time_seconds"`
	Max              int           `json:"max"`
	Members          []QueueMember `json:"members"`
	Callers          []QueueCaller `json:"callers"`
}

// QueueMember is an agent interface in a queue.
type QueueMember struct {
	Interface      string     `json:"interface"`
	Name           string     `json:"name"`
	StateInterface string     `json:"state_interface"`
	Status         int        `json:"status"`
	StatusText     string     `json:"status_text"`
	Paused         bool       `json:"paused"`
	PausedReason   string     `json:"paused_reason,omitempty"`
	InCall         bool       `json:"in_call"`
	CallsTaken     int        `json:"calls_taken"`
	LastCallAt     *time.Time `json:"last_call_at,omitempty" format:"date-time"`
	Penalty        int        `json:"penalty"`
}

// QueueCaller is a caller waiting in a queue.
type QueueCaller struct {
	Position     int     `json:"position"`
	Channel      string  `json:"channel"`
	CallerIDNum  string  `json:"caller_id_num"`
	CallerIDName string  `json:"caller_id_name"`
	WaitSeconds  float64 `json:"wait_seconds"`
}

// QueuePauseRequest pauses or unpauses a member (scope queues:write).
type QueuePauseRequest struct {
	Interface string
	Paused    bool
	Reason    string
}
