package amiclient

import (
	"errors"
	"fmt"
	"testing"
)

// Each sentinel answers by behaviour, also when wrapped, so that consumers
// need not import this package to tell them apart.
func TestErrorBehaviour(t *testing.T) {
	tests := []struct {
		err                          error
		unavailable, timeout, unsent bool
	}{
		{ErrDisconnected, true, false, false},
		{ErrClosed, true, false, true},
		{ErrNotReady, true, false, true},
		{ErrAuthFailed, false, false, false},
		{ErrTimeout, false, true, false},
		{ErrDuplicateID, false, false, true},
		{ErrBadChannel, false, false, true},
	}
	for _, tt := range tests {
		wrapped := fmt.Errorf("Hangup: %w", tt.err)
		var u interface{ Unavailable() bool }
		var to interface{ Timeout() bool }
		var us interface{ Unsent() bool }
		if !errors.As(wrapped, &u) || !errors.As(wrapped, &to) || !errors.As(wrapped, &us) {
			t.Fatalf("%v: does not answer by behaviour", tt.err)
		}
		if got := [3]bool{u.Unavailable(), to.Timeout(), us.Unsent()}; got != [3]bool{tt.unavailable, tt.timeout, tt.unsent} {
			t.Errorf("%v: unavailable, timeout, unsent = %v, want %v", tt.err, got, [3]bool{tt.unavailable, tt.timeout, tt.unsent})
		}
	}
	var r interface{ Refusal() string }
	if err := fmt.Errorf("x: %w", &ActionError{Action: "Hangup", Message: "No such channel"}); !errors.As(err, &r) || r.Refusal() != "No such channel" {
		t.Errorf("ActionError: refusal %v", r)
	}
}
