package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/amigate/amigate"
)

type fakeAgents struct {
	ListFn  func(ctx context.Context) ([]amigate.AgentPresence, error)
	GetFn   func(ctx context.Context, ext string) (amigate.AgentPresence, error)
	PauseFn func(ctx context.Context, ext string, paused bool, r amigate.PauseRequest) (amigate.AgentPresence, error)
}

var _ Agents = (*fakeAgents)(nil)

func (f *fakeAgents) List(ctx context.Context) ([]amigate.AgentPresence, error) {
	if f.ListFn == nil {
		return nil, errUnset
	}
	return f.ListFn(ctx)
}

func (f *fakeAgents) Get(ctx context.Context, ext string) (amigate.AgentPresence, error) {
	if f.GetFn == nil {
		return amigate.AgentPresence{}, errUnset
	}
	return f.GetFn(ctx, ext)
}

func (f *fakeAgents) Pause(ctx context.Context, ext string, paused bool, r amigate.PauseRequest) (amigate.AgentPresence, error) {
	if f.PauseFn == nil {
		return amigate.AgentPresence{}, errUnset
	}
	return f.PauseFn(ctx, ext, paused, r)
}

func agentsFixture(t *testing.T) (*fixture, *[]string) {
	f := newFixture(t, Options{})
	all := []amigate.AgentPresence{{Extension: "101", State: amigate.AgentAvailable}, {Extension: "102", State: amigate.AgentInCall}}
	f.agents.ListFn = func(context.Context) ([]amigate.AgentPresence, error) { return all, nil }
	f.agents.GetFn = func(_ context.Context, ext string) (amigate.AgentPresence, error) {
		for _, a := range all {
			if a.Extension == ext {
				return a, nil
			}
		}
		return amigate.AgentPresence{}, fmt.Errorf("agent %s: %w", ext, amigate.ErrNotFound)
	}
	var calls []string
	f.agents.PauseFn = func(_ context.Context, ext string, paused bool, r amigate.PauseRequest) (amigate.AgentPresence, error) {
		calls = append(calls, fmt.Sprintf("%s %v %q %q", ext, paused, r.Queue, r.Reason))
		return all[0], nil
	}
	return f, &calls
}

func TestAgentsAPI(t *testing.T) {
	tests := []struct {
		name, method, path, body string
		scope, ext               string
		want                     int
		wantExts                 int    // agents listed, for a list
		wantPause                string // what Pause got
	}{
		{"list", "GET", "/v1/agents", "", "agents:read", "", 200, 2, ""},
		{"list with queues:read", "GET", "/v1/agents", "", "queues:read", "", 200, 2, ""},
		{"list, ext token: itself only", "GET", "/v1/agents", "", "agents:read", "102", 200, 1, ""},
		{"list without scope", "GET", "/v1/agents", "", "calls:read", "", 403, 0, ""},
		{"get", "GET", "/v1/agents/101", "", "agents:read", "", 200, 0, ""},
		{"get unknown", "GET", "/v1/agents/999", "", "agents:read", "", 404, 0, ""},
		{"get other, ext token", "GET", "/v1/agents/101", "", "agents:read", "102", 403, 0, ""},
		{"pause all queues, no body", "POST", "/v1/agents/101/pause", "", "agents:write", "", 202, 0, `101 true "" ""`},
		{"pause one queue", "POST", "/v1/agents/101/pause", `{"queue":"support","reason":"lunch"}`, "queues:write", "", 202, 0, `101 true "support" "lunch"`},
		{"unpause", "POST", "/v1/agents/101/unpause", `{}`, "agents:write", "101", 202, 0, `101 false "" ""`},
		{"pause other, ext token", "POST", "/v1/agents/101/pause", "", "agents:write", "102", 403, 0, ""},
		{"pause with read scope", "POST", "/v1/agents/101/pause", "", "agents:read", "", 403, 0, ""},
		{"pause, unknown field", "POST", "/v1/agents/101/pause", `{"interface":"PJSIP/101"}`, "agents:write", "", 400, 0, ""},
		{"pause, queue with a space", "POST", "/v1/agents/101/pause", `{"queue":"a b"}`, "agents:write", "", 422, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, paused := agentsFixture(t)
			rec := f.do(t, request{Method: tt.method, Path: tt.path, Body: tt.body, Token: token(t, tt.scope, tt.ext)})
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.want, rec.Body)
			}
			if tt.wantExts > 0 {
				var got []amigate.AgentPresence
				if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || len(got) != tt.wantExts {
					t.Errorf("listed %s, want %d agents", rec.Body, tt.wantExts)
				}
				if tt.ext != "" && len(got) == 1 && got[0].Extension != tt.ext {
					t.Errorf("ext token saw %s", got[0].Extension)
				}
			}
			var got string
			if len(*paused) > 0 {
				got = (*paused)[0]
			}
			if got != tt.wantPause {
				t.Errorf("pause got %q, want %q", got, tt.wantPause)
			}
			if rec.Code >= 400 {
				problemOf(t, rec)
			}
			if rec.Code == http.StatusForbidden && rec.Body.Len() == 0 {
				t.Error("403 without a problem body")
			}
		})
	}
}
