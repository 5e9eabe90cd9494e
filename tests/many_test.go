package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/amigate/amigate/internal/pbxsim"
)

// TestManyCallsAtOnce runs click-to-calls from every agent and customer
// calls from the trunk at the same time, each with its own customer
// number: every call gets exactly its own three webhooks, in order, with
// its own agent and customer, however the AMI events interleave.
func TestManyCallsAtOnce(t *testing.T) {
	t.Parallel()
	o := office()
	// Click-to-calls end by the customer, once connected. An agent's own
	// hangup timer would count from the agent's answer and race the
	// customer's ringing (under load the agent hung up first: a right
	// "canceled", not the call this test places), so agents stay on and
	// the test hangs trunk calls up once they are answered.
	o.CustomerTalk = 300 * time.Millisecond
	e := start(t, o)

	type placed struct{ id, linkedid, agent, number string }
	var (
		mu    sync.Mutex
		calls []placed
		wg    sync.WaitGroup
	)
	add := func(p placed) {
		mu.Lock()
		calls = append(calls, p)
		mu.Unlock()
	}
	for i := range 15 {
		agent := fmt.Sprintf("10%d", 1+i%5)
		number := fmt.Sprintf("790012345%02d", i)
		wg.Go(func() { // no FailNow off the test goroutine: try and Errorf
			r, err := e.api.try(http.MethodPost, "/v1/calls", map[string]any{"from": agent, "to": number})
			var c call
			if err == nil && r.Status == http.StatusAccepted && json.Unmarshal(r.Body, &c) == nil && c.ID != "" {
				add(placed{id: c.ID, agent: agent, number: number})
				return
			}
			t.Errorf("POST /v1/calls from %s: %v %d %s", agent, err, r.Status, r.Body)
		})
	}
	for i := range 5 {
		number := fmt.Sprintf("790055500%02d", i)
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			linkedid, err := e.pbx.IncomingCall(ctx, pbxsim.Incoming{DID: "5550101", From: number})
			if err != nil {
				t.Errorf("incoming call from %s: %v", number, err)
				return
			}
			add(placed{linkedid: linkedid, agent: "101", number: number})
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for i, p := range calls {
		if p.linkedid != "" {
			calls[i].id = e.callByLinkedid(t, p.linkedid)
			e.rcv.waitEvent(wait, calls[i].id, "call.answered")
			e.hangup(t, calls[i].id)
		}
	}
	for _, p := range calls {
		evs := e.rcv.waitEnded(wait, p.id)
		checkSteps(t, p.id, evs, step{"call.ringing", p.agent}, step{"call.answered", p.agent}, step{"call.ended", ""})
		checkCustomer(t, evs, p.number)
		if end := last(t, evs); end.Call.Disposition != "answered" {
			t.Errorf("call %s ended: disposition %q, want answered", p.id, end.Call.Disposition)
		}
	}
	if got, want := len(e.rcv.deliveries()), 3*len(calls); got < want {
		t.Errorf("%d webhooks, want at least %d", got, want)
	}
	checkNoForeignDuplicates(t, e.rcv.deliveries())
}

// callByLinkedid returns the id of the call with this Linkedid from its
// first webhook: a trunk call may end before a listing would show it.
func (e *env) callByLinkedid(t *testing.T, linkedid string) string {
	t.Helper()
	var id string
	e.rcv.wait(wait, "a webhook of the call with linkedid "+linkedid, func(ds []delivery) bool {
		for _, d := range ds {
			if d.Event.Call.Linkedid == linkedid {
				id = d.Event.Call.ID
				return true
			}
		}
		return false
	})
	return id
}
