package campaign

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/amigate/amigate"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// jetStreamKV is the campaigns' bucket in an embedded JetStream on disk,
// as the service runs it.
func jetStreamKV(tb testing.TB) KV {
	tb.Helper()
	kv, err := NewKV(context.Background(), jetStream(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return kv
}

// jetStream is an embedded JetStream on disk.
func jetStream(tb testing.TB) jetstream.JetStream {
	tb.Helper()
	ns, err := server.NewServer(&server.Options{DontListen: true, JetStream: true,
		StoreDir: filepath.Join(tb.TempDir(), "js"), NoLog: true, NoSigs: true})
	if err != nil {
		tb.Fatal(err)
	}
	ns.Start()
	tb.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(10 * time.Second) {
		tb.Fatal("nats-server did not start")
	}
	nc, err := nats.Connect("", nats.InProcessServer(ns))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	return js
}

// BenchmarkCreate100k creates a campaign of 100,000 contacts in JetStream:
// the issue asks for under 2 s.
func BenchmarkCreate100k(b *testing.B) {
	kv := jetStreamKV(b)
	pbx := newFakePBX()
	svc, err := New(context.Background(), Config{KV: kv, Dialer: pbx, Calls: pbx})
	if err != nil {
		b.Fatal(err)
	}
	in := contacts(MaxContacts)
	b.ResetTimer()
	for b.Loop() {
		if _, err := svc.Create(context.Background(), amigate.CampaignRequest{Name: "big", Contacts: in, Target: amigate.CampaignTarget{Queue: "q"}}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAttempt is the scheduler's overhead per attempt (record it in
// JetStream, dial, collect its outcome, store it), the PBX being a fake.
func BenchmarkAttempt(b *testing.B) {
	kv := jetStreamKV(b)
	pbx := newFakePBX()
	clk := &clock{t: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)}
	svc, err := New(context.Background(), Config{KV: kv, Dialer: pbx, Calls: pbx, Now: clk.Now})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := svc.Create(ctx, amigate.CampaignRequest{Name: "bench", Contacts: contacts(b.N),
		Target: amigate.CampaignTarget{Queue: "q"}, Pacing: amigate.CampaignPacing{MaxConcurrent: 50, PerMinute: MaxPerMinute}}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for pbx.count() < b.N {
		clk.Add(time.Second)
		svc.Step(ctx)
		pbx.end(clk.Now(), answered)
	}
	svc.Step(ctx)
}
