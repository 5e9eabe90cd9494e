package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/amiclient"
	"github.com/amigate/amigate/internal/webhooks"
)

// BenchmarkEventLoopStore feeds queued AMI events, each causing one call
// event, through the event loop into the real store (embedded JetStream on
// disk), one Publish per event against one per batch.
//
//	go test -run '^$' -bench EventLoopStore -benchtime 2000x ./cmd/api
func BenchmarkEventLoopStore(b *testing.B) {
	for _, batch := range []int{1, maxBatch} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			store, err := webhooks.New(context.Background(), webhooks.Config{DataDir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			defer store.Close(context.Background())
			evs := &fakeEvents{ch: make(chan amiclient.Event, b.N)}
			for i := range b.N {
				evs.ch <- event(amigate.EventCallRinging, fmt.Sprintf("evt_%d_%d", batch, i))
			}
			close(evs.ch)
			l := newLoop(evs, &fakeCalls{}, nil, fakePBX{}, &countingMetrics{types: map[string]int{}})
			l.store, l.batch = store, batch
			b.ResetTimer()
			if err := l.run(context.Background()); err != nil {
				b.Fatal(err)
			}
		})
	}
}
