package control

import (
	"errors"
	"fmt"
	"strings"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
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

// The AMI client's errors, by behaviour: call control needs to know what
// happened, not which client said it.
type (
	// unavailable: there was no usable connection to Asterisk.
	unavailable interface{ Unavailable() bool }
	// timeout: no answer in time; the action may still run.
	timeout interface{ Timeout() bool }
	// unsent: nothing of the action reached Asterisk.
	unsent interface{ Unsent() bool }
	// refusal: Asterisk answered Response: Error, with this message.
	refusal interface{ Refusal() string }
)

// is reports whether err's chain holds an error of behaviour B for which
// ok holds.
func is[B any](err error, ok func(B) bool) bool {
	var b B
	return errors.As(err, &b) && ok(b)
}

// pbxError maps an error of the AMI client to the domain errors of api.md:
// not connected → ErrUnavailable (503), no answer in time → ErrTimeout (504),
// Response: Error → ErrPBXRefused (502) with Asterisk's message. The cause
// stays in the chain. hint, when set, is added to a refusal's text.
func pbxError(action string, err error, hint string) error {
	if err == nil {
		return nil
	}
	var r refusal
	switch {
	case errors.As(err, &r):
		return &refusedError{action: action, message: r.Refusal(), hint: hint, err: err}
	case is(err, unavailable.Unavailable):
		return fmt.Errorf("%s: %w: %w", action, amigate.ErrUnavailable, err)
	case is(err, timeout.Timeout): // context.DeadlineExceeded too
		return fmt.Errorf("%s: %w: %w", action, amigate.ErrTimeout, err)
	}
	return fmt.Errorf("%s: %w", action, err)
}

// isRefusal reports whether err is Asterisk's Response: Error whose message
// contains want (case-insensitively).
func isRefusal(err error, want string) bool {
	var r refusal
	return errors.As(err, &r) && strings.Contains(strings.ToLower(r.Refusal()), strings.ToLower(want))
}

// definite reports whether err means Asterisk did not and will not run the
// action: it refused it, or nothing of it was sent (no connection, or the
// encoder refused a value: every value is checked before, so that would be
// a bug here, but nothing was written).
func definite(err error) bool {
	var r refusal
	var he *ami.HeaderError
	return errors.As(err, &r) || errors.As(err, &he) || is(err, unsent.Unsent)
}
