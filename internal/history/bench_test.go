package history

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/amigate/amigate"
)

var benchCalls = flag.Int("history.calls", 1_000_000, "calls stored for BenchmarkList")

// BenchmarkList reads a page of 100 calls from a history of
// -history.calls calls (a month of a busy contact centre: 3 queues, 60
// agents, 20,000 customers), with the filters a CRM uses. It reports the
// database's size per million calls.
//
//	go test -run '^$' -bench BenchmarkList -benchtime 200x ./internal/history/
func BenchmarkList(b *testing.B) {
	n := *benchCalls
	dir := b.TempDir()
	path := filepath.Join(dir, "history.db")
	s, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	fill(b, s, n)
	b.Logf("stored %d calls in %v", n, time.Since(start).Round(time.Millisecond))
	if _, err := s.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	perMillion := float64(fi.Size()) / float64(n) * 1e6 / (1 << 20)

	month := 30 * 24 * time.Hour
	svc := NewService(newLive(), s, nil)
	ctx := context.Background()
	// A cursor in the middle of the month, as a back-fill reaches it.
	mid, err := svc.List(ctx, amigate.CallQuery{Limit: 100, Until: t0.Add(month / 2)})
	if err != nil || mid.Next == "" {
		b.Fatalf("mid page: %v", err)
	}
	for _, bm := range []struct {
		name string
		q    amigate.CallQuery
	}{
		{"newest", amigate.CallQuery{}},
		{"ended/day", amigate.CallQuery{CallFilter: amigate.CallFilter{State: amigate.StateEnded}, Since: t0.Add(month / 2), Until: t0.Add(month/2 + 24*time.Hour)}},
		{"cursor", amigate.CallQuery{Cursor: mid.Next}},
		{"extension", amigate.CallQuery{CallFilter: amigate.CallFilter{Extension: "1042"}}},
		{"extension/cursor", amigate.CallQuery{CallFilter: amigate.CallFilter{Extension: "1042"}, Cursor: mid.Next}},
		{"queue+disposition", amigate.CallQuery{Queue: "sales", Disposition: amigate.DispositionAbandoned}},
		{"customer", amigate.CallQuery{Customer: "+7 (900) 001-23-45"}},
		{"direction+day", amigate.CallQuery{Direction: amigate.DirectionOutbound, Since: t0.Add(month / 3), Until: t0.Add(month/3 + 24*time.Hour)}},
		{"rare: internal+busy+queue", amigate.CallQuery{Direction: amigate.DirectionInternal, Disposition: amigate.DispositionBusy, Queue: "billing"}},
	} {
		b.Run(bm.name, func(b *testing.B) {
			bm.q.Limit = 100
			for b.Loop() {
				if _, err := svc.List(ctx, bm.q); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(perMillion, "MiB/1M-calls")
		})
	}
}

// fill stores n calls spread over 30 days from t0.
func fill(b *testing.B, s *Store, n int) {
	rng := rand.New(rand.NewPCG(7, 8))
	step := 30 * 24 * time.Hour / time.Duration(n)
	dirs := []string{amigate.DirectionInbound, amigate.DirectionInbound, amigate.DirectionOutbound, amigate.DirectionInternal}
	disps := []string{amigate.DispositionAnswered, amigate.DispositionAnswered, amigate.DispositionAnswered, amigate.DispositionNoAnswer, amigate.DispositionBusy, amigate.DispositionAbandoned}
	queues := []string{"", "support", "sales", "billing"}
	const batch = 5000
	recs := make([]record, 0, batch)
	ctx := context.Background()
	for i := 0; i < n; i++ {
		ext := fmt.Sprintf("10%02d", rng.IntN(60))
		c := ended(fmt.Sprintf("call_%08d_%04x", i, rng.IntN(1<<16)), t0.Add(time.Duration(i)*step), func(c *amigate.Call) {
			c.Direction = dirs[rng.IntN(len(dirs))]
			c.Disposition = disps[rng.IntN(len(disps))]
			c.Queue = queues[rng.IntN(len(queues))]
			c.Customer = &amigate.Party{Number: fmt.Sprintf("79%09d", rng.IntN(20000)), Name: "Ivan Petrov"}
			c.Agent = &amigate.Agent{Extension: ext, Name: "Agent " + ext}
			c.Extensions = []string{ext}
			c.Linkedid = fmt.Sprintf("1764460800.%d", i)
			c.Channels = []amigate.Channel{
				{Name: "PJSIP/trunk-" + fmt.Sprintf("%08x", i), Uniqueid: fmt.Sprintf("1764460800.%d", 2*i), State: "Down", Role: amigate.RoleCustomer},
				{Name: "PJSIP/" + ext + "-" + fmt.Sprintf("%08x", i), Uniqueid: fmt.Sprintf("1764460800.%d", 2*i+1), State: "Down", Role: amigate.RoleAgent},
			}
			cause := 16
			c.HangupCause, c.HangupCauseText = &cause, "Normal Clearing"
		})
		raw, err := json.Marshal(&c)
		if err != nil {
			b.Fatal(err)
		}
		r, err := recordOf(raw, nil)
		if err != nil {
			b.Fatal(err)
		}
		recs = append(recs, r)
		if len(recs) == batch || i == n-1 {
			if err := s.apply(ctx, position{seq: uint64(i + 1)}, recs); err != nil {
				b.Fatal(err)
			}
			recs = recs[:0]
		}
	}
}
