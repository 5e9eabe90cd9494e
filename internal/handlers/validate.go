package handlers

import (
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/go-playground/validator/v10"

	"github.com/amigate/amigate"

	"github.com/amigate/amigate/internal/agent"
	"github.com/amigate/amigate/internal/chanvar"
)

// validate checks the request models. One instance serves the process: it
// caches each struct's rules and is safe for concurrent use.
var validate = newValidator()

// ruleMessages say what a rule wants, in the problem's field errors. The
// custom rules (ext, phone, varname, safetext, id) hold what may
// reach the AMI socket to a character set without CR, LF or NUL, long
// before the AMI encoder would refuse it.
var ruleMessages = map[string]string{
	"required":   "is required",
	"ext":        "must be an extension: letters, digits and _ * # + -",
	"phone":      "must be a phone number: 2 to 20 digits, an optional leading +, spaces, dashes, dots and parentheses",
	"ext|phone":  "must be an extension or a phone number",
	"varname":    "must be a variable name: " + chanvar.Form,
	"safetext":   "must be UTF-8 text without control characters",
	"id":         "must be 1 to 200 characters among letters, digits and . _ : @ + = -",
	"http_url":   "must be an http or https URL",
	"unique":     "must not repeat values",
	"printascii": "must be printable ASCII",
	"excludes":   "must not contain spaces",
	"datetime":   "must be an RFC 3339 time, e.g. 2026-11-30T00:00:00Z",
	"number":     "must be a whole number",
}

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		if name == "" {
			return f.Name
		}
		return name
	})
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	must(v.RegisterValidation("ext", func(fl validator.FieldLevel) bool { return agent.WellFormed(fl.Field().String()) }))
	must(v.RegisterValidation("phone", func(fl validator.FieldLevel) bool { return isPhone(fl.Field().String()) }))
	must(v.RegisterValidation("varname", func(fl validator.FieldLevel) bool { return chanvar.WellFormed(fl.Field().String()) }))
	must(v.RegisterValidation("safetext", func(fl validator.FieldLevel) bool { return amigate.PlainText(fl.Field().String()) }))
	must(v.RegisterValidation("id", func(fl validator.FieldLevel) bool { return isID(fl.Field().String()) }))
	return v
}

// isPhone accepts a number as people type it; the call control service
// strips the punctuation and applies the dial rules.
func isPhone(s string) bool {
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '+' && i == strings.IndexFunc(s, func(r rune) bool { return r != ' ' }):
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
		default:
			return false
		}
	}
	return digits >= 2 && digits <= 20
}

// isID checks the opaque ids and names that come in paths and headers.
func isID(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && !strings.ContainsRune("._:@+=-", rune(c)) {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// validationFields turns validator errors into problem fields named by
// their JSON path ("variables[X]", "events[0]").
func validationFields(ve validator.ValidationErrors) []ProblemField {
	out := make([]ProblemField, 0, len(ve))
	for _, fe := range ve {
		field := fe.Namespace()
		if _, rest, ok := strings.Cut(field, "."); ok {
			field = rest
		}
		out = append(out, ProblemField{Field: field, Message: ruleMessage(fe)})
	}
	return out
}

func ruleMessage(fe validator.FieldError) string {
	if m, ok := ruleMessages[fe.Tag()]; ok {
		return m
	}
	switch fe.Tag() {
	case "max", "lte":
		return bound("at most", fe)
	case "min", "gte":
		return bound("at least", fe)
	case "oneof":
		return "must be one of: " + strings.Join(strings.Fields(fe.Param()), ", ")
	case "startswith":
		return "must start with " + fe.Param()
	}
	return "is invalid (" + fe.Tag() + ")"
}

// bound words a size or value limit for the field's kind.
func bound(rel string, fe validator.FieldError) string {
	switch fe.Kind() {
	case reflect.String:
		return "must be " + rel + " " + fe.Param() + " characters"
	case reflect.Slice, reflect.Array, reflect.Map:
		if fe.Type().Elem().Kind() == reflect.Uint8 { // []byte, json.RawMessage
			return "must be " + rel + " " + fe.Param() + " bytes"
		}
		return "must have " + rel + " " + fe.Param() + " entries"
	}
	return "must be " + rel + " " + fe.Param()
}

// checkID validates one path parameter; an id that cannot exist is simply
// not found, so nothing unvetted reaches a service.
func checkID(what, id string) error {
	if !isID(id) {
		return errStatus(http.StatusNotFound, "no "+what+" "+quoteShort(id))
	}
	return nil
}

// quoteShort quotes a client value for a detail, cut to a readable length.
func quoteShort(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return strconv.Quote(s)
}
