package handlers

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// bind decodes the JSON body into v, refusing unknown fields and trailing
// data, then validates it. Decoding problems are 400 (or 422 for a value of
// the wrong JSON type, which names the field); validation problems are 422.
func (s *server) bind(c echo.Context, v any) error {
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return errStatus(http.StatusBadRequest, "unexpected data after the JSON object")
	}
	return validate.Struct(v)
}

// decodeError turns an encoding/json error into the client's error. The
// body limit's *http.MaxBytesError passes through for the 413.
func decodeError(err error) error {
	var (
		mbe *http.MaxBytesError
		se  *json.SyntaxError
		te  *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.Is(err, io.EOF):
		return errStatus(http.StatusBadRequest, "the request body is empty; a JSON object is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errStatus(http.StatusBadRequest, "the JSON body ends too early")
	case errors.As(err, &se):
		return errStatus(http.StatusBadRequest, "malformed JSON at byte "+strconv.FormatInt(se.Offset, 10))
	case errors.As(err, &te):
		if te.Field == "" {
			return errStatus(http.StatusBadRequest, "the request body must be a JSON object")
		}
		return &httpError{status: http.StatusUnprocessableEntity, detail: "the request has invalid fields",
			fields: []ProblemField{{Field: te.Field, Message: "must be " + jsonKind(te.Type)}}}
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return &httpError{status: http.StatusBadRequest, detail: "unknown field " + strconv.Quote(name),
			fields: []ProblemField{{Field: name, Message: "unknown field"}}}
	}
	return &httpError{status: http.StatusBadRequest, detail: "cannot read the request body", err: err}
}

// jsonKind names the JSON type that a Go type decodes from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "of another type"
}

// limitBody refuses bodies over Options.BodyLimit: at once when the client
// declares the length, while reading otherwise (bind maps the read error).
func (s *server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		limit := s.o.BodyLimit
		if p := c.Path(); r.Method == http.MethodPost && (p == "/v1/campaigns" || p == "/v1/campaigns/:id/contacts") {
			limit = s.o.CampaignBodyLimit
		}
		if r.ContentLength > limit {
			return &http.MaxBytesError{Limit: limit}
		}
		if r.Body != nil && r.Body != http.NoBody {
			// The underlying writer lets net/http close the connection
			// after an over-long body instead of draining it.
			r.Body = http.MaxBytesReader(c.Response().Writer, r.Body, limit)
		}
		return next(c)
	}
}

// mimeMergePatch is the media type of a JSON merge patch (RFC 7396), which
// PATCH takes besides application/json.
const mimeMergePatch = "application/merge-patch+json"

// requireJSON answers 415 to a request that carries a body in anything but
// JSON. Bodiless POSTs (hangup, retry) need no content type.
func (s *server) requireJSON(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.ContentLength == 0 || r.Method == http.MethodGet || r.Method == http.MethodHead {
			return next(c)
		}
		mt, _, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
		if err != nil || mt != echo.MIMEApplicationJSON && !(r.Method == http.MethodPatch && mt == mimeMergePatch) {
			return errStatus(http.StatusUnsupportedMediaType, "the request body must be application/json")
		}
		return next(c)
	}
}
