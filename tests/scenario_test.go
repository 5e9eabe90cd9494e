package tests

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/amigate/amigate/internal/pbxsim"
)

// wait bounds every wait for a webhook: generous for a loaded 2-core
// machine under -race, never reached when things work.
const wait = 20 * time.Second

// customer is the number the tests dial, as a CRM sends it, and as the
// dial rules make it (AMIGATE_DIAL_REWRITE=+7=7).
const (
	customerRaw = "+7 (900) 123-45-67"
	customerNum = "79001234567"
)

// env is a test's running service, PBX, receiver and API client.
type env struct {
	pbx *pbx
	rcv *receiver
	svc *service
	api *api
}

// start runs a PBX with office o, a receiver and a service configured for
// them (plus the more environment), and waits until the service is ready.
func start(t *testing.T, o pbxsim.Office, more ...string) *env {
	t.Helper()
	e := &env{rcv: newReceiver(t)}
	e.pbx = startPBX(t, o)
	envv := append(baseEnv(e.pbx.Addr, t.TempDir()), e.rcv.env()...)
	e.svc = startService(t, append(envv, more...))
	e.api = newAPI(t, e.svc.URL, token(t, allScopes, ""))
	e.api.waitReady()
	return e
}

// step is one expected webhook of a call: its type and the agent it is
// about ("" for none).
type step struct {
	Type  string
	Agent string
}

func (s step) String() string { return s.Type + "(" + s.Agent + ")" }

// checkSteps asserts that evs (one call's events in arrival order, each
// webhook-id once) are exactly want, in order, about call id, with
// sequence numbers 1, 2, 3, ... A run of call.ringing events is compared
// as a set: a ring-all queue rings its agents at once.
func checkSteps(t *testing.T, id string, evs []event, want ...step) {
	t.Helper()
	got := make([]step, len(evs))
	for i, e := range evs {
		got[i] = step{e.Type, ext(e.Agent)}
		if e.Call.ID != id {
			t.Errorf("event %d (%s): call id %q, want %q", i, e.Type, e.Call.ID, id)
		}
		if e.Sequence != int64(i+1) {
			t.Errorf("event %d (%s): sequence %d, want %d", i, e.Type, e.Sequence, i+1)
		}
		if i > 0 && e.Sequence <= evs[i-1].Sequence {
			t.Errorf("event %d (%s): sequence %d after %d, want it to increase", i, e.Type, e.Sequence, evs[i-1].Sequence)
		}
	}
	if g, w := fmt.Sprint(sortRings(got)), fmt.Sprint(sortRings(want)); g != w {
		t.Errorf("call %s webhooks:\n got %v\nwant %v", id, got, want)
	}
}

// sortRings sorts each run of call.ringing steps by agent.
func sortRings(s []step) []step {
	s = slices.Clone(s)
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j].Type == "call.ringing" {
			j++
		}
		if j > i {
			slices.SortFunc(s[i:j], func(a, b step) int { return strings.Compare(a.Agent, b.Agent) })
			i = j
		} else {
			i++
		}
	}
	return s
}

// checkCustomer asserts every event names the customer number.
func checkCustomer(t *testing.T, evs []event, number string) {
	t.Helper()
	for _, e := range evs {
		if e.Call.Customer == nil || e.Call.Customer.Number != number {
			t.Errorf("%s seq %d: customer %+v, want number %s", e.Type, e.Sequence, e.Call.Customer, number)
		}
	}
}

// last returns the last event, which a finished call's is call.ended.
func last(t *testing.T, evs []event) event {
	t.Helper()
	if len(evs) == 0 {
		t.Fatal("no events")
	}
	return evs[len(evs)-1]
}
