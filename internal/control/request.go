package control

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/control/dialrules"
)

// Bounds on what a dial request may carry.
const (
	maxVariables     = 32
	maxVariableName  = 64
	maxVariableValue = 512
	maxCallerID      = 80
	maxExtension     = 32
	maxKey           = 255
)

// VariablePrefix is reserved for the service's own channel variables
// (AMIGATE_CALL_ID); a request may not set any name starting with it.
const VariablePrefix = "AMIGATE_"

// reservedVariables are channel variables Asterisk itself acts on to route a
// call or run features: a request setting them could choose a context or an
// application, which only configuration may do. Compared in upper case,
// after the inheritance underscores.
var reservedVariables = map[string]bool{
	"TRANSFER_CONTEXT": true, "GOTO_ON_BLINDXFR": true, "FORWARD_CONTEXT": true,
	"DYNAMIC_FEATURES": true, "BRIDGE_FEATURES": true,
	"OUTBOUND_GROUP": true, "OUTBOUND_GROUP_ONCE": true,
	"MACRO_CONTEXT": true, "MACRO_EXTEN": true, "MACRO_PRIORITY": true, "MACRO_OFFSET": true,
	"GOSUB_RETVAL": true, "LIMIT_PLAYAUDIO_CALLER": true, "LIMIT_PLAYAUDIO_CALLEE": true,
	"LIMIT_WARNING_FILE": true, "LIMIT_TIMEOUT_FILE": true, "LIMIT_CONNECT_FILE": true,
}

// dialPlan is a checked dial request: every value is safe to put in an AMI
// header and fits the configuration.
type dialPlan struct {
	from     string
	to       string // the number to dial, after the dial rules
	e164     string // the number in E.164, "" when it cannot be told
	display  string // the number for people, shown on the agent's phone
	callerID string // display name
	timeout  time.Duration
	vars     []ami.Field // sorted by name; values already escaped
}

func fieldErr(field, format string, args ...any) error {
	return &amigate.FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// checkExtension checks an agent extension against the configured pattern
// and, whatever the pattern, against the characters an extension may have,
// so that it cannot change a channel template or dialplan target.
func (s *Service) checkExtension(field, ext string) error {
	if ext == "" {
		return fieldErr(field, "is required")
	}
	if len(ext) > maxExtension {
		return fieldErr(field, "longer than %d characters", maxExtension)
	}
	for i := 0; i < len(ext); i++ {
		c := ext[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || strings.IndexByte("_*#+-", c) >= 0) {
			return fieldErr(field, "is not an extension")
		}
	}
	if !s.c.ext.MatchString(ext) {
		return fieldErr(field, "is not an extension")
	}
	return nil
}

// plan checks a dial request and applies the dial rules.
func (s *Service) plan(r amigate.DialRequest) (dialPlan, error) {
	var p dialPlan
	if err := s.checkExtension("from", r.From); err != nil {
		return p, err
	}
	p.from = r.From
	n, err := s.c.rules.Check(r.To)
	if err != nil {
		return p, numberErr("to", err)
	}
	p.to, p.e164, p.display = n.Dial, n.E164, n.Display
	if err := checkCallerID(r.CallerID); err != nil {
		return p, err
	}
	p.callerID = r.CallerID
	switch {
	case r.Timeout == 0:
		p.timeout = s.cfg.DefaultTimeout
	case r.Timeout < s.cfg.MinTimeout || r.Timeout > s.cfg.MaxTimeout:
		return p, fieldErr("timeout_seconds", "must be between %d and %d", int(s.cfg.MinTimeout/time.Second), int(s.cfg.MaxTimeout/time.Second))
	default:
		p.timeout = r.Timeout
	}
	p.vars, err = variables(r.Variables)
	return p, err
}

// numberErr is a number the dial rules refused, as a field error that says
// which rule and why.
func numberErr(field string, err error) error {
	var e *dialrules.Error
	if errors.As(err, &e) {
		return &amigate.FieldError{Field: field, Message: e.Reason}
	}
	return &amigate.FieldError{Field: field, Message: "is not a phone number"}
}

// checkCallerID refuses a display name that could break the CallerID header
// or Asterisk's parsing of `"name" <number>`.
func checkCallerID(v string) error {
	if len(v) > maxCallerID {
		return fieldErr("caller_id", "longer than %d characters", maxCallerID)
	}
	if strings.ContainsAny(v, "\r\n\x00\"\\<>") {
		return fieldErr("caller_id", "must not contain quotes, backslashes, angle brackets or control characters")
	}
	return nil
}

// variables checks the request's channel variables and returns them as
// Variable headers ("NAME=value"), sorted so that the action is
// deterministic (names are unique and "=" sorts before name characters, so
// this is the order of the names).
func variables(in map[string]string) ([]ami.Field, error) {
	if len(in) > maxVariables {
		return nil, fieldErr("variables", "more than %d variables", maxVariables)
	}
	if len(in) == 0 {
		return nil, nil
	}
	out := make([]ami.Field, 0, len(in))
	for name, v := range in {
		field := "variables." + name
		if !validVariableName(name) {
			field = "variables"
			return nil, fieldErr(field, "name %q is not [A-Za-z_][A-Za-z0-9_]* of at most %d characters", truncate(name, maxVariableName), maxVariableName)
		}
		bare := strings.ToUpper(strings.TrimLeft(name, "_"))
		if bare == "" || strings.HasPrefix(bare, VariablePrefix) || reservedVariables[bare] {
			return nil, fieldErr(field, "is reserved")
		}
		if len(v) > maxVariableValue {
			return nil, fieldErr(field, "longer than %d bytes", maxVariableValue)
		}
		if ami.CheckValue(v) != nil {
			return nil, fieldErr(field, "must not contain CR, LF or NUL")
		}
		value := name + "=" + escapeVariable(v)
		if len("Variable: ")+len(value) > ami.MaxLineLength {
			return nil, fieldErr(field, "too long once escaped for Asterisk")
		}
		out = append(out, ami.Field{Name: "Variable", Value: value})
	}
	slices.SortFunc(out, func(a, b ami.Field) int { return strings.Compare(a.Value, b.Value) })
	return out, nil
}

func validVariableName(s string) bool {
	if s == "" || len(s) > maxVariableName {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return false
	}
	return true
}

// escapeVariable escapes a variable's value for a Variable header. Asterisk
// splits each Variable header at commas into several NAME=value pairs and
// drops quotes and backslashes (AST_STANDARD_APP_ARGS in manager.c), so an
// unescaped "1,AMIGATE_CALL_ID=x" would set a second variable. A backslash
// makes the next character literal.
func escapeVariable(v string) string {
	if !strings.ContainsAny(v, `,"\`) {
		return v
	}
	var b strings.Builder
	b.Grow(len(v) + 8)
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == ',' || c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
