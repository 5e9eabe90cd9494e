package webhooks

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/amigate/amigate"
)

// TestRestartMidStream stops the dispatcher while one call's first event is
// being retried and others are queued behind it, then starts a new one on
// the same data directory: nothing is lost, each call stays in order and
// duplicates carry the same webhook-id. "crash" skips handing held events
// back, as a kill -9 would: the store redelivers them after AckWait.
func TestRestartMidStream(t *testing.T) {
	for _, tt := range []struct {
		name       string
		crash      bool
		moreEvents bool // events keep coming after the restart
	}{
		{"close", false, true},
		{"crash", true, true},
		{"crash then idle", true, false},
		{"close then idle", false, false},
	} {
		crash := tt.crash
		t.Run(tt.name, func(t *testing.T) {
			rcv := newReceiver(t, testSecret)
			rcv.setStatus(func(ev amigate.CallEvent) int {
				if ev.Call.ID == "r-call0" {
					return http.StatusInternalServerError
				}
				return http.StatusOK
			})
			m := &fakeMetrics{}
			cfg := testConfig(t, ConfigSubscription{URL: rcv.srv.URL, Secret: testSecret})
			cfg.Schedule = []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond}
			cfg.AckWait = time.Minute // longer than the test waits: held events come back by seeding or hand-back
			cfg.Metrics = m
			evs := events("r", 3, 4)

			d1, err := New(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			publish(t, d1, evs[:9])
			waitFor(t, "other calls delivered and call0 retried", 5*time.Second, func() bool {
				return len(rcv.distinct()) >= 6 && m.count(OutcomeRetry) >= 2
			})
			if err := d1.close(context.Background(), !crash); err != nil {
				t.Fatal(err)
			}

			rcv.setStatus(func(amigate.CallEvent) int { return http.StatusOK })
			d2 := open(t, cfg)
			if tt.moreEvents {
				publish(t, d2, evs[9:])
			} else {
				evs = evs[:9]
			}
			waitFor(t, "every event delivered after restart", 10*time.Second, func() bool { return len(rcv.distinct()) == len(evs) })
			rcv.checkOrder(t)
			if n := m.count(OutcomeDead); n != 0 {
				t.Errorf("got %d dead deliveries", n)
			}
			// The failed event's attempts continue from the stored record.
			r := waitRecord(t, d2, configID(rcv.srv.URL, []string{"*"}), "evt_r-call0_1", func(r amigate.Delivery) bool { return r.Delivered })
			if r.Attempts < 3 {
				t.Errorf("call0's first event: got %+v, want delivered after at least 3 attempts", r)
			}
		})
	}
}

// TestTwoInstancesOneNATS runs two dispatchers against one NATS server (the
// "external" one, run in-process here) and feeds both the same events, as
// two instances watching one Asterisk would: each event is delivered once.
func TestTwoInstancesOneNATS(t *testing.T) {
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
	var ds []*Dispatcher
	for range 2 {
		cfg := testConfig(t, ConfigSubscription{URL: rcv.srv.URL, Secret: testSecret})
		cfg.NATSURL = ns.ClientURL()
		ds = append(ds, open(t, cfg))
	}
	// A subscription created through one instance's API is served too.
	rcvAPI := newReceiver(t, testSecret2)
	sub, err := ds[1].Create(context.Background(), amigate.SubscriptionRequest{URL: rcvAPI.srv.URL, Secret: testSecret2})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both instances run the new subscription", 5*time.Second, func() bool {
		return ds[0].worker(sub.ID) != nil && ds[1].worker(sub.ID) != nil
	})

	evs := events("two", 4, 5)
	done := make(chan error, 2)
	for _, d := range ds {
		go func() {
			var err error
			for i := range evs { // one at a time, as the AMI loop would
				if err = d.Publish(context.Background(), evs[i:i+1]); err != nil {
					break
				}
			}
			done <- err
		}()
	}
	for range ds {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []*receiver{rcv, rcvAPI} {
		waitFor(t, "every event delivered", 10*time.Second, func() bool { return len(r.distinct()) == len(evs) })
	}
	waitFor(t, "both instances settled", 5*time.Second, func() bool { return settled(t, ds[0]) && settled(t, ds[1]) })
	for _, r := range []*receiver{rcv, rcvAPI} {
		for id, n := range r.distinct() {
			if n != 1 {
				t.Errorf("%s delivered %d times, want once", id, n)
			}
		}
		r.checkOrder(t)
	}
}
