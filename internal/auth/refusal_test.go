package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestRefusal: each way a token fails verification is named apart, so a
// client can tell an expired token from a forged one.
func TestRefusal(t *testing.T) {
	v, err := NewVerifier(Config{Secret: testSecret, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, token, want string
		expired           bool
	}{
		{"expired", sign(t, jwt.SigningMethodHS256, testSecret, valid(jwt.MapClaims{"exp": testNow.Add(-time.Hour).Unix(), "iat": testNow.Add(-2 * time.Hour).Unix()})), "expired", true},
		{"not yet", sign(t, jwt.SigningMethodHS256, testSecret, valid(jwt.MapClaims{"nbf": testNow.Add(time.Hour).Unix()})), "not valid yet", false},
		{"wrong key", sign(t, jwt.SigningMethodHS256, []byte(strings.Repeat("x", 32)), valid(nil)), "signature", false},
		{"garbage", "not.a.jwt", "well-formed", false},
		{"no exp", sign(t, jwt.SigningMethodHS256, testSecret, valid(jwt.MapClaims{"exp": nil})), "required claim", false},
		{"exp a string", sign(t, jwt.SigningMethodHS256, testSecret, valid(jwt.MapClaims{"exp": "9999999999"})), "numbers of seconds", false},
		{"ext empty", sign(t, jwt.SigningMethodHS256, testSecret, valid(jwt.MapClaims{"ext": ""})), "ext claim is empty", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Verify(tt.token)
			if err == nil {
				t.Fatal("got no error")
			}
			if got := Refusal(err); !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want it to say %q", got, tt.want)
			}
			if got := Expired(err); got != tt.expired {
				t.Errorf("Expired: got %v, want %v", got, tt.expired)
			}
		})
	}
}
