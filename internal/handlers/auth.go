package handlers

import (
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/auth"
)

const claimsKey = "amigate.claims"

// authenticate requires a valid bearer token on every /v1 route and keeps
// its claims for the handlers. Why a token failed is logged, not told: the
// client learns only that it must present a valid one (RFC 6750).
func (s *server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		// Answers to a bearer are that bearer's: no cache keeps them (a
		// new webhook's secret is in one).
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		token, ok := bearer(c.Request().Header.Get(echo.HeaderAuthorization))
		if !ok {
			return unauthorized(kindTokenMissing, `Bearer realm="amigate"`,
				"a bearer token is required: Authorization: Bearer <token>")
		}
		claims, err := s.d.Verifier.Verify(token)
		if err != nil || claims == nil {
			s.log.LogAttrs(c.Request().Context(), slog.LevelInfo, "token refused",
				slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
				slog.Any("error", err))
			why, kind := auth.Refusal(err), kindTokenInvalid
			if auth.Expired(err) {
				kind = kindTokenExpired
			}
			return unauthorized(kind, `Bearer realm="amigate", error="invalid_token", error_description="`+why+`"`, why)
		}
		c.Set(claimsKey, claims)
		return next(c)
	}
}

// bearer extracts the token of an "Authorization: Bearer <token>" header;
// the scheme is case-insensitive.
func bearer(h string) (string, bool) {
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

func unauthorized(kind, challenge, detail string) error {
	return &httpError{status: http.StatusUnauthorized, kind: kind, detail: detail,
		header: http.Header{echo.HeaderWWWAuthenticate: {challenge}}}
}

// requireScope answers 403 to a token without any of scopes. Webhook
// administration is refused to a token tied to an extension whatever its
// scopes: a subscription receives every call's events, which would undo
// the ext claim's restriction to the agent's own calls.
func requireScope(scopes ...string) echo.MiddlewareFunc {
	want := strings.Join(scopes, " or ")
	challenge := `Bearer realm="amigate", error="insufficient_scope", scope="` + strings.Join(scopes, " ") + `"`
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			cl := claimsOf(c)
			if !slices.ContainsFunc(scopes, cl.HasScope) {
				return &httpError{status: http.StatusForbidden, kind: kindScope, detail: "the token lacks the scope " + want,
					header: http.Header{echo.HeaderWWWAuthenticate: {challenge}}}
			}
			if slices.Contains(scopes, auth.ScopeWebhooksAdmin) && cl.Ext != "" {
				return &httpError{status: http.StatusForbidden, kind: kindExtension, detail: "the token of extension " + cl.Ext + " may not administer webhooks"}
			}
			return next(c)
		}
	}
}

// claimsOf returns the verified claims; authenticate guarantees them on
// /v1, and an empty set (no scopes) stands in elsewhere.
func claimsOf(c echo.Context) *auth.Claims {
	if cl, ok := c.Get(claimsKey).(*auth.Claims); ok {
		return cl
	}
	return &auth.Claims{}
}

// mayAccess enforces the ext claim: a token tied to an extension sees and
// acts on the calls that extension takes part in, and no others.
func mayAccess(cl *auth.Claims, call *amigate.Call) error {
	if cl.Ext == "" || call.HasExtension(cl.Ext) {
		return nil
	}
	return &httpError{status: http.StatusForbidden, kind: kindExtension, detail: "the token of extension " + cl.Ext + " may not access this call"}
}
