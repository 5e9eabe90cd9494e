package amigate

import "errors"

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
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Unwrap makes errors.Is(err, ErrInvalid) hold for every FieldError.
func (e *FieldError) Unwrap() error { return ErrInvalid }
