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
