package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// cors lets the browser front-ends at origins call /v1 and read the spec
// from another origin (AMIGATE_CORS_ORIGINS); nil when there are none:
// browsers then keep to the same origin. Credentials are never allowed:
// tokens travel in the Authorization header, which a page sends itself,
// never in cookies a browser would attach for another site.
func cors(origins []string) echo.MiddlewareFunc {
	if len(origins) == 0 {
		return nil
	}
	return middleware.CORSWithConfig(middleware.CORSConfig{
		Skipper: func(c echo.Context) bool {
			p := c.Request().URL.Path
			return !strings.HasPrefix(p, "/v1/") && p != "/openapi.yaml" && p != "/openapi.json"
		},
		AllowOrigins: origins,
		AllowMethods: []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPatch, http.MethodDelete},
		AllowHeaders: []string{echo.HeaderAuthorization, echo.HeaderContentType, "Idempotency-Key", "Last-Event-ID"},
		// What a client reads of a response: where a call is, the next
		// page, when to retry, the request's id, why a token was refused.
		ExposeHeaders:    []string{echo.HeaderLocation, "Link", echo.HeaderRetryAfter, echo.HeaderXRequestID, echo.HeaderWWWAuthenticate},
		AllowCredentials: false,
		MaxAge:           600,
	})
}
