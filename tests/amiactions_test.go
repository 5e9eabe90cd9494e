package tests

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestAMIActions is issue scenario 9: what the service writes on the AMI
// socket for each API request, checked line by line against what the
// recordings and the configuration say: the Originate of POST /v1/calls,
// the BlindTransfer and Atxfer of the transfers, the Hangup of every
// channel by exact name, and the queue actions.
func TestAMIActions(t *testing.T) {
	t.Parallel()
	srv, svc := startWithFakeAMI(t)
	a := newAPI(t, svc.URL, token(t, allScopes, ""))
	a.waitReady()

	c := a.dial(map[string]any{
		"from": "101", "to": customerRaw, "caller_id": "Deal 42", "timeout_seconds": 20,
		"variables": map[string]string{"CRM_DEAL_ID": "42"},
	})
	orig := nextAction(t, srv)
	other := orig.Get("OtherChannelId")
	if other == "" || other == c.ID {
		t.Errorf("OtherChannelId %q: want a second id of its own", other)
	}
	checkAction(t, orig,
		"Action: Originate",
		"ActionID: c2c-"+c.ID,
		"Channel: Local/101@phones", // AMIGATE_DIAL_AGENT_CHANNEL
		"Context: crm-outbound",     // AMIGATE_DIAL_CONTEXT
		"Exten: "+customerNum,       // normalised, rewritten +7 → 7
		"Priority: 1",
		`CallerID: "Deal 42" <`+customerNum+`>`,
		"Async: true",
		"ChannelId: "+c.ID,
		"OtherChannelId: "+other,
		"Variable: AMIGATE_CALL_ID="+c.ID,
		"Variable: CRM_DEAL_ID=42",
		"Timeout: 20000",
	)

	answeredCall(t, srv, orig)
	eventually(t, wait, "the call answered", func() bool { return a.getCall(c.ID).State == "answered" })
	const agentLeg = "Local/101@phones-0000000c;1" // bridged with the customer (BridgeEnter)
	for _, tt := range []struct {
		mode string
		want []string
	}{
		{"blind", []string{"Action: BlindTransfer", "Channel: " + agentLeg, "Exten: 102", "Context: crm-transfer"}},
		{"attended", []string{"Action: Atxfer", "Channel: " + agentLeg, "Exten: 102", "Context: crm-transfer"}},
	} {
		r := a.do(http.MethodPost, "/v1/calls/"+c.ID+"/transfer", map[string]any{"to": "102", "mode": tt.mode})
		if r.Status != http.StatusAccepted {
			t.Fatalf("transfer %s: %d %s, want 202", tt.mode, r.Status, r.Body)
		}
		checkAction(t, nextAction(t, srv), tt.want...)
	}

	if r := a.do(http.MethodPost, "/v1/calls/"+c.ID+"/hangup", nil); r.Status != http.StatusAccepted {
		t.Fatalf("hangup: %d %s, want 202", r.Status, r.Body)
	}
	// Every channel by its exact name; a ;2 half goes with its ;1.
	var hung []string
	for range 2 {
		h := nextAction(t, srv)
		if h.Get("Action") != "Hangup" || h.Get("Cause") != "16" || len(h.Fields) != 4 {
			t.Errorf("hangup sent %q, want Action, ActionID, Channel, Cause 16", fields(h))
		}
		hung = append(hung, h.Get("Channel"))
	}
	slices.Sort(hung)
	if want := []string{agentLeg, "Local/79001234567@pstn-0000000d;1"}; !slices.Equal(hung, want) {
		t.Errorf("hung up %q, want %q", hung, want)
	}

	r := a.do(http.MethodGet, "/v1/queues", nil)
	checkAction(t, nextAction(t, srv), "Action: QueueSummary")
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"name":"support"`) {
		t.Errorf("GET /v1/queues: %d %s, want 200 with queue support", r.Status, r.Body)
	}
	r = a.do(http.MethodGet, "/v1/queues/support", nil)
	checkAction(t, nextAction(t, srv), "Action: QueueStatus", "Queue: support")
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"strategy":"ringall"`) {
		t.Errorf("GET /v1/queues/support: %d %s, want 200 with its strategy", r.Status, r.Body)
	}
}
