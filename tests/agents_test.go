package tests

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/amigate/amigate/internal/amiclient"
	"github.com/amigate/amigate/internal/pbxsim"
)

// presence is an agent as GET /v1/agents/{ext} shows it.
type presence struct {
	Extension string   `json:"extension"`
	Name      string   `json:"name"`
	State     string   `json:"state"`
	Calls     []string `json:"calls"`
	Since     string   `json:"since"`
	Devices   []struct {
		Name  string `json:"name"`
		State string `json:"state"`
	} `json:"devices"`
	Queues []struct {
		Queue        string `json:"queue"`
		Interface    string `json:"interface"`
		Paused       bool   `json:"paused"`
		PausedReason string `json:"paused_reason"`
	} `json:"queues"`
}

func (a presence) String() string {
	return fmt.Sprintf("%s %s calls=%v queues=%+v devices=%+v", a.Extension, a.State, a.Calls, a.Queues, a.Devices)
}

// agents is GET /v1/agents, by extension.
func (a *api) agents() map[string]presence {
	a.t.Helper()
	r := a.do(http.MethodGet, "/v1/agents", nil)
	if r.Status != http.StatusOK {
		a.t.Fatalf("GET /v1/agents: %d %s", r.Status, r.Body)
	}
	var list []presence
	r.decode(a.t, &list)
	out := map[string]presence{}
	for _, ag := range list {
		out[ag.Extension] = ag
	}
	return out
}

// agentsMatch polls GET /v1/agents until want holds for it, and fails with
// what was last seen.
func (e *env) agentsMatch(t *testing.T, what string, want func(map[string]presence) error) map[string]presence {
	t.Helper()
	var last map[string]presence
	var why error
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if poll(ctx, func() bool { last = e.api.agents(); why = want(last); return why == nil }) != nil {
		t.Fatalf("%s: %v; agents: %v", what, why, last)
	}
	return last
}

// TestAgentsAfterReconnect: the AMI connection drops while agent 101 or 102
// talks to a queue caller and 103 to a click-to-call customer; while it is
// down 103's call ends and 103 is paused in its queue. Right after the
// reconnect GET /v1/agents says it all: the queue call's agent in that
// call, the other one available, 103 paused with no call.
func TestAgentsAfterReconnect(t *testing.T) {
	t.Parallel()
	e := start(t, office())
	q := e.api.findCall(e.pbx.incoming(t, pbxsim.Incoming{DID: "5550100", From: "79005550001"}))
	c := e.api.dial(map[string]any{"from": "103", "to": customerRaw})
	e.rcv.waitEvent(wait, q, "call.answered")
	e.rcv.waitEvent(wait, c.ID, "call.answered")
	talker := e.api.getCall(q).Agent.Extension
	other := map[string]string{"101": "102", "102": "101"}[talker]
	if other == "" {
		t.Fatalf("queue call answered by %q, want 101 or 102", talker)
	}
	inCall := func(as map[string]presence, ext, id string) error {
		if a := as[ext]; a.State != "in_call" || !slices.Equal(a.Calls, []string{id}) {
			return fmt.Errorf("%s is %s in %v, want in_call in [%s]", ext, a.State, a.Calls, id)
		}
		return nil
	}
	e.agentsMatch(t, "before the drop", func(as map[string]presence) error {
		if err := inCall(as, talker, q); err != nil {
			return err
		}
		return inCall(as, "103", c.ID)
	})
	legC := e.agentLeg(t, c.ID, "103")

	e.pbx.gate.setShut(true)
	e.pbx.DropConnections()
	eventually(t, wait, "/readyz 503 while the PBX is unreachable", func() bool { return e.api.readyz() == http.StatusServiceUnavailable })
	e.pbx.hangupChannel(t, legC) // 103's call ends unseen
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := e.pbx.side.QueuePause(ctx, amiclient.QueuePauseParams{Interface: "Local/103@phones", Queue: "sales", Paused: true, Reason: "lunch"}); err != nil {
		t.Fatal(err)
	}
	e.pbx.gate.setShut(false)
	e.api.waitReady()

	as := e.agentsMatch(t, "after the reconnect", func(as map[string]presence) error {
		if err := inCall(as, talker, q); err != nil {
			return err
		}
		if a := as[other]; a.State != "available" || len(a.Calls) != 0 {
			return fmt.Errorf("%s is %s in %v, want available", other, a.State, a.Calls)
		}
		if a := as["103"]; a.State != "paused" || len(a.Calls) != 0 {
			return fmt.Errorf("103 is %s in %v, want paused in no call", a.State, a.Calls)
		}
		return nil
	})
	if a := as["103"]; len(a.Queues) != 1 || a.Queues[0].Queue != "sales" || !a.Queues[0].Paused || a.Queues[0].PausedReason != "lunch" {
		t.Errorf("103's queues %+v, want sales paused for lunch", a.Queues)
	}
	if a := as[talker]; a.Name != "Agent "+talker {
		t.Errorf("name %q, want Agent %s", a.Name, talker)
	}
	if _, ok := as["trunk"]; ok || len(as) > 8 {
		t.Errorf("agents %v: more than the office's", as)
	}
}

// TestPauseAgent: POST /v1/agents/{ext}/pause finds the agent's member
// interfaces itself; the pause shows in GET /v1/agents/{ext}, and unpause
// undoes it in every queue.
func TestPauseAgent(t *testing.T) {
	t.Parallel()
	e := start(t, office())
	// Agents are known once the service has listed the PBX's states: 404
	// until then.
	get := func() presence {
		var a presence
		if r := e.api.do(http.MethodGet, "/v1/agents/101", nil); r.Status == http.StatusOK {
			r.decode(t, &a)
		} else if r.Status != http.StatusNotFound {
			t.Fatalf("GET /v1/agents/101: %d %s", r.Status, r.Body)
		}
		return a
	}
	eventually(t, wait, "agent 101 known", func() bool { return get().State == "available" })
	if r := e.api.do(http.MethodPost, "/v1/agents/101/pause", map[string]any{"queue": "support", "reason": "lunch"}); r.Status != http.StatusAccepted {
		t.Fatalf("pause: %d %s", r.Status, r.Body)
	}
	eventually(t, wait, "101 paused in support", func() bool {
		a := get()
		return a.State == "paused" && len(a.Queues) == 1 && a.Queues[0].Paused && a.Queues[0].PausedReason == "lunch"
	})
	if r := e.api.do(http.MethodPost, "/v1/agents/101/unpause", nil); r.Status != http.StatusAccepted {
		t.Fatalf("unpause: %d %s", r.Status, r.Body)
	}
	eventually(t, wait, "101 available again", func() bool { return get().State == "available" })
	for _, tt := range []struct {
		path string
		body map[string]any
		want int
	}{
		{"/v1/agents/101/pause", map[string]any{"queue": "sales"}, http.StatusNotFound},
		{"/v1/agents/999/pause", nil, http.StatusNotFound},
		{"/v1/agents/101/pause", map[string]any{"reason": "a\r\nAction: Originate"}, http.StatusUnprocessableEntity},
	} {
		if r := e.api.do(http.MethodPost, tt.path, tt.body); r.Status != tt.want {
			t.Errorf("POST %s %v: %d %s, want %d", tt.path, tt.body, r.Status, r.Body, tt.want)
		}
	}
	self := newAPI(t, e.svc.URL, token(t, "agents:read agents:write", "102"))
	if r := self.do(http.MethodGet, "/v1/agents/101", nil); r.Status != http.StatusForbidden {
		t.Errorf("ext 102 reading 101: %d, want 403", r.Status)
	}
	if r := self.do(http.MethodGet, "/v1/agents", nil); r.Status != http.StatusOK || len(self.agents()) != 1 {
		t.Errorf("ext 102 listing: %d %s, want itself only", r.Status, r.Body)
	}

}
