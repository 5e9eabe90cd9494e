package handlers

import (
	"maps"
	"slices"
	"strings"
	"time"
)

// ReadinessCheck is where one part of the service stands, in the 503 of
// /readyz: its state and, when it is not ready, why.
type ReadinessCheck struct {
	// State is the part's own state word: for ami the connection's
	// (connecting, authenticating, ready, backing_off, closed).
	State string `json:"state" example:"backing_off"`
	// Reason classifies why it is not ready, in a few stable words: for
	// ami "authentication failed", "connection refused", "host not found",
	// "host unreachable", "timeout", "tls handshake failed", "not an
	// asterisk manager", "connection lost" or "connection failed".
	Reason string `json:"reason,omitempty" example:"authentication failed"`
	// Detail is the error behind Reason, as logged.
	Detail string `json:"detail,omitempty" example:"amiclient: authentication failed: amiclient: Login: Authentication failed"`
	// Since is when State began.
	Since *time.Time `json:"since,omitempty" example:"2026-01-02T15:04:05Z"`
} //	@name	ReadinessCheck

// NotReadyProblem is the 503 of /readyz: a Problem with each part's check
// (ami, calls, event_store) when the service knows them.
type NotReadyProblem struct {
	Problem
	Checks map[string]ReadinessCheck `json:"checks,omitempty"`
} //	@name	NotReadyProblem

// NotReadyError is what Deps.Ready returns to name each part's state;
// /readyz shows them as checks. Any other error is shown as the detail
// alone.
type NotReadyError struct {
	Checks map[string]ReadinessCheck
}

// Error names the parts that are not ready, in name order, with their
// state and reason: "ami: backing_off: authentication failed".
func (e *NotReadyError) Error() string {
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(e.Checks)) {
		c := e.Checks[name]
		if c.State == readyState {
			continue
		}
		p := name + ": " + c.State
		if c.Reason != "" {
			p += ": " + c.Reason
		} else if c.Detail != "" {
			p += ": " + c.Detail
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}

// readyState is the State of a part that is ready.
const readyState = "ready"
