package control

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amiclient"
	"github.com/amigate/amigate/internal/chanvar"
	"github.com/amigate/amigate/internal/control/dialrules"
)

// What a request may carry. This is the one home of these rules: the HTTP
// layer checks only the shape of a request (JSON, types, unknown fields,
// body size), and the OpenAPI spec states these bounds (api's tests check
// that it says the same). Lengths are in characters, as JSON Schema counts
// them.
const (
	MaxVariables      = 32   // channel variables per call
	MaxVariableValue  = 200  // characters of a variable's value: escaped, name and all, it fits one AMI header line
	MaxCallerID       = 80   // characters of the caller id's display name
	MaxMetadata       = 8192 // bytes of the metadata JSON object
	MaxIdempotencyKey = 255  // characters of an Idempotency-Key
	MaxQueueName      = 128  // characters of a queue name, member interface or pause reason
	// MinTimeout is the least ring time a request may ask for;
	// TimeoutLimit the most any configuration (AMIGATE_DIAL_MAX_TIMEOUT)
	// may allow, which the spec states as the schema's maximum.
	MinTimeout   = 5 * time.Second
	TimeoutLimit = time.Hour
)

// chars counts what JSON Schema's maxLength counts.
func chars(s string) int { return utf8.RuneCountInString(s) }

// dialPlan is a checked dial request: every value is safe to put in an AMI
// header and fits the configuration.
type dialPlan struct {
	from     string
	to       string // the number to dial, after the dial rules
	e164     string // the number in E.164, "" when it cannot be told
	display  string // the number for people, shown on the agent's phone
	callerID string // display name
	timeout  time.Duration
	vars     []ami.Field // name and escaped value, sorted by name
}

func fieldErr(field, format string, args ...any) error {
	return &amigate.FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// checkExtension checks an agent extension by the one rule of package
// agent: the configured pattern and, whatever the pattern, the characters an
// extension may have, so that it cannot change a device template or
// dialplan target.
func (s *Service) checkExtension(field, ext string) error {
	if ext == "" {
		return fieldErr(field, "is required")
	}
	if !s.cfg.Devices.IsExtension(ext) {
		return fieldErr(field, "is not an extension (%s)", s.cfg.Devices.Pattern())
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
	case r.Timeout < MinTimeout || r.Timeout > s.cfg.MaxTimeout:
		return p, fieldErr("timeout_seconds", "must be between %d and %d", int(MinTimeout/time.Second), int(s.cfg.MaxTimeout/time.Second))
	default:
		p.timeout = r.Timeout
	}
	if err := checkMetadata(r.Metadata); err != nil {
		return p, err
	}
	p.vars, err = variables(s.cfg.Variables, r.Variables)
	return p, err
}

// numberErr is a number the dial rules refused, as a field error that says
// which rule and why.
func numberErr(field string, err error) error {
	var e *dialrules.Error
	if errors.As(err, &e) {
		return &amigate.FieldError{Field: field, Message: e.Reason, Rule: e.Rule}
	}
	return &amigate.FieldError{Field: field, Message: "is not a phone number"}
}

// checkCallerID refuses a display name that could break the CallerID header
// or Asterisk's parsing of `"name" <number>`.
func checkCallerID(v string) error {
	if chars(v) > MaxCallerID {
		return fieldErr("caller_id", "longer than %d characters", MaxCallerID)
	}
	if !amigate.PlainText(v) || strings.ContainsAny(v, "\"\\<>") {
		return fieldErr("caller_id", "must not contain quotes, backslashes, angle brackets or control characters")
	}
	return nil
}

// checkMetadata bounds the metadata, which is kept with the call and sent
// in every webhook, and requires a JSON object (or nothing).
func checkMetadata(m json.RawMessage) error {
	if len(m) > MaxMetadata {
		return fieldErr("metadata", "longer than %d bytes", MaxMetadata)
	}
	if b := bytes.TrimSpace(m); len(b) > 0 && b[0] != '{' && !bytes.Equal(b, []byte("null")) {
		return fieldErr("metadata", "must be a JSON object")
	}
	return nil
}

// checkIdempotencyKey bounds an Idempotency-Key.
func checkIdempotencyKey(k string) error {
	if chars(k) > MaxIdempotencyKey || !amigate.PlainText(k) {
		return fieldErr("Idempotency-Key", "must be at most %d characters without control characters", MaxIdempotencyKey)
	}
	return nil
}

// variables checks the request's channel variables against the rule and
// returns them with their values escaped for a Variable header, sorted by
// name so that the action is deterministic.
func variables(rule *chanvar.Rule, in map[string]string) ([]ami.Field, error) {
	if len(in) > MaxVariables {
		return nil, fieldErr("variables", "more than %d variables", MaxVariables)
	}
	if len(in) == 0 {
		return nil, nil
	}
	out := make([]ami.Field, 0, len(in))
	for name, v := range in {
		field := "variables." + name
		if !rule.Allows(name) {
			if !pathSafe(name) {
				// A name unfit to be a field path is quoted in the message.
				return nil, fieldErr("variables", "name %q %s", truncate(name, chanvar.MaxName), rule)
			}
			return nil, fieldErr(field, "%s", rule)
		}
		if chars(v) > MaxVariableValue {
			return nil, fieldErr(field, "longer than %d characters", MaxVariableValue)
		}
		if !amigate.PlainText(v) {
			return nil, fieldErr(field, "must be UTF-8 text without control characters")
		}
		// The longest name and value, escaped, fit one header line
		// (TestVariableFitsOneLine).
		out = append(out, ami.Field{Name: name, Value: amiclient.EscapeVariable(v)})
	}
	slices.SortFunc(out, func(a, b ami.Field) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// pathSafe says whether a variable name may appear in a field path as it
// is: short, and nothing but letters, digits and underscores.
func pathSafe(name string) bool {
	if name == "" || len(name) > chanvar.MaxName {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
