package control

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/amigate/amigate"
)

// refusedError is Asterisk's "Response: Error" to an action, as a domain
// error: errors.Is(err, amigate.ErrPBXRefused) holds and the text carries
// Asterisk's Message, which the API shows in the problem's detail.
type refusedError struct {
	action  string
	message string
	hint    string
	err     error
}

func (e *refusedError) Error() string {
	s := "asterisk refused " + e.action
	if e.message != "" {
		s += ": " + e.message
	}
	if e.hint != "" {
		s += " (" + e.hint + ")"
	}
	return s
}

func (e *refusedError) Unwrap() []error { return []error{amigate.ErrPBXRefused, e.err} }

// pbxError maps an error of the AMI client to the domain errors of api.md:
// not connected → ErrUnavailable (503), no answer in time → ErrTimeout (504),
// Response: Error → ErrPBXRefused (502) with Asterisk's message. The cause
// stays in the chain. hint, when set, is added to a refusal's text.
func pbxError(action string, err error, hint string) error {
	if err == nil {
		return nil
	}
	var ae *actionError
	switch {
	case errors.As(err, &ae):
		return &refusedError{action: action, message: actionMessage(ae), hint: hint, err: err}
	case isUnavailable(err):
		return fmt.Errorf("%s: %w: %w", action, amigate.ErrUnavailable, err)
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errTimeout):
		return fmt.Errorf("%s: %w: %w", action, amigate.ErrTimeout, err)
	}
	return fmt.Errorf("%s: %w", action, err)
}

// isRefusal reports whether err is Asterisk's Response: Error whose message
// contains want (case-insensitively).
func isRefusal(err error, want string) bool {
	var ae *actionError
	return errors.As(err, &ae) && strings.Contains(strings.ToLower(actionMessage(ae)), strings.ToLower(want))
}
