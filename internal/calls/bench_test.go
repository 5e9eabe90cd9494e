package calls

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/amigate/amigate/internal/ami"
)

// fleet replays one recorded call as many concurrent copies, each with its
// own Uniqueids, Linkedids and bridge ids, without holding a message per
// copy in memory: a copy's message is the template with its id fields
// swapped in a reused buffer.
type fleet struct {
	tmpl  []ami.Message
	slots [][]slot   // per template message: the fields that carry an id
	ids   [][]string // per copy: its value of every distinct id
	buf   []ami.Field
}

type slot struct{ field, id int }

func newFleet(tb testing.TB, transcript string, copies int) *fleet {
	f := &fleet{}
	index := map[string]int{}
	var distinct []string
	for _, m := range readTranscript(tb, transcript) {
		if !m.IsEvent() {
			continue
		}
		var ss []slot
		for i, fl := range m.Fields {
			name := strings.ToLower(fl.Name)
			if fl.Value == "" || fl.Value == "<unknown>" ||
				!(strings.HasSuffix(name, "uniqueid") || strings.HasSuffix(name, "linkedid")) {
				continue
			}
			id, ok := index[fl.Value]
			if !ok {
				id = len(distinct)
				index[fl.Value] = id
				distinct = append(distinct, fl.Value)
			}
			ss = append(ss, slot{field: i, id: id})
		}
		f.tmpl = append(f.tmpl, m)
		f.slots = append(f.slots, ss)
		if len(m.Fields) > len(f.buf) {
			f.buf = make([]ami.Field, len(m.Fields))
		}
	}
	f.ids = make([][]string, copies)
	for k := range f.ids {
		f.ids[k] = make([]string, len(distinct))
		for i, v := range distinct {
			f.ids[k][i] = fmt.Sprintf("%d-%s", k, v)
		}
	}
	return f
}

// message is template message step as copy k sends it; valid until the
// next call.
func (f *fleet) message(step, k int) ami.Message {
	t := f.tmpl[step]
	fs := f.buf[:len(t.Fields)]
	copy(fs, t.Fields)
	for _, s := range f.slots[step] {
		fs[s.field].Value = f.ids[k][s.id]
	}
	return ami.Message{Fields: fs}
}

// BenchmarkHandle10kCalls measures Handle with 10,000 calls in progress at
// once (the incoming_queue recording: a ring-all queue of two Local agents,
// every event of the recording, Newexten, VarSet and Cdr included), the
// copies advancing in lockstep.
func BenchmarkHandle10kCalls(b *testing.B) {
	const copies = 10_000
	f := newFleet(b, "incoming_queue", copies)
	tr := NewTracker(office)
	read := time.Now()
	step, k := 0, 0
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		tr.Handle(f.message(step, k), read)
		if k++; k == copies {
			k = 0
			if step++; step == len(f.tmpl) {
				step = 0
			}
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkHandleRecordings replays every recorded call scenario, one
// call at a time.
func BenchmarkHandleRecordings(b *testing.B) {
	var msgs []ami.Message
	for k, sc := range scenarios {
		if sc.cfg.Devices == office.Devices {
			msgs = append(msgs, copyOf(readStream(b, streamPath(sc.name)), k)...)
		}
	}
	tr := NewTracker(office)
	read := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		tr.Handle(msgs[i%len(msgs)], read)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

// heapPerCall is the heap the tracker holds per call after every copy has
// run up to (not including) step stop.
func heapPerCall(tb testing.TB, f *fleet, copies, stop int) (perCall float64, active int) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	tr := NewTracker(office)
	read := time.Now()
	for step := 0; step < stop; step++ {
		for k := 0; k < copies; k++ {
			tr.Handle(f.message(step, k), read)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	active = tr.Active()
	runtime.KeepAlive(tr)
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(copies), active
}

// peakStep is the step of the incoming_queue recording with the most
// channels up: both agents' Local pairs ringing.
func peakStep(f *fleet) int {
	last := 0
	for i, m := range f.tmpl {
		if m.Event() == "DialState" {
			last = i
		}
	}
	return last + 1
}

// BenchmarkMemoryPerActiveCall reports the heap per call with 10,000 calls
// in progress, each at its peak (six channels: the customer's Local pair
// and both agents' pairs ringing).
func BenchmarkMemoryPerActiveCall(b *testing.B) {
	const copies = 10_000
	f := newFleet(b, "incoming_queue", copies)
	var per float64
	for i := 0; i < b.N; i++ {
		var active int
		per, active = heapPerCall(b, f, copies, peakStep(f))
		if active != copies {
			b.Fatalf("%d calls active, want %d", active, copies)
		}
	}
	b.ReportMetric(per, "bytes/call")
}

// TestMemoryPerActiveCall holds the tracker to its budget of 4 KiB per call
// in progress (at 2,000 calls, to stay fast; the benchmark uses 10,000).
func TestMemoryPerActiveCall(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a few megabytes")
	}
	const copies = 2_000
	f := newFleet(t, "incoming_queue", copies)
	per, active := heapPerCall(t, f, copies, peakStep(f))
	if active != copies {
		t.Fatalf("%d calls active, want %d", active, copies)
	}
	t.Logf("%.0f bytes per active call", per)
	if per > 4096 {
		t.Errorf("%.0f bytes per active call, want at most 4096", per)
	}
}
