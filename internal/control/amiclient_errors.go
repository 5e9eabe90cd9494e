package control

import (
	"errors"

	"github.com/amigate/amigate/internal/amiclient"
)

// The AMI client's errors, under short names for the mapping in errors.go.
var (
	errDisconnected = amiclient.ErrDisconnected
	errNotReady     = amiclient.ErrNotReady
	errClosed       = amiclient.ErrClosed
	errTimeout      = amiclient.ErrTimeout
)

// actionError is Asterisk's Response: Error as the client reports it.
type actionError = amiclient.ActionError

func actionMessage(e *actionError) string { return e.Message }

func isUnavailable(err error) bool {
	return errors.Is(err, errDisconnected) || errors.Is(err, errNotReady) || errors.Is(err, errClosed)
}

var _ AMI = (*amiclient.Client)(nil)
