package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// tokenClaims is the JSON form of a token's claims.
type tokenClaims struct {
	jwt.RegisteredClaims
	Scope scopeClaim `json:"scope,omitempty"`
	Ext   extClaim   `json:"ext,omitempty"`
}

var errClaimType = errors.New("auth: claim has the wrong type")

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
// or, from careless issuers, a JSON number. It is written as a string.
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
