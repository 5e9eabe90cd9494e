package calls

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
)

// copyOf returns a transcript's events with every channel, call, bridge and
// action id made unique to copy k, so that k copies can run at once.
func copyOf(msgs []ami.Message, k int) []ami.Message {
	prefix := fmt.Sprintf("k%d-", k)
	var out []ami.Message
	for _, m := range msgs {
		if !m.IsEvent() {
			continue
		}
		fs := make([]ami.Field, len(m.Fields))
		for i, f := range m.Fields {
			name := strings.ToLower(f.Name)
			if f.Value != "" && f.Value != "<unknown>" &&
				(strings.HasSuffix(name, "uniqueid") || strings.HasSuffix(name, "linkedid") || name == "actionid") {
				f.Value = prefix + f.Value
			}
			fs[i] = f
		}
		out = append(out, ami.Message{Fields: fs})
	}
	return out
}

// summary is what must not change when calls interleave: per call, its
// events in order, ids included.
func summary(evs []amigate.CallEvent) map[string][]string {
	out := map[string][]string{}
	for _, e := range evs {
		s := fmt.Sprintf("#%d %s %s", e.Sequence, e.Type, e.ID)
		if e.Agent != nil {
			s += " agent=" + e.Agent.Extension
		}
		if e.Transfer != nil {
			s += fmt.Sprintf(" %s:%s->%s", e.Transfer.Mode, e.Transfer.FromExtension, e.Transfer.ToExtension)
		}
		if e.Call.Customer != nil {
			s += " customer=" + e.Call.Customer.Number
		}
		s += " " + e.Call.Direction + " " + e.Call.State + " " + e.Call.Disposition
		out[e.Call.ID] = append(out[e.Call.ID], s)
	}
	return out
}

func TestInterleavedCalls(t *testing.T) {
	names := []string{
		"incoming_queue", "click_to_call", "click_to_call_channelid", "blind_transfer_action",
		"attended_transfer_atxfer", "queue_abandon", "originate_busy", "caller_hangs_up_ringing",
		"redirect_blind_transfer_via_dial", "redirect_blind_transfer", "hangup",
	}
	type stream struct {
		msgs   []ami.Message
		expect *ami.Message
		want   map[string][]string // by call id
	}
	read := time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC)
	cfg := office
	cfg.Now = func() time.Time { return read }
	var base []stream
	for _, n := range names {
		msgs := readTranscript(t, n)
		s := stream{msgs: msgs}
		if o, ok := originate(t, n); ok {
			s.expect = &o
		}
		base = append(base, s)
	}
	prepare := func(s stream, k int) stream {
		c := stream{msgs: copyOf(s.msgs, k)}
		if s.expect != nil {
			o := copyOf([]ami.Message{{Fields: append([]ami.Field{{Name: "Event", Value: "x"}}, s.expect.Fields...)}}, k)[0]
			for i, f := range o.Fields {
				if ami.EqualFold(f.Name, "ChannelId") {
					o.Fields[i].Value = fmt.Sprintf("k%d-%s", k, f.Value)
				}
			}
			c.expect = &o
		}
		// Alone, the copy gives the reference events.
		tr := NewTracker(cfg)
		if c.expect != nil {
			expectFrom(tr, *c.expect, read)
		}
		var evs []amigate.CallEvent
		for _, m := range c.msgs {
			evs = append(evs, tr.Handle(m, read)...)
		}
		c.want = summary(evs)
		if len(c.want) == 0 {
			t.Fatalf("copy %d of a scenario produced no call events", k)
		}
		return c
	}

	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 42))
		var streams []stream
		for k := 0; k < 6; k++ {
			streams = append(streams, prepare(base[rng.IntN(len(base))], int(seed)*100+k))
		}
		tr := NewTracker(cfg)
		for _, s := range streams {
			if s.expect != nil {
				expectFrom(tr, *s.expect, read)
			}
		}
		// Random interleaving that keeps each stream's own order.
		pos := make([]int, len(streams))
		var evs []amigate.CallEvent
		for {
			var open []int
			for i, s := range streams {
				if pos[i] < len(s.msgs) {
					open = append(open, i)
				}
			}
			if len(open) == 0 {
				break
			}
			i := open[rng.IntN(len(open))]
			evs = append(evs, tr.Handle(streams[i].msgs[pos[i]], read)...)
			pos[i]++
		}
		got := summary(evs)
		want := map[string][]string{}
		for _, s := range streams {
			for id, l := range s.want {
				want[id] = l
			}
		}
		if len(got) != len(want) {
			t.Fatalf("seed %d: %d calls, want %d", seed, len(got), len(want))
		}
		for id, w := range want {
			if g := got[id]; strings.Join(g, "\n") != strings.Join(w, "\n") {
				t.Errorf("seed %d: call %s:\ngot  %q\nwant %q", seed, id, g, w)
			}
		}
		seen := map[string]bool{}
		ended := map[string]int{}
		for _, e := range evs {
			if seen[e.ID] {
				t.Errorf("seed %d: duplicate event id %s (%s)", seed, e.ID, e.Type)
			}
			seen[e.ID] = true
			if e.Type == amigate.EventCallEnded {
				ended[e.Call.ID]++
			}
		}
		for id := range want {
			if ended[id] != 1 {
				t.Errorf("seed %d: call %s ended %d times, want once", seed, id, ended[id])
			}
		}
		if n := tr.Active(); n != 0 {
			t.Errorf("seed %d: %d calls left open after every last Hangup", seed, n)
		}
	}
}
