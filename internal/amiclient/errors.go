package amiclient

import (
	"errors"
	"fmt"
)

// Errors of the client. Actions wrap them with the cause, so test them with
// errors.Is.
var (
	// ErrDisconnected: the connection dropped while the action was in
	// flight. The action is never re-sent: it may or may not have run.
	ErrDisconnected = errors.New("amiclient: disconnected")
	// ErrClosed: the client (or subscription) was closed.
	ErrClosed = errors.New("amiclient: closed")
	// ErrNotReady: the client is not logged in right now; actions fail
	// fast instead of queueing.
	ErrNotReady = errors.New("amiclient: not connected to asterisk")
	// ErrAuthFailed: Asterisk refused the login.
	ErrAuthFailed = errors.New("amiclient: authentication failed")
	// ErrTimeout: no response in time (Config.ActionTimeout, or the
	// context's deadline, whose error is wrapped too).
	ErrTimeout = errors.New("amiclient: timeout waiting for response")
	// ErrDuplicateID: an action with the same ActionID is in flight.
	ErrDuplicateID = errors.New("amiclient: actionid already in flight")
	// ErrBadChannel: a channel name that is empty or starts with '/',
	// which Asterisk would take as a regular expression over all channels.
	ErrBadChannel = errors.New("amiclient: invalid channel name")
)

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
