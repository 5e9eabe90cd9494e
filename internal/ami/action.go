package ami

import (
	"errors"
	"fmt"
)

// Asterisk's manager drops a line of 1024 bytes or more (its input buffer is
// 1025 bytes with the line end) and keeps at most 128 headers per action
// (AST_MAX_MANHEADERS). Refusing such actions here beats having them cut
// silently on the PBX.
const (
	MaxLineLength = 1024 - 2 // bytes of "Name: Value" without CRLF
	MaxHeaders    = 128
)

// Errors returned by Action.Encode, wrapped in a *HeaderError.
var (
	ErrUnsafeHeader  = errors.New("ami: header contains CR, LF or NUL")
	ErrBadHeaderName = errors.New("ami: header name is empty or contains a colon or space")
	ErrLineTooLong   = errors.New("ami: header line longer than Asterisk accepts")
	ErrTooManyFields = errors.New("ami: more headers than Asterisk accepts")
)

// HeaderError says which header of an action was refused, and why.
type HeaderError struct {
	Name string
	Err  error
}

func (e *HeaderError) Error() string { return fmt.Sprintf("header %q: %v", e.Name, e.Err) }
func (e *HeaderError) Unwrap() error { return e.Err }

// Action is an AMI action: its name and ordered headers. Repeated headers
// (one Variable per variable) are allowed. Action and ActionID are written by
// Encode and must not be among Fields.
type Action struct {
	Name   string
	Fields []Field
	// ID, when set, is the ActionID to send instead of one the client picks.
	// Callers set it where a later event must be matched to the action (an
	// async Originate's OriginateResponse, whose Uniqueid is "<unknown>" on
	// failure); it must be unique on the connection.
	ID string
}

// NewAction returns an action with the given name and no headers.
func NewAction(name string) *Action { return &Action{Name: name} }

// Add appends a header and returns the action, for chaining.
func (a *Action) Add(name, value string) *Action {
	a.Fields = append(a.Fields, Field{Name: name, Value: value})
	return a
}

// AddIf appends a header only when value is not empty.
func (a *Action) AddIf(name, value string) *Action {
	if value != "" {
		a.Add(name, value)
	}
	return a
}

// Get returns the first header called name (case-insensitively).
func (a *Action) Get(name string) string {
	for _, f := range a.Fields {
		if EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// Validate checks every header without encoding anything.
func (a *Action) Validate(actionID string) error {
	if err := checkHeader("Action", a.Name); err != nil {
		return err
	}
	if err := checkHeader("ActionID", actionID); err != nil {
		return err
	}
	if len(a.Fields)+2 > MaxHeaders {
		return &HeaderError{Name: a.Name, Err: ErrTooManyFields}
	}
	for _, f := range a.Fields {
		if EqualFold(f.Name, "Action") || EqualFold(f.Name, "ActionID") {
			return &HeaderError{Name: f.Name, Err: errors.New("ami: set by the client, not by the caller")}
		}
		if err := checkHeader(f.Name, f.Value); err != nil {
			return err
		}
	}
	return nil
}

// Encode appends the action in wire form, ActionID second, to dst. It
// refuses, before anything is appended, any header that could break the
// framing: CR, LF (Asterisk also ends a line on a bare LF) or NUL in a name
// or value, a bad name, an over-long line or too many headers.
func (a *Action) Encode(dst []byte, actionID string) ([]byte, error) {
	if err := a.Validate(actionID); err != nil {
		return dst, err
	}
	dst = appendHeader(dst, "Action", a.Name)
	dst = appendHeader(dst, "ActionID", actionID)
	for _, f := range a.Fields {
		dst = appendHeader(dst, f.Name, f.Value)
	}
	return append(dst, '\r', '\n'), nil
}

// Message returns the action as a message, as a server would read it.
func (a *Action) Message(actionID string) Message {
	m := Message{Fields: make([]Field, 0, len(a.Fields)+2)}
	m.Add("Action", a.Name)
	m.Add("ActionID", actionID)
	m.Fields = append(m.Fields, a.Fields...)
	return m
}

func appendHeader(dst []byte, name, value string) []byte {
	dst = append(dst, name...)
	dst = append(dst, ':', ' ')
	dst = append(dst, value...)
	return append(dst, '\r', '\n')
}

func checkHeader(name, value string) error {
	if !goodName(name) {
		return &HeaderError{Name: name, Err: ErrBadHeaderName}
	}
	if !safe(name) || !safe(value) {
		return &HeaderError{Name: name, Err: ErrUnsafeHeader}
	}
	if len(name)+2+len(value) > MaxLineLength {
		return &HeaderError{Name: name, Err: ErrLineTooLong}
	}
	return nil
}

// CheckValue reports whether s may be sent as a header value: callers that
// build actions from requests use it to refuse input early with a clear error.
func CheckValue(s string) error {
	if !safe(s) {
		return ErrUnsafeHeader
	}
	return nil
}

// safe reports whether s has no CR, LF or NUL. A plain loop: it runs on
// every header of every action, where strings.ContainsAny costs several
// times more.
func safe(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\r' || c == '\n' || c == 0 {
			return false
		}
	}
	return true
}

// goodName reports whether name is a usable header name: not empty, no
// colon, space or tab.
func goodName(name string) bool {
	for i := 0; i < len(name); i++ {
		if c := name[i]; c == ':' || c == ' ' || c == '\t' {
			return false
		}
	}
	return name != ""
}
