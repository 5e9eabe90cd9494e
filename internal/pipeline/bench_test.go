package pipeline_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/amiclient"
	"github.com/amigate/amigate/internal/pipeline"
	"github.com/amigate/amigate/internal/webhooks"
)

// BenchmarkLoopStore feeds queued AMI events, each causing one call
// event, through the event loop into the real store (embedded JetStream on
// disk), one Publish per event against one per batch.
//
//	go test -run '^$' -bench LoopStore -benchtime 2000x ./internal/pipeline
func BenchmarkLoopStore(b *testing.B) {
	for _, batch := range []int{1, pipeline.MaxBatch} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			store, err := webhooks.New(context.Background(), webhooks.Config{DataDir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			defer store.Close(context.Background())
			queued := make([]amiclient.Event, b.N)
			for i := range b.N {
				queued[i] = event(amigate.EventCallRinging, fmt.Sprintf("evt_%d_%d", batch, i))
			}
			evs := newEvents(queued...)
			evs.close()
			cfg := config(evs, &fakeCalls{}, store, nil, newMetrics())
			cfg.Batch = batch
			l := pipeline.New(cfg)
			b.ResetTimer()
			if err := l.Run(context.Background()); err != nil {
				b.Fatal(err)
			}
		})
	}
}
