package presence

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	devices "github.com/amigate/amigate/internal/agent"
	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/calls"
)

// fleet replays the freepbx_queue recording (a queue call ringing two
// agents through Local chains, with the device, hint and queue-member
// events of both agents in two queues) as many concurrent copies, each
// with its own ids and its own two agents, without holding a message per
// copy: a copy's message is the template with its values swapped in a
// reused buffer.
type fleet struct {
	tmpl  []ami.Message
	slots [][]slot   // per template message: the fields that differ per copy
	vals  [][]string // per copy: its value of every distinct swapped value
	buf   []ami.Field
}

type slot struct{ field, val int }

// swapped reports whether a field's value differs per copy: an id, or a
// name of agent 101 or 102.
func swapped(name, value string) bool {
	name = strings.ToLower(name)
	return value != "" && value != "<unknown>" &&
		(strings.HasSuffix(name, "uniqueid") || strings.HasSuffix(name, "linkedid") ||
			strings.Contains(value, "101") || strings.Contains(value, "102"))
}

func newFleet(tb testing.TB, name string, copies int) *fleet {
	f := &fleet{}
	index := map[string]int{}
	var distinct []string
	for _, m := range readStream(tb, name) {
		if !m.IsEvent() || m.ActionID() != "" {
			continue
		}
		var ss []slot
		for i, fl := range m.Fields {
			if fl.Name == "Timestamp" || !swapped(fl.Name, fl.Value) {
				continue
			}
			id, ok := index[fl.Value]
			if !ok {
				id = len(distinct)
				index[fl.Value] = id
				distinct = append(distinct, fl.Value)
			}
			ss = append(ss, slot{field: i, val: id})
		}
		f.tmpl = append(f.tmpl, m)
		f.slots = append(f.slots, ss)
		f.buf = make([]ami.Field, max(len(f.buf), len(m.Fields)))
	}
	f.vals = make([][]string, copies)
	for k := range f.vals {
		r := strings.NewReplacer("101", fmt.Sprint(10000+2*k), "102", fmt.Sprint(10001+2*k))
		f.vals[k] = make([]string, len(distinct))
		for i, v := range distinct {
			if strings.Contains(v, "101") || strings.Contains(v, "102") {
				f.vals[k][i] = r.Replace(v)
			} else {
				f.vals[k][i] = fmt.Sprintf("%d-%s", k, v)
			}
		}
	}
	return f
}

func (f *fleet) message(step, k int) ami.Message {
	t := f.tmpl[step]
	fs := f.buf[:len(t.Fields)]
	copy(fs, t.Fields)
	for _, s := range f.slots[step] {
		fs[s.field].Value = f.vals[k][s.val]
	}
	return ami.Message{Fields: fs}
}

// benchPipeline runs the copies in lockstep through the call model, and
// the presence tracker when p is not nil, as the event pipeline does.
func benchPipeline(b *testing.B, withPresence bool) {
	const copies = 2_000
	f := newFleet(b, "freepbx_queue", copies)
	c := calls.NewTracker(calls.Config{Devices: devices.MustNew(office, "")})
	var p *Tracker
	if withPresence {
		p = New(Config{Devices: testDevices(b, office)})
	}
	read := time.Now()
	step, k := 0, 0
	var agentEvents int
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		m := f.message(step, k)
		evs := c.Handle(m, read)
		if p != nil {
			agentEvents += len(p.Handle(m, read)) + len(p.CallEvents(evs))
		}
		if k++; k == copies {
			k = 0
			if step++; step == len(f.tmpl) {
				step = 0
			}
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	if p != nil && b.N >= copies*len(f.tmpl) && agentEvents == 0 {
		b.Fatal("presence produced no agent event")
	}
}

// BenchmarkPipeline measures the call model and the presence tracker
// together on one stream (2,000 concurrent FreePBX-style queue calls,
// 4,000 agents); BenchmarkPipelineCallsOnly the call model alone on the
// same stream, for the ratio.
func BenchmarkPipeline(b *testing.B)          { benchPipeline(b, true) }
func BenchmarkPipelineCallsOnly(b *testing.B) { benchPipeline(b, false) }

// heapPerAgent is the heap the tracker holds per agent with n agents, each
// with a SIP and a Local device, a hint and three queue memberships.
func heapPerAgent(tb testing.TB, n int) float64 {
	msgs := make([]ami.Message, 0, n*6)
	for i := range n {
		ext := fmt.Sprint(10000 + i)
		msgs = append(msgs,
			msg("Event", "DeviceStateChange", "Device", "PJSIP/"+ext, "State", "NOT_INUSE"),
			msg("Event", "DeviceStateChange", "Device", "Local/"+ext+"@phones", "State", "NOT_INUSE"),
			msg("Event", "ExtensionStatus", "Exten", ext, "Hint", "Local/"+ext+"@phones", "Status", "0"))
		for _, q := range []string{"support", "sales", "vip"} {
			msgs = append(msgs, msg("Event", "QueueMemberStatus", "Queue", q, "MemberName", "Agent "+ext, "Interface", "Local/"+ext+"@phones",
				"CallsTaken", "12", "LastCall", "1795449237", "Paused", "0"))
		}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	p := New(Config{Devices: testDevices(tb, office), MaxAgents: n})
	now := time.Now()
	for _, m := range msgs {
		p.Handle(m, now)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if p.Len() != n {
		tb.Fatalf("%d agents, want %d", p.Len(), n)
	}
	runtime.KeepAlive(p)
	runtime.KeepAlive(msgs)
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
}

// BenchmarkMemoryPerAgent reports the heap per agent with 10,000 agents.
func BenchmarkMemoryPerAgent(b *testing.B) {
	var per float64
	for range b.N {
		per = heapPerAgent(b, 10_000)
	}
	b.ReportMetric(per, "bytes/agent")
}

// TestMemoryPerAgent holds the tracker to 1 KiB per agent (the README's
// budget), at 2,000 agents to stay fast.
func TestMemoryPerAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a few megabytes")
	}
	per := heapPerAgent(t, 2_000)
	t.Logf("%.0f bytes per agent", per)
	if per > 1024 {
		t.Errorf("%.0f bytes per agent, want at most 1024", per)
	}
}
