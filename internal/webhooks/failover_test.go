package webhooks

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// TestFailover closes each of two instances sharing one NATS server in turn
// while events keep coming: the other takes the subscriptions over and
// nothing is lost.
func TestFailover(t *testing.T) {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(5 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	rcv := newReceiver(t, testSecret)
	cfg := testConfig(t, ConfigSubscription{URL: rcv.srv.URL, Secret: testSecret})
	cfg.NATSURL = ns.ClientURL()
	a, b := open(t, cfg), open(t, cfg)
	evs := events("fo", 3, 6)
	publish(t, a, evs[:6])
	waitFor(t, "first events", 5*time.Second, func() bool { return len(rcv.distinct()) == 6 })
	start := time.Now()
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	publish(t, b, evs[6:12])
	waitFor(t, "events after the first instance left", 10*time.Second, func() bool { return len(rcv.distinct()) == 12 })
	t.Logf("takeover after close: %v", time.Since(start))
	c := open(t, cfg)
	start = time.Now()
	if err := b.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	publish(t, c, evs[12:])
	waitFor(t, "events after the second instance left", 10*time.Second, func() bool { return len(rcv.distinct()) == len(evs) })
	t.Logf("takeover after close: %v", time.Since(start))
	rcv.checkOrder(t)
}
