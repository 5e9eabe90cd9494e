package api

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/amigate/amigate/internal/config"
	"github.com/amigate/amigate/internal/control"
)

// spec is the part of the served OpenAPI document the limits test reads.
type spec struct {
	Components struct {
		Schemas map[string]struct {
			Properties map[string]struct {
				Description string   `yaml:"description"`
				MaxLength   *int     `yaml:"maxLength"`
				Minimum     *float64 `yaml:"minimum"`
				Maximum     *float64 `yaml:"maximum"`
			} `yaml:"properties"`
		} `yaml:"schemas"`
	} `yaml:"components"`
	Paths map[string]map[string]struct {
		Parameters []struct {
			Name   string `yaml:"name"`
			In     string `yaml:"in"`
			Schema struct {
				MaxLength *int `yaml:"maxLength"`
			} `yaml:"schema"`
		} `yaml:"parameters"`
	} `yaml:"paths"`
}

// TestSpecLimits: the bounds the spec states are the ones call control
// enforces (package control holds them); a change on either side alone
// fails here.
func TestSpecLimits(t *testing.T) {
	var s spec
	if err := yaml.Unmarshal(Spec, &s); err != nil {
		t.Fatal(err)
	}
	num := func(p *float64) string {
		if p == nil {
			return "absent"
		}
		return strconv.FormatFloat(*p, 'f', -1, 64)
	}
	length := func(p *int) string {
		if p == nil {
			return "absent"
		}
		return strconv.Itoa(*p)
	}
	secs := func(d time.Duration) string { return strconv.Itoa(int(d / time.Second)) }
	call := s.Components.Schemas["CreateCallRequest"].Properties
	pause := s.Components.Schemas["PauseMemberRequest"].Properties
	var key *int
	for _, p := range s.Paths["/v1/calls"]["post"].Parameters {
		if p.In == "header" && p.Name == "Idempotency-Key" {
			key = p.Schema.MaxLength
		}
	}
	tests := []struct{ what, spec, code string }{
		{"caller_id maxLength", length(call["caller_id"].MaxLength), strconv.Itoa(control.MaxCallerID)},
		{"timeout_seconds minimum", num(call["timeout_seconds"].Minimum), secs(control.MinTimeout)},
		// The schema states the default bound (AMIGATE_DIAL_MAX_TIMEOUT),
		// which configuration and call control must agree on.
		{"timeout_seconds maximum", num(call["timeout_seconds"].Maximum), secs(control.DefaultConfig().MaxTimeout)},
		{"timeout_seconds maximum (configuration's default)", num(call["timeout_seconds"].Maximum), secs(config.Defaults().Dial.MaxTimeout)},
		{"Idempotency-Key maxLength", length(key), strconv.Itoa(control.MaxIdempotencyKey)},
		{"interface maxLength", length(pause["interface"].MaxLength), strconv.Itoa(control.MaxQueueName)},
		{"reason maxLength", length(pause["reason"].MaxLength), strconv.Itoa(control.MaxQueueName)},
	}
	for _, tt := range tests {
		if tt.spec != tt.code {
			t.Errorf("%s: the spec says %s, the service enforces %s", tt.what, tt.spec, tt.code)
		}
	}
	// Bounds that the schema does not express on these types are stated
	// in the descriptions.
	for _, d := range []struct{ field, want string }{
		{"variables", "at most " + strconv.Itoa(control.MaxVariables) + " of them"},
		{"variables", "at most " + strconv.Itoa(control.MaxVariableValue) + " characters"},
		{"metadata", "at most " + strconv.Itoa(control.MaxMetadata) + " bytes"},
		{"timeout_seconds", "at least " + secs(control.MinTimeout)},
		{"timeout_seconds", secs(control.DefaultConfig().MaxTimeout) + " by default"},
		{"timeout_seconds", "raise it to at most " + secs(control.TimeoutLimit)},
		{"timeout_seconds", "AMIGATE_DIAL_TIMEOUT (" + secs(control.DefaultConfig().DefaultTimeout) + " by default)"},
	} {
		if desc := strings.Join(strings.Fields(call[d.field].Description), " "); !strings.Contains(desc, d.want) {
			t.Errorf("%s: description %q does not say %q", d.field, desc, d.want)
		}
	}
}
