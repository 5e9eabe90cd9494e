package tests

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/amigate/amigate/internal/pbxsim"
)

// startNATS runs a NATS server with JetStream on a free loopback port, as
// the external cluster of a multi-instance install (AMIGATE_NATS_URL). It
// runs in the test process, but the services reach it over TCP like any
// external server. (Debian's nats-server package is 2.9, older than the
// 2.11 the delivery consumers need: pinned priority groups.)
func startNATS(t testing.TB) string {
	t.Helper()
	s, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(),
		NoLog: true, NoSigs: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server not ready")
	}
	return s.ClientURL()
}

// TestTwoInstancesOneNATS is two instances watching one Asterisk, sharing
// one external NATS JetStream (issue: several instances): both correlate the
// same AMI stream into the same event ids, the store keeps each once, and
// the receiver gets every webhook exactly once — whichever instance placed
// the call or delivers it.
func TestTwoInstancesOneNATS(t *testing.T) {
	t.Parallel()
	natsURL := startNATS(t)
	rcv := newReceiver(t)
	p := startPBX(t, office())
	instance := func() *api {
		envv := append(baseEnv(p.Addr, t.TempDir()), rcv.env()...)
		svc := startService(t, append(envv, "AMIGATE_NATS_URL="+natsURL))
		a := newAPI(t, svc.URL, token(t, allScopes, ""))
		a.waitReady()
		return a
	}
	a, b := instance(), instance()

	// A click-to-call placed through instance a, hung up through b: both
	// know it by the API's id.
	c := a.dial(map[string]any{"from": "101", "to": customerRaw})
	rcv.waitEvent(wait, c.ID, "call.answered")
	if r := b.do(http.MethodPost, "/v1/calls/"+c.ID+"/hangup", nil); r.Status != http.StatusAccepted {
		t.Fatalf("hangup through the other instance: status %d, body %s", r.Status, r.Body)
	}
	evs := rcv.waitEnded(wait, c.ID)
	checkSteps(t, c.ID, evs, step{"call.ringing", "101"}, step{"call.answered", "101"}, step{"call.ended", ""})

	// An incoming call that neither instance placed.
	linkedid := p.incoming(t, pbxsim.Incoming{DID: "5550101", From: "79005550001", Name: "Ivan Petrov"})
	p.hangupOnceAnswered(t, a, linkedid)
	var id string
	rcv.wait(wait, "call.ended of the incoming call", func(ds []delivery) bool {
		for _, d := range ds {
			if d.Event.Type == "call.ended" && d.Event.Call.Linkedid == linkedid {
				id = d.Event.Call.ID
				return true
			}
		}
		return false
	})
	// Each instance follows the AMI stream itself: the one behind may
	// still be applying the hang-up when the other's call.ended arrives,
	// so each is given the time to catch up, and must.
	for i, inst := range []*api{a, b} {
		eventually(t, wait, fmt.Sprintf("instance %d: the incoming call %s ended", i, id), func() bool {
			r, err := inst.try(http.MethodGet, "/v1/calls/"+id, nil)
			if err != nil || r.Status != http.StatusOK {
				return false // this instance has not seen the call yet
			}
			var got call
			r.decode(t, &got)
			return got.Linkedid == linkedid && got.State == "ended"
		})
	}
	evs = rcv.events(id)
	checkSteps(t, id, evs, step{"call.ringing", "101"}, step{"call.answered", "101"}, step{"call.ended", ""})
	p.waitIdle(t)

	// Exactly once: every webhook-id was POSTed a single time, though two
	// instances published every event.
	counts := map[string]int{}
	for _, d := range rcv.deliveries() {
		counts[d.WebhookID]++
	}
	if len(counts) != 6 {
		t.Errorf("distinct webhooks: got %d, want 6 (3 per call):\n%s", len(counts), rcv.dump())
	}
	for id, n := range counts {
		if n != 1 {
			t.Errorf("webhook %s delivered %d times, want once", id, n)
		}
	}
}
