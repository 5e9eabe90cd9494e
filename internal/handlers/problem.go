package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/go-playground/validator/v10"
	"github.com/labstack/echo/v4"

	"github.com/amigate/amigate"
)

// Problem is an error response (RFC 9457, application/problem+json). Type
// names the kind of problem (one URI per kind, see docs/problems.md), so a
// program can branch on it; detail says this occurrence's specifics.
type Problem struct {
	// Type is the problem kind's URI: `ProblemTypeBase` + kind.
	Type      string         `json:"type" example:"https://github.com/amigate/amigate/blob/main/docs/problems.md#invalid-request"`
	Title     string         `json:"title" example:"Unprocessable Entity"`
	Status    int            `json:"status" example:"422"`
	Detail    string         `json:"detail,omitempty" example:"the request has invalid fields"`
	Errors    []ProblemField `json:"errors,omitempty"`
	RequestID string         `json:"request_id,omitempty" example:"3f2a9c0e5b7d41e8a6c4b2d0e9f8a7b6"`
} //	@name	Problem

// ProblemField names one invalid field of a request by its JSON name.
type ProblemField struct {
	Field   string `json:"field" example:"to"`
	Message string `json:"message" example:"is required"`
	// Rule names the dial rule that refused a number: format, number,
	// type, country, prefix, pattern or length.
	Rule string `json:"rule,omitempty" example:"type" enums:"format,number,type,country,prefix,pattern,length"`
} //	@name	ProblemField

// httpError is an error the handlers raise themselves, with its status and
// the text the client may see.
type httpError struct {
	status int
	kind   string // the problem kind; empty: by status and cause
	detail string
	fields []ProblemField
	header http.Header               // extra response headers (WWW-Authenticate)
	checks map[string]ReadinessCheck // /readyz's parts, shown in a NotReadyProblem
	err    error                     // the cause, logged and never shown
}

func (e *httpError) Error() string {
	if e.err != nil {
		return fmt.Sprintf("%d %s: %v", e.status, e.detail, e.err)
	}
	return fmt.Sprintf("%d %s", e.status, e.detail)
}

func (e *httpError) Unwrap() error { return e.err }

func errStatus(status int, detail string) *httpError {
	return &httpError{status: status, detail: detail}
}

const mimeProblem = "application/problem+json"

// statusClientClosed is recorded when the client went away before the
// answer (nginx's 499): not a server error, so not logged as one.
const statusClientClosed = 499

// handleError is echo's HTTPErrorHandler: the one place where an error
// becomes a response. Domain errors map to statuses; whatever is not meant
// for the client is logged with the request id and replaced by a generic
// detail.
func (s *server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	p, hdr := s.problem(err)
	for k, vs := range hdr {
		for _, v := range vs {
			c.Response().Header().Add(k, v)
		}
	}
	if p.Type == "" {
		p.Type = kindOf(err, p)
	}
	p.Type = ProblemTypeBase + p.Type
	p.Title = http.StatusText(p.Status)
	if p.Status == statusClientClosed {
		p.Title = "Client Closed Request"
	}
	p.RequestID = c.Response().Header().Get(echo.HeaderXRequestID)
	// Readiness failures are logged by readyz when they change, not per probe.
	if p.Status >= 500 && p.Type != ProblemTypeBase+kindNotReady {
		s.log.LogAttrs(c.Request().Context(), slog.LevelError, "request failed",
			slog.String("request_id", p.RequestID), slog.String("route", c.Path()),
			slog.Int("status", p.Status), slog.String("error", err.Error()))
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(p.Status)
		return
	}
	var he *httpError
	if errors.As(err, &he) && he.checks != nil {
		writeJSON(c, p.Status, mimeProblem, NotReadyProblem{Problem: p, Checks: he.checks})
		return
	}
	writeJSON(c, p.Status, mimeProblem, p)
}

// problem maps err to its problem and extra headers.
func (s *server) problem(err error) (Problem, http.Header) {
	var (
		he  *httpError
		ee  *echo.HTTPError
		ve  validator.ValidationErrors
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &he):
		return Problem{Type: he.kind, Status: he.status, Detail: he.detail, Errors: he.fields}, he.header
	case errors.As(err, &mbe):
		return Problem{Status: http.StatusRequestEntityTooLarge,
			Detail: "request body larger than " + strconv.FormatInt(mbe.Limit, 10) + " bytes"}, nil
	case errors.As(err, &ve):
		return Problem{Status: http.StatusUnprocessableEntity, Detail: "the request has invalid fields",
			Errors: validationFields(ve)}, nil
	case errors.Is(err, amigate.ErrInvalid):
		p := Problem{Status: http.StatusUnprocessableEntity, Detail: detail(err), Errors: fieldErrors(err)}
		if len(p.Errors) > 0 {
			p.Detail = "the request has invalid fields"
		}
		return p, nil
	case errors.Is(err, amigate.ErrNotFound):
		return Problem{Status: http.StatusNotFound, Detail: detail(err)}, nil
	case errors.Is(err, amigate.ErrConflict):
		return Problem{Status: http.StatusConflict, Detail: detail(err)}, nil
	case errors.Is(err, amigate.ErrForbidden):
		return Problem{Status: http.StatusForbidden, Detail: detail(err)}, nil
	case errors.Is(err, amigate.ErrPBXRefused):
		return Problem{Status: http.StatusBadGateway, Detail: detail(err)}, nil
	case errors.Is(err, amigate.ErrUnavailable):
		h := http.Header{}
		h.Set("Retry-After", strconv.Itoa(int((s.o.RetryAfter+999e6)/1e9)))
		p := Problem{Status: http.StatusServiceUnavailable, Detail: "asterisk is not connected; retry later"}
		if errors.Is(err, amigate.ErrNoDialer) {
			p.Detail = detail(err)
		}
		return p, h
	case errors.Is(err, amigate.ErrTimeout):
		return Problem{Status: http.StatusGatewayTimeout, Detail: "asterisk did not answer in time"}, nil
	case errors.Is(err, context.DeadlineExceeded):
		return Problem{Status: http.StatusGatewayTimeout, Detail: "the request timed out"}, nil
	case errors.Is(err, context.Canceled):
		return Problem{Status: statusClientClosed, Detail: "the client closed the request"}, nil
	case errors.As(err, &ee):
		detail := http.StatusText(ee.Code)
		if m, ok := ee.Message.(string); ok && m != "" {
			detail = m
		}
		return Problem{Status: ee.Code, Detail: detail}, nil
	}
	return Problem{Status: http.StatusInternalServerError, Detail: "internal error"}, nil
}

// detail is the client's text of a domain error: an *amigate.Error's own
// detail, without the package prefixes and sentinel text of its chain.
func detail(err error) string {
	var de *amigate.Error
	if errors.As(err, &de) {
		return de.Detail
	}
	return err.Error()
}

// fieldErrors collects every *amigate.FieldError in err's tree, so that a
// service may return several at once with errors.Join.
func fieldErrors(err error) []ProblemField {
	var out []ProblemField
	var walk func(error)
	walk = func(err error) {
		switch x := err.(type) {
		case nil:
		case *amigate.FieldError:
			out = append(out, ProblemField{Field: x.Field, Message: x.Message, Rule: x.Rule})
		case interface{ Unwrap() []error }:
			for _, e := range x.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(x.Unwrap())
		}
	}
	walk(err)
	return out
}

// writeJSON encodes v as the response body with the given content type;
// JSON from the API is always UTF-8 and says so, as api.md promises.
func writeJSON(c echo.Context, status int, mime string, v any) {
	b, err := json.Marshal(v)
	if err != nil { // only domain types are encoded: a bug, not input
		b, status, mime = []byte(`{"type":"`+ProblemTypeBase+kindInternal+`","title":"Internal Server Error","status":500}`), 500, mimeProblem
	}
	b = append(b, '\n')
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, mime+"; charset=utf-8")
	h.Set(echo.HeaderContentLength, strconv.Itoa(len(b)))
	c.Response().WriteHeader(status)
	_, _ = c.Response().Write(b)
}
