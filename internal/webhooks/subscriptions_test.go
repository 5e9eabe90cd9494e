package webhooks

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/webhooks/signature"
)

func TestSubscriptionsCRUD(t *testing.T) {
	cfg := testConfig(t, ConfigSubscription{URL: "https://crm.example/hooks", Secret: testSecret})
	cfg.AllowPrivate = false
	cfg.Resolver = fakeResolver{
		"crm.example":      {"93.184.216.34"},
		"other.example":    {"93.184.216.35"},
		"internal.example": {"10.0.0.7"},
		"rebind.example":   {"93.184.216.36", "127.0.0.1"},
	}
	cfg.Now = func() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) }
	d := open(t, cfg)
	ctx := context.Background()

	created, err := d.Create(ctx, amigate.SubscriptionRequest{URL: "https://other.example/h", Events: []string{"call.ended", "call.ringing", "call.ended"}})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := signature.ParseSecret(created.Secret); err != nil {
		t.Errorf("generated secret %q: %v", created.Secret, err)
	}
	if !strings.HasPrefix(created.ID, "wh_") || created.Source != "api" || created.Disabled {
		t.Errorf("created: got %+v", created)
	}
	if diff := cmp.Diff([]string{"call.ended", "call.ringing"}, created.Events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	withSecret, err := d.Create(ctx, amigate.SubscriptionRequest{URL: "https://other.example/h2", Secret: testSecret2})
	if err != nil || withSecret.Secret != testSecret2 || withSecret.Events[0] != "*" {
		t.Fatalf("Create with secret: got %+v, %v", withSecret, err)
	}

	list, err := d.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 {
		t.Fatalf("List: got %d, want 3", len(list))
	}
	cfgID := configID("https://crm.example/hooks", []string{"*"})
	for _, s := range list {
		if s.Secret != "" {
			t.Errorf("List shows the secret of %s", s.ID)
		}
		if s.ID == cfgID && s.Source != "config" {
			t.Errorf("config subscription: got source %q", s.Source)
		}
	}
	gotSub, err := d.Get(ctx, created.ID)
	want := created
	want.Secret = ""
	if err != nil || !cmp.Equal(want, gotSub) {
		t.Errorf("Get: got %+v, %v, want %+v", gotSub, err, want)
	}

	if err := d.Delete(ctx, cfgID); !errors.Is(err, amigate.ErrConflict) {
		t.Errorf("Delete config subscription: got %v, want ErrConflict", err)
	}
	if err := d.Delete(ctx, created.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	for _, id := range []string{created.ID, "wh_missing", "../etc", "a.b", ""} {
		if _, err := d.Get(ctx, id); !errors.Is(err, amigate.ErrNotFound) {
			t.Errorf("Get(%q): got %v, want ErrNotFound", id, err)
		}
		if err := d.Delete(ctx, id); !errors.Is(err, amigate.ErrNotFound) {
			t.Errorf("Delete(%q): got %v, want ErrNotFound", id, err)
		}
		if _, err := listDeliveries(ctx, d, id); !errors.Is(err, amigate.ErrNotFound) {
			t.Errorf("Deliveries(%q): got %v, want ErrNotFound", id, err)
		}
	}
	waitFor(t, "deleted subscription's worker stopped", 5*time.Second, func() bool { return d.worker(created.ID) == nil })

	invalid := []struct {
		name  string
		req   amigate.SubscriptionRequest
		field string
	}{
		{"loopback literal", amigate.SubscriptionRequest{URL: "http://127.0.0.1:8080/"}, "url"},
		{"localhost", amigate.SubscriptionRequest{URL: "http://localhost/"}, "url"},
		{"private name", amigate.SubscriptionRequest{URL: "https://internal.example/"}, "url"},
		{"one private address", amigate.SubscriptionRequest{URL: "https://rebind.example/"}, "url"},
		{"metadata", amigate.SubscriptionRequest{URL: "http://169.254.169.254/latest/meta-data/"}, "url"},
		{"ipv6 mapped loopback", amigate.SubscriptionRequest{URL: "http://[::ffff:127.0.0.1]/"}, "url"},
		{"scheme", amigate.SubscriptionRequest{URL: "gopher://crm.example/"}, "url"},
		{"unknown event", amigate.SubscriptionRequest{URL: "https://crm.example/", Events: []string{"call.exploded"}}, "events"},
		{"bad secret", amigate.SubscriptionRequest{URL: "https://crm.example/", Secret: "hunter2"}, "secret"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			_, err := d.Create(ctx, tt.req)
			var fe *amigate.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || !errors.Is(err, amigate.ErrInvalid) {
				t.Errorf("got %v, want a FieldError on %s", err, tt.field)
			}
		})
	}
}

// TestDialTimeGuard delivers to a config subscription whose host resolved
// to a public address at start-up and to loopback when dialled (DNS
// rebinding), without AllowPrivate: the address is refused when dialled
// and the delivery record says so.
func TestDialTimeGuard(t *testing.T) {
	rcv := newReceiver(t, testSecret)
	target := strings.Replace(rcv.srv.URL, "127.0.0.1", "localhost", 1)
	cfg := testConfig(t, ConfigSubscription{URL: target, Secret: testSecret})
	cfg.AllowPrivate = false
	cfg.Resolver = fakeResolver{"localhost": {"93.184.216.34"}}
	cfg.Schedule = []time.Duration{time.Hour}
	d := open(t, cfg)
	publish(t, d, events("ssrf", 1, 1))
	id := configID(target, []string{"*"})
	var recs []amigate.Delivery
	// The event is listed (queued) as soon as it is stored; wait for the
	// attempt to be recorded on it.
	waitFor(t, "refused attempt recorded", 5*time.Second, func() bool {
		recs, _ = listDeliveries(context.Background(), d, id)
		return len(recs) == 1 && recs[0].Attempts > 0
	})
	if r := recs[0]; !strings.Contains(r.Error, "address not allowed") || r.NextRetryAt == nil || r.Delivered {
		t.Errorf("got %+v, want a refused attempt awaiting retry", r)
	}
	if _, n, _ := rcv.snapshot(); n != 0 {
		t.Errorf("receiver got %d requests", n)
	}
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name string
		sub  ConfigSubscription
	}{
		{"no secret", ConfigSubscription{URL: "https://crm.example/"}},
		{"bad secret", ConfigSubscription{URL: "https://crm.example/", Secret: "whsec_short"}},
		{"bad url", ConfigSubscription{URL: "crm.example", Secret: testSecret}},
		{"bad event", ConfigSubscription{URL: "https://crm.example/", Secret: testSecret, Events: []string{"x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := New(context.Background(), testConfig(t, tt.sub))
			if err == nil {
				_ = d.Close(context.Background())
				t.Fatal("New accepted it")
			}
		})
	}
	bad := []struct {
		name string
		edit func(*Config)
	}{
		{"retention shorter than schedule", func(c *Config) { c.Retention = time.Hour; c.Schedule = DefaultSchedule }},
		{"negative delay", func(c *Config) { c.Schedule = []time.Duration{-time.Second} }},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t)
			tt.edit(&cfg)
			d, err := New(context.Background(), cfg)
			if err == nil {
				_ = d.Close(context.Background())
				t.Fatal("New accepted it")
			}
		})
	}
}
