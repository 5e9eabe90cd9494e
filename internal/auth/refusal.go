package auth

import (
	"errors"

	"github.com/golang-jwt/jwt/v5"
)

// Expired reports whether Verify refused a token only because its exp has
// passed: the client should get a new token, not fix this one.
func Expired(err error) bool { return errors.Is(err, jwt.ErrTokenExpired) }

// Refusal says why Verify refused a token, in words for the token's holder
// (RFC 6750's error_description): which check failed, never key material.
func Refusal(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "the token has expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "the token is not valid yet (nbf or iat in the future)"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "the token lacks a required claim (exp, or iss/aud where configured)"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "the token's issuer (iss) is not the configured one"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "the token's audience (aud) is not the configured one"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return "the token's signature or algorithm is not accepted"
	case errors.Is(err, errEmptyExt):
		return "the token's ext claim is empty (a token tied to no extension leaves it out)"
	case errors.Is(err, errClaimType):
		return "a claim of the token has the wrong type (exp, nbf and iat are numbers of seconds; scope a string or a list; ext a string)"
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "the token is not a well-formed JWT"
	case errors.Is(err, jwt.ErrTokenInvalidClaims):
		return "the token's claims are malformed"
	}
	return "the token is invalid"
}
