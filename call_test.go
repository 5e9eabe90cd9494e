package amigate

import (
	"errors"
	"fmt"
	"testing"
)

func TestHasExtension(t *testing.T) {
	c := Call{Agent: &Agent{Extension: "102"}, Extensions: []string{"101", "102"}}
	for _, tc := range []struct {
		ext  string
		want bool
	}{{"101", true}, {"102", true}, {"103", false}, {"", false}} {
		if got := c.HasExtension(tc.ext); got != tc.want {
			t.Errorf("HasExtension(%q): got %v, want %v", tc.ext, got, tc.want)
		}
	}
	if (&Call{}).HasExtension("101") {
		t.Error("a call without agents has no extension")
	}
}

func TestFieldErrorIsInvalid(t *testing.T) {
	err := fmt.Errorf("dial: %w", &FieldError{Field: "to", Message: "denied prefix"})
	if !errors.Is(err, ErrInvalid) {
		t.Fatal("a wrapped FieldError must match ErrInvalid")
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "to" {
		t.Fatalf("errors.As: got %+v", fe)
	}
	if got, want := fe.Error(), "to: denied prefix"; got != want {
		t.Errorf("Error(): got %q, want %q", got, want)
	}
}
