package tests

import (
	"bufio"
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// storedEvents is the sum of amigate_call_events_total: call events the
// service has made durable (counted after the store acknowledged them).
func (a *api) storedEvents() int {
	r, err := a.try(http.MethodGet, "/metrics", nil)
	if err != nil || r.Status != http.StatusOK {
		return -1
	}
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(r.Body))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "amigate_call_events_total{") {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err == nil {
			n += int(v)
		}
	}
	return n
}

// TestKillAndRestart is issue scenario 8: the receiver goes down mid-stream,
// three click-to-calls finish meanwhile (their events stored, not
// delivered) and a fourth call is up, when the service is killed with
// SIGKILL. A new process on the same data dir, with the receiver still down
// at first, delivers every stored event once the receiver is back, follows
// the call that was up to its end, and never sends a step under two ids;
// each call's events arrive in order.
func TestKillAndRestart(t *testing.T) {
	t.Parallel()
	o := office()
	o.CustomerTalk = 100 * time.Millisecond // click-to-calls end by themselves
	e := start(t, o)
	dataDir := ""
	for _, kv := range e.svc.cmd.Env {
		if v, ok := strings.CutPrefix(kv, "AMIGATE_DATA_DIR="); ok {
			dataDir = v
		}
	}

	first := e.api.dial(map[string]any{"from": "101", "to": customerRaw})
	e.rcv.waitEvent(wait, first.ID, "call.ringing")
	e.rcv.setDown(true)
	ids := []string{first.ID}
	for _, from := range []string{"102", "103"} {
		ids = append(ids, e.api.dial(map[string]any{"from": from, "to": customerRaw}).ID)
	}
	in := caller
	in.DID = "5550101" // agent 101 answers; the call stays up (AgentTalk is a minute)
	up := e.api.findCall(e.pbx.incoming(t, in))
	e.rcv.wait(wait, "a delivery refused by the receiver", func([]delivery) bool { return e.rcv.refusals() > 0 })
	for _, id := range ids {
		eventually(t, wait, "click-to-call "+id+" ended", func() bool { return e.api.getCall(id).State == "ended" })
	}
	eventually(t, wait, "every call event stored", func() bool { return e.api.storedEvents() == 3*3+2 })
	e.svc.kill()

	env := append(baseEnv(e.pbx.Addr, dataDir), e.rcv.env()...)
	e.svc = startService(t, env)
	e.api = newAPI(t, e.svc.URL, e.api.token)
	e.api.waitReady()
	// /readyz says logged in; the resync (CoreShowChannels) follows.
	eventually(t, wait, "the call up across the restart picked up", func() bool {
		r, err := e.api.try(http.MethodGet, "/v1/calls/"+up, nil)
		return err == nil && r.Status == http.StatusOK
	})
	if got := e.api.getCall(up).State; got != "answered" {
		t.Errorf("the call up across the restart: state %q, want answered", got)
	}
	e.rcv.setDown(false)
	e.hangup(t, up)

	for i, id := range ids {
		agent := "10" + strconv.Itoa(i+1)
		evs := e.rcv.waitEnded(wait, id)
		checkSteps(t, id, evs, step{"call.ringing", agent}, step{"call.answered", agent}, step{"call.ended", ""})
	}
	evs := e.rcv.waitEnded(wait, up)
	if end := last(t, evs); end.Call.Disposition != "answered" {
		t.Errorf("the call up across the restart ended: disposition %q, want answered", end.Call.Disposition)
	}
	checkNoForeignDuplicates(t, e.rcv.deliveries())
	t.Run("call up across the restart in order", func(t *testing.T) {
		checkSteps(t, up, evs, step{"call.ringing", "101"}, step{"call.answered", "101"}, step{"call.ended", ""})
	})
}

// TestKillDuringDelivery is issue scenario 8's at-least-once case: the
// service is killed (SIGKILL) while the receiver holds a delivery open,
// unanswered. The new process on the same data dir sends that event again
// under the same webhook-id, so a CRM deduplicating by id sees it once.
// The click-to-call that is up across the restart keeps its id: the CRM can
// still read and hang it up, and its call.ended names the id it knows.
func TestKillDuringDelivery(t *testing.T) {
	t.Parallel()
	e := start(t, office())
	dataDir := lastValue(e.svc.cmd.Env, "AMIGATE_DATA_DIR")
	e.rcv.holdWhile(func(ev event) bool { return ev.Type == "call.answered" })
	c := e.api.dial(map[string]any{"from": "101", "to": customerRaw})
	e.rcv.wait(wait, "call.answered held by the receiver", func([]delivery) bool { return len(e.rcv.heldDeliveries()) > 0 })
	held := e.rcv.heldDeliveries()[0]
	e.svc.kill()
	e.rcv.holdWhile(nil)

	e.svc = startService(t, append(baseEnv(e.pbx.Addr, dataDir), e.rcv.env()...))
	e.api = newAPI(t, e.svc.URL, e.api.token)
	e.api.waitReady()
	again := e.rcv.waitEvent(wait, c.ID, "call.answered")
	if again.ID != held.WebhookID {
		t.Errorf("call.answered redelivered as %s, first attempt was %s", again.ID, held.WebhookID)
	}
	evs := e.rcv.events(c.ID)
	checkSteps(t, c.ID, evs, step{"call.ringing", "101"}, step{"call.answered", "101"})
	checkNoForeignDuplicates(t, e.rcv.deliveries())

	t.Run("click-to-call up across the restart keeps its id", func(t *testing.T) {
		e := &env{pbx: e.pbx, rcv: e.rcv.with(t), svc: e.svc, api: e.api.with(t)}
		// The resync (CoreShowChannels) has picked the call up once it is
		// listed; its Linkedid is the API's id (the Originate's ChannelId).
		if id := e.api.findCall(c.ID); id != c.ID {
			t.Errorf("the call is listed as %s after the restart, want %s", id, c.ID)
		}
		if got := e.api.getCall(c.ID); got.State != "answered" {
			t.Errorf("GET /v1/calls/%s after the restart: state %q, want answered", c.ID, got.State)
		}
		e.hangup(t, c.ID)
		evs := e.rcv.waitEnded(wait, c.ID)
		checkSteps(t, c.ID, evs, step{"call.ringing", "101"}, step{"call.answered", "101"}, step{"call.ended", ""})
	})
}
