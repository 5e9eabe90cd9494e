package handlers

import (
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/labstack/echo/v4"
)

// requestID gives every request an id, echoed in X-Request-ID, in the
// access log and in problem responses. A well-formed incoming id (from a
// proxy or the CRM) is kept so that logs line up across systems.
func (s *server) requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		if len(id) > 64 || !isID(id) {
			id = newRequestID()
		}
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		return next(c)
	}
}

// newRequestID returns 32 random hex digits. The ids need to be unique,
// not secret, so the runtime's fast generator is enough.
func newRequestID() string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		u := rand.Uint64()
		for j := range 8 {
			b[i+j] = byte(u >> (8 * j))
		}
	}
	return hex.EncodeToString(b[:])
}

// observe writes the access log line and the HTTP metrics of every
// request. It renders a handler's error itself (once: the error handler
// skips committed responses) so that the status it records is the one sent.
// The log has the path without the query and never a header: no token can
// end up in it.
func (s *server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		d := time.Since(start)
		req, res := c.Request(), c.Response()
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		if s.d.HTTPMetrics != nil {
			s.d.HTTPMetrics.ObserveHTTP(req.Method, route, res.Status, d)
		}
		ctx := req.Context()
		if !s.log.Enabled(ctx, slog.LevelInfo) {
			return nil
		}
		attrs := []slog.Attr{
			slog.String("request_id", res.Header().Get(echo.HeaderXRequestID)),
			slog.String("method", req.Method),
			slog.String("route", route),
			slog.String("path", req.URL.Path),
			slog.Int("status", res.Status),
			slog.Duration("duration", d),
			slog.Int64("bytes_out", res.Size),
			slog.String("remote_ip", c.RealIP()),
		}
		if sub := claimsOf(c).Subject; sub != "" {
			attrs = append(attrs, slog.String("subject", sub))
		}
		s.log.LogAttrs(ctx, slog.LevelInfo, "http request", attrs...)
		return nil
	}
}

// recover turns a handler's panic into a 500 and logs its stack. An
// http.ErrAbortHandler panic keeps its meaning (abort the response).
func (s *server) recover(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			r := recover()
			if r == nil {
				return
			}
			if r == http.ErrAbortHandler {
				panic(r)
			}
			s.log.LogAttrs(c.Request().Context(), slog.LevelError, "handler panic",
				slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
				slog.String("panic", fmt.Sprint(r)), slog.String("stack", string(debug.Stack())))
			err = &httpError{status: http.StatusInternalServerError, detail: "internal error",
				err: fmt.Errorf("panic: %v", r)}
		}()
		return next(c)
	}
}
