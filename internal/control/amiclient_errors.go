package control

import "errors"

// Until internal/amiclient lands, its agreed error names are stood in for
// here; this file is the only place that changes when it does.
var (
	errDisconnected = errors.New("amiclient: disconnected")
	errNotReady     = errors.New("amiclient: not ready")
	errClosed       = errors.New("amiclient: closed")
	errTimeout      = errors.New("amiclient: timeout")
)

// actionError stands in for amiclient.ActionError (Response: Error).
type actionError struct{ Action, Response, Message, Output string }

func (e *actionError) Error() string { return "ami: " + e.Action + ": " + e.Message }

func actionMessage(e *actionError) string { return e.Message }

func isUnavailable(err error) bool {
	return errors.Is(err, errDisconnected) || errors.Is(err, errNotReady) || errors.Is(err, errClosed)
}
