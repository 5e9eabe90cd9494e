package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/labstack/echo/v4"
	echoSwagger "github.com/swaggo/echo-swagger"
	"go.yaml.in/yaml/v3"

	"github.com/amigate/amigate/api"
)

// healthz reports that the process serves HTTP.
//
//	@Summary	Liveness
//	@Tags		operations
//	@Produce	json
//	@Success	200	{object}	Status
//	@Header		all	{string}	X-Request-ID	"the request's id, as in the log and in problem bodies"
//	@Router		/healthz [get]
func (s *server) healthz(c echo.Context) error {
	writeJSON(c, http.StatusOK, echo.MIMEApplicationJSON, Status{Status: "ok"})
	return nil
}

// readyz reports whether the service can take traffic: logged in to AMI
// and able to store events.
//
//	@Summary		Readiness
//	@Description	200 while logged in to Asterisk, the calls resynced since, and the event store writable; otherwise 503 with the reason in `detail` and each part's state in `checks` (`ami`, `calls`, `event_store`): `checks.ami.reason` tells a refused login (`authentication failed`) from a PBX that is down (`connection refused`).
//	@Tags			operations
//	@Produce		json,application/problem+json
//	@Success		200	{object}	Status
//	@Failure		503	{object}	NotReadyProblem	"not ready, and why"
//	@Header			all	{string}	X-Request-ID	"the request's id, as in the log and in problem bodies"
//	@Router			/readyz [get]
func (s *server) readyz(c echo.Context) error {
	if s.d.Ready != nil {
		ctx, cancel := context.WithTimeout(c.Request().Context(), s.o.ReadyTimeout)
		defer cancel()
		err := s.d.Ready(ctx)
		s.logReadiness(c.Request().Context(), err)
		if err != nil {
			he := &httpError{status: http.StatusServiceUnavailable, kind: kindNotReady, detail: "not ready: " + err.Error(), err: err}
			var nr *NotReadyError
			if errors.As(err, &nr) {
				he.checks = nr.Checks
			}
			return he
		}
	}
	writeJSON(c, http.StatusOK, echo.MIMEApplicationJSON, Status{Status: "ready"})
	return nil
}

// readiness remembers the last readiness answer, so that a probe every few
// seconds logs only when the answer changes, not each time.
type readiness struct {
	mu   sync.Mutex
	last string // "" before the first probe, "ready", or the reason
}

// logReadiness logs a change of readiness: WARN with the reason when the
// service stops being ready, INFO when it is ready again.
func (s *server) logReadiness(ctx context.Context, err error) {
	now := "ready"
	if err != nil {
		now = err.Error()
	}
	s.ready.mu.Lock()
	prev := s.ready.last
	s.ready.last = now
	s.ready.mu.Unlock()
	switch {
	case now == prev, now == "ready" && prev == "":
	case err != nil:
		s.log.LogAttrs(ctx, slog.LevelWarn, "not ready", slog.String("reason", now))
	default:
		s.log.LogAttrs(ctx, slog.LevelInfo, "ready")
	}
}

// openAPI serves the generated spec.
//
//	@Summary	The OpenAPI 3.1 spec of this API
//	@Tags		operations
//	@Produce	application/yaml
//	@Success	200	{string}	string			"api/openapi.yaml"
//	@Header		all	{string}	X-Request-ID	"the request's id, as in the log and in problem bodies"
//	@Router		/openapi.yaml [get]
func (s *server) openAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml; charset=utf-8", api.Spec)
}

// openAPIJSON serves the same spec as JSON, for tools that read no YAML.
//
//	@Summary	The OpenAPI 3.1 spec of this API, as JSON
//	@Tags		operations
//	@Produce	json
//	@Success	200	{object}	map[string]any	"api/openapi.yaml as JSON"
//	@Header		all	{string}	X-Request-ID	"the request's id, as in the log and in problem bodies"
//	@Router		/openapi.json [get]
func (s *server) openAPIJSON(c echo.Context) error {
	b, err := specJSON()
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "application/json; charset=utf-8", b)
}

// specJSON converts the embedded spec once.
var specJSON = sync.OnceValues(func() ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(api.Spec, &doc); err != nil {
		return nil, fmt.Errorf("handlers: the embedded spec: %w", err)
	}
	return json.Marshal(doc)
})

func (s *server) swaggerRedirect(c echo.Context) error {
	return c.Redirect(http.StatusMovedPermanently, "/swagger/index.html")
}

func (s *server) specRedirect(c echo.Context) error {
	return c.Redirect(http.StatusMovedPermanently, "/openapi.yaml")
}

// swaggerUI serves Swagger UI on /openapi.yaml. The spec's bearer scheme
// makes the UI's Authorize button take the bare token, which it keeps
// across reloads.
func swaggerUI() echo.HandlerFunc {
	return echoSwagger.EchoWrapHandler(
		func(cfg *echoSwagger.Config) { cfg.URLs = []string{"/openapi.yaml"} },
		echoSwagger.PersistAuthorization(true),
	)
}
