package amigate

import (
	"errors"
	"fmt"
)

// Domain errors. Packages wrap them with %w; the HTTP layer maps them to
// problem+json statuses in one place.
var (
	ErrNotFound    = errors.New("not found")
	ErrConflict    = errors.New("conflict")
	ErrInvalid     = errors.New("invalid input")
	ErrForbidden   = errors.New("forbidden")
	ErrUnavailable = errors.New("asterisk not connected")
	ErrTimeout     = errors.New("asterisk did not answer in time")
	ErrPBXRefused  = errors.New("asterisk refused the action")
)

// FieldError is an invalid value in one field of a request: the HTTP layer
// turns it into a 422 whose errors list names the field.
type FieldError struct {
	Field   string
	Message string
	// Rule names the dial rule that refused a number ("type", "prefix",
	// ...); empty for other invalid values.
	Rule string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Unwrap makes errors.Is(err, ErrInvalid) hold for every FieldError.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// Errors of a more specific kind. Each is also its status sentinel
// (errors.Is(ErrNotAnswered, ErrConflict) holds), so that the HTTP layer
// answers the right status and a problem type a program can branch on.
var (
	ErrNotAnswered = kindOf("call not answered", ErrConflict)
	ErrCallEnded   = kindOf("call has ended", ErrConflict)
	ErrKeyReused   = kindOf("idempotency key reused", ErrConflict)
	ErrConfigured  = kindOf("comes from configuration", ErrConflict)
	// ErrNoDialer: another instance runs the campaigns (instances sharing
	// one store), or none does while one takes over.
	ErrNoDialer = kindOf("campaigns run elsewhere", ErrUnavailable)
)

type kindError struct {
	msg    string
	parent error
}

func kindOf(msg string, parent error) error { return &kindError{msg: msg, parent: parent} }

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.parent }

// Error is a domain error whose Detail is written for the API's client: no
// package prefix, no sentinel text. Kind is the sentinel it wraps.
type Error struct {
	Kind   error
	Detail string
}

// Errorf returns an *Error of kind with the formatted detail.
func Errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string { return e.Detail + ": " + e.Kind.Error() }

// Unwrap makes errors.Is(err, e.Kind) hold.
func (e *Error) Unwrap() error { return e.Kind }
