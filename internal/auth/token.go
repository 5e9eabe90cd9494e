package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// tokenClaims is the JSON form of a token's claims. The time claims shadow
// the registered ones so that they are read strictly (dateClaim), and the
// methods below hand them to the library's validation.
type tokenClaims struct {
	jwt.RegisteredClaims
	ExpiresAt *dateClaim `json:"exp,omitempty"`
	NotBefore *dateClaim `json:"nbf,omitempty"`
	IssuedAt  *dateClaim `json:"iat,omitempty"`
	Scope     scopeClaim `json:"scope,omitempty"`
	Ext       extClaim   `json:"ext,omitempty"`
}

func (c tokenClaims) GetExpirationTime() (*jwt.NumericDate, error) { return c.ExpiresAt.date(), nil }
func (c tokenClaims) GetNotBefore() (*jwt.NumericDate, error)      { return c.NotBefore.date(), nil }
func (c tokenClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return c.IssuedAt.date(), nil }

var (
	errClaimType = errors.New("auth: claim has the wrong type")
	errEmptyExt  = errors.New("auth: the ext claim is empty: a token tied to no extension leaves it out")
)

// dateClaim is a time claim (exp, nbf, iat): a JSON number of seconds, as
// RFC 7519 §2 defines NumericDate. The library also reads a string holding
// a number ("exp": "1893456000"); an issuer writing one has a bug that
// should not pass unnoticed, so it is refused.
type dateClaim struct{ jwt.NumericDate }

func newDateClaim(t time.Time) *dateClaim { return &dateClaim{*jwt.NewNumericDate(t)} }

func (d *dateClaim) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) {
		return errClaimType
	}
	return d.NumericDate.UnmarshalJSON(b)
}

// date is the claim for the library's validation; nil when absent.
func (d *dateClaim) date() *jwt.NumericDate {
	if d == nil {
		return nil
	}
	return &d.NumericDate
}

// scopeClaim is the scope claim: a space-separated string (RFC 8693 §4.2),
// or a JSON array of strings as some issuers write it. It is written as a
// string.
type scopeClaim []string

func (s *scopeClaim) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*s = nil
		return nil
	case len(b) > 0 && b[0] == '"':
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		*s = strings.Fields(str)
		return nil
	case len(b) > 0 && b[0] == '[':
		var list []string
		if err := json.Unmarshal(b, &list); err != nil {
			return errClaimType
		}
		out := make([]string, 0, len(list))
		for _, v := range list {
			out = append(out, strings.Fields(v)...)
		}
		*s = out
		return nil
	}
	return errClaimType
}

func (s scopeClaim) MarshalJSON() ([]byte, error) {
	return json.Marshal(strings.Join(s, " "))
}

// extClaim is the ext claim: the extension a token is tied to, as a string
// or, from careless issuers, a JSON number. It is written as a string. An
// empty string is refused rather than read as "no extension": a token meant
// for one agent must never act for every one.
type extClaim string

func (e *extClaim) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*e = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		if strings.TrimSpace(str) == "" {
			return errEmptyExt
		}
		*e = extClaim(str)
		return nil
	}
	n, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return errClaimType
	}
	*e = extClaim(strconv.FormatUint(n, 10))
	return nil
}
