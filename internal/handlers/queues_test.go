package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/amigate/amigate"
)

// TestQueuesOfAnExtension: a token tied to an extension reads only the
// queues that extension's agent is a member of, as the agents' presence
// says; a token without one reads them all.
func TestQueuesOfAnExtension(t *testing.T) {
	agents := map[string]amigate.AgentPresence{
		"101": {Extension: "101", Queues: []amigate.AgentQueue{{Queue: "support", Interface: "PJSIP/101"}, {Queue: "sales", Interface: "PJSIP/101"}}},
		"103": {Extension: "103", Queues: []amigate.AgentQueue{{Queue: "sales", Interface: "PJSIP/103"}}},
		"104": {Extension: "104"}, // in no queue
	}
	tests := []struct {
		name, path, ext string
		want            int
		wantQueues      string // listed, comma-separated
	}{
		{"every queue without ext", "/v1/queues", "", 200, "support,sales,nobody"},
		{"member of two", "/v1/queues", "101", 200, "support,sales"},
		{"member of one", "/v1/queues", "103", 200, "sales"},
		{"member of none", "/v1/queues", "104", 200, ""},
		{"agent unknown to presence", "/v1/queues", "555", 200, ""},
		{"presence failing", "/v1/queues", "500", 500, ""},
		{"a member's queue", "/v1/queues/sales", "103", 200, ""},
		{"another queue", "/v1/queues/support", "103", 403, ""},
		{"any queue without ext", "/v1/queues/nobody", "", 200, ""},
		{"no queue for an unknown agent", "/v1/queues/support", "555", 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			f.agents.GetFn = func(_ context.Context, ext string) (amigate.AgentPresence, error) {
				if ext == "500" {
					return amigate.AgentPresence{}, errors.New("presence broken")
				}
				a, ok := agents[ext]
				if !ok {
					return a, fmt.Errorf("agent %s: %w", ext, amigate.ErrNotFound)
				}
				return a, nil
			}
			f.queues.QueuesFn = func(context.Context) ([]amigate.QueueSummary, error) {
				return []amigate.QueueSummary{{Name: "support"}, {Name: "sales"}, {Name: "nobody"}}, nil
			}
			var asked []string
			f.queues.QueueFn = func(_ context.Context, name string) (amigate.QueueStatus, error) {
				asked = append(asked, name)
				return amigate.QueueStatus{Name: name}, nil
			}
			rec := f.do(t, request{Method: "GET", Path: tt.path, Token: token(t, "queues:read", tt.ext)})
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.want, rec.Body)
			}
			if rec.Code >= 400 {
				if p := problemOf(t, rec); rec.Code == 403 && !strings.HasSuffix(p.Type, kindExtension) {
					t.Errorf("403 of type %s, want %s", p.Type, kindExtension)
				}
				if len(asked) > 0 {
					t.Errorf("Asterisk asked for queue %v despite the refusal", asked)
				}
				return
			}
			if tt.path != "/v1/queues" {
				return
			}
			var got []amigate.QueueSummary
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			names := []string{}
			for _, q := range got {
				names = append(names, q.Name)
			}
			if strings.Join(names, ",") != tt.wantQueues {
				t.Errorf("listed %v, want %s", names, tt.wantQueues)
			}
			if slices.Contains(names, "") || rec.Body.String() == "null" {
				t.Errorf("body %s", rec.Body)
			}
		})
	}
}
