package handlers

import (
	"errors"
	"net/http"

	"github.com/amigate/amigate"
)

// ProblemTypeBase prefixes every problem type: the kinds are documented
// one heading each in docs/problems.md, so the URI also reads as a link.
const ProblemTypeBase = "https://github.com/amigate/amigate/blob/main/docs/problems.md#"

// Problem kinds: the stable last segment of a problem's type URI. Clients
// branch on the type; the status alone lumps several kinds together.
const (
	kindMalformed       = "malformed-request"       // 400
	kindTokenMissing    = "token-missing"           // 401
	kindTokenInvalid    = "token-invalid"           // 401
	kindTokenExpired    = "token-expired"           // 401
	kindForbidden       = "forbidden"               // 403
	kindScope           = "insufficient-scope"      // 403
	kindExtension       = "extension-forbidden"     // 403
	kindNotFound        = "not-found"               // 404
	kindMethod          = "method-not-allowed"      // 405
	kindConflict        = "conflict"                // 409
	kindNotAnswered     = "not-answered"            // 409
	kindCallEnded       = "call-ended"              // 409
	kindKeyReused       = "idempotency-key-reused"  // 409
	kindConfigured      = "configured-subscription" // 409
	kindTooLarge        = "body-too-large"          // 413
	kindHeadersTooLarge = "headers-too-large"       // 431
	kindMediaType       = "unsupported-media-type"  // 415
	kindInvalid         = "invalid-request"         // 422
	kindDialDenied      = "dial-denied"             // 422
	kindTooManyStreams  = "too-many-streams"        // 429, 503
	kindClientClosed    = "client-closed"           // 499
	kindInternal        = "internal-error"          // 500
	kindAsteriskRefused = "asterisk-refused"        // 502
	kindAsteriskDown    = "asterisk-unavailable"    // 503
	kindNoDialer        = "campaigns-unavailable"   // 503
	kindNotReady        = "not-ready"               // 503 (/readyz)
	kindAsteriskTimeout = "asterisk-timeout"        // 504
	kindTimeout         = "timeout"                 // 504
	kindUnknown         = "http-error"              // any other status
)

// ProblemKinds lists every kind, for the documentation test.
var ProblemKinds = []string{kindMalformed, kindTokenMissing, kindTokenInvalid, kindTokenExpired,
	kindForbidden, kindScope, kindExtension, kindNotFound, kindMethod, kindConflict, kindNotAnswered,
	kindCallEnded, kindKeyReused, kindConfigured, kindTooLarge, kindHeadersTooLarge, kindMediaType, kindInvalid,
	kindDialDenied, kindTooManyStreams, kindClientClosed, kindInternal, kindAsteriskRefused,
	kindAsteriskDown, kindNoDialer, kindNotReady, kindAsteriskTimeout, kindTimeout, kindUnknown}

// domainKinds are the specific domain errors with a kind of their own,
// checked before the status sentinels they wrap.
var domainKinds = []struct {
	err  error
	kind string
}{
	{amigate.ErrNotAnswered, kindNotAnswered},
	{amigate.ErrCallEnded, kindCallEnded},
	{amigate.ErrKeyReused, kindKeyReused},
	{amigate.ErrConfigured, kindConfigured},
	{amigate.ErrNoDialer, kindNoDialer},
}

// kindOf names the kind of a problem that err caused with this status,
// where the place that raised it did not.
func kindOf(err error, p Problem) string {
	for _, d := range domainKinds {
		if errors.Is(err, d.err) {
			return d.kind
		}
	}
	for _, f := range p.Errors {
		if f.Rule != "" {
			return kindDialDenied
		}
	}
	switch p.Status {
	case http.StatusBadRequest:
		return kindMalformed
	case http.StatusUnauthorized:
		return kindTokenInvalid
	case http.StatusForbidden:
		return kindForbidden
	case http.StatusNotFound:
		return kindNotFound
	case http.StatusMethodNotAllowed:
		return kindMethod
	case http.StatusConflict:
		return kindConflict
	case http.StatusRequestEntityTooLarge:
		return kindTooLarge
	case http.StatusUnsupportedMediaType:
		return kindMediaType
	case http.StatusUnprocessableEntity:
		return kindInvalid
	case statusClientClosed:
		return kindClientClosed
	case http.StatusInternalServerError:
		return kindInternal
	case http.StatusBadGateway:
		return kindAsteriskRefused
	case http.StatusServiceUnavailable:
		return kindAsteriskDown
	case http.StatusGatewayTimeout:
		if errors.Is(err, amigate.ErrTimeout) {
			return kindAsteriskTimeout
		}
		return kindTimeout
	}
	return kindUnknown
}
