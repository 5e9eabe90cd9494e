package amiclient

import (
	"fmt"
)

// Errors of the client. Actions wrap them with the cause, so test them with
// errors.Is. A consumer that only needs to know what happened, not which
// client said it, tests behaviour instead (see Error).
var (
	// ErrDisconnected: the connection dropped while the action was in
	// flight. The action is never re-sent: it may or may not have run.
	ErrDisconnected error = &Error{msg: "amiclient: disconnected", unavailable: true}
	// ErrClosed: the client (or subscription) was closed.
	ErrClosed error = &Error{msg: "amiclient: closed", unavailable: true, unsent: true}
	// ErrNotReady: the client is not logged in right now; actions fail
	// fast instead of queueing.
	ErrNotReady error = &Error{msg: "amiclient: not connected to asterisk", unavailable: true, unsent: true}
	// ErrAuthFailed: Asterisk refused the login.
	ErrAuthFailed error = &Error{msg: "amiclient: authentication failed"}
	// ErrTimeout: no response in time (Config.ActionTimeout, or the
	// context's deadline, whose error is wrapped too).
	ErrTimeout error = &Error{msg: "amiclient: timeout waiting for response", timeout: true}
	// ErrDuplicateID: an action with the same ActionID is in flight.
	ErrDuplicateID error = &Error{msg: "amiclient: actionid already in flight", unsent: true}
	// ErrBadChannel: a channel name that is empty or starts with '/',
	// which Asterisk would take as a regular expression over all channels.
	ErrBadChannel error = &Error{msg: "amiclient: invalid channel name", unsent: true}
)

// Error is the type of the client's sentinel errors. Besides errors.Is on
// the sentinels, it answers by behaviour, so that a consumer declares
// interface{ Unavailable() bool } (or Timeout, Unsent) and needs nothing of
// this package to tell a 503 from a 504.
type Error struct {
	msg                          string
	unavailable, timeout, unsent bool
}

func (e *Error) Error() string { return e.msg }

// Unavailable reports that there was no usable connection to Asterisk:
// not logged in, closed, or dropped while the action was in flight.
func (e *Error) Unavailable() bool { return e.unavailable }

// Timeout reports that Asterisk did not answer in time: the action may
// still run.
func (e *Error) Timeout() bool { return e.timeout }

// Unsent reports that nothing of the action reached Asterisk, so it did
// not and will not run.
func (e *Error) Unsent() bool { return e.unsent }

// ActionError is Asterisk's "Response: Error" to an action. Message is
// Asterisk's reason ("Permission denied", "No such channel"); Output is the
// text of a failed Command.
type ActionError struct {
	Action   string
	Response string
	Message  string
	Output   string
}

func (e *ActionError) Error() string {
	if e.Output != "" {
		return fmt.Sprintf("amiclient: %s: %s: %s", e.Action, e.Message, e.Output)
	}
	return fmt.Sprintf("amiclient: %s: %s", e.Action, e.Message)
}

// Refusal returns Asterisk's reason: an ActionError is a refusal by
// behaviour (interface{ Refusal() string }), which a consumer tests without
// naming this type.
func (e *ActionError) Refusal() string { return e.Message }
