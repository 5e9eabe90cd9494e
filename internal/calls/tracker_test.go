package calls

import (
	"github.com/amigate/amigate/internal/agent"

	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/amigate/amigate"
)

// twoCalls leaves one inbound call answered by 101 and one ringing 102.
func twoCalls() *script {
	return newScript().
		newchan("PJSIP/trunk-00000001", "1.1", "1.1", "from-trunk", "5550101", "79001112233").
		newchan("PJSIP/101-00000002", "1.2", "1.1", "from-internal", "s", "101").
		dial("1.1", "1.2", "101").ringing("1.2").dialEnd("1.2", "ANSWER").
		enter("b", "1.2").enter("b", "1.1").
		newchan("PJSIP/trunk-00000003", "2.1", "2.1", "from-trunk", "5550101", "79004445566").
		newchan("PJSIP/102-00000004", "2.2", "2.1", "from-internal", "s", "102").
		dial("2.1", "2.2", "102").ringing("2.2")
}

func TestListGetActive(t *testing.T) {
	tr := NewTracker(Config{})
	feed(tr, twoCalls().out)
	if n := tr.Active(); n != 2 {
		t.Fatalf("Active() = %d, want 2", n)
	}
	tests := []struct {
		f    amigate.CallFilter
		want []string
	}{
		{amigate.CallFilter{}, []string{callID("1.1"), callID("2.1")}},
		{amigate.CallFilter{State: amigate.StateAnswered}, []string{callID("1.1")}},
		{amigate.CallFilter{State: amigate.StateRinging}, []string{callID("2.1")}},
		{amigate.CallFilter{Extension: "102"}, []string{callID("2.1")}},
		{amigate.CallFilter{Extension: "101", State: amigate.StateRinging}, nil},
		{amigate.CallFilter{Extension: "999"}, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%+v", tt.f), func(t *testing.T) {
			var got []string
			for _, c := range tr.List(tt.f) {
				got = append(got, c.ID)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("List = %v, want %v", got, tt.want)
			}
		})
	}
	c, ok := tr.Get(callID("1.1"))
	if !ok || c.State != amigate.StateAnswered || len(c.Channels) != 2 || c.Agent == nil || c.Agent.Extension != "101" || c.AnsweredAt == nil {
		t.Errorf("Get = %+v, %v; want the answered call with its two channels", c, ok)
	}
	if _, ok := tr.Get("nope"); ok {
		t.Errorf("Get(nope) found a call")
	}
}

func TestEndedCallsRetentionAndBound(t *testing.T) {
	now := time.Unix(1_800_000_000, 0).UTC()
	tr := NewTracker(Config{MaxEnded: 2, Now: func() time.Time { return now }})
	for i := 1; i <= 3; i++ {
		uid := fmt.Sprintf("%d.1", i)
		feed(tr, newScript().
			newchan("PJSIP/trunk-00000001", uid, uid, "from-trunk", "5550101", "79001112233").
			hangup(uid, 16).out)
	}
	if _, ok := tr.Get(callID("1.1")); ok {
		t.Errorf("the oldest ended call is kept beyond MaxEnded")
	}
	for _, uid := range []string{"2.1", "3.1"} {
		c, ok := tr.Get(callID(uid))
		if !ok || c.State != amigate.StateEnded || c.Disposition != amigate.DispositionCanceled {
			t.Errorf("Get(%s) = %+v, %v; want an ended, canceled call", uid, c, ok)
		}
	}
	ended := time.Unix(1_800_000_001, 0).UTC() // the Hangup's Timestamp
	tr.Expire(ended.Add(DefaultRetention - time.Second))
	if _, ok := tr.Get(callID("3.1")); !ok {
		t.Errorf("an ended call was forgotten before the retention")
	}
	tr.Expire(ended.Add(DefaultRetention + time.Second))
	if _, ok := tr.Get(callID("3.1")); ok {
		t.Errorf("an ended call is still there after the retention")
	}
	if len(tr.ended) != 0 || len(tr.endedOrder) != 0 || len(tr.channels) != 0 || len(tr.byLinkedid) != 0 || len(tr.bridges) != 0 {
		t.Errorf("indexes not empty after Expire: %d %d %d %d %d", len(tr.ended), len(tr.endedOrder), len(tr.channels), len(tr.byLinkedid), len(tr.bridges))
	}
}

// Readers run while the event loop handles events: go test -race checks
// the locking.
func TestConcurrentReaders(t *testing.T) {
	tr := NewTracker(Config{})
	msgs := twoCalls().hangup("1.1", 16).hangup("1.2", 16).hangup("2.2", 19).hangup("2.1", 16).out
	var wg sync.WaitGroup
	done := make(chan struct{})
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				for _, c := range tr.List(amigate.CallFilter{}) {
					if got, ok := tr.Get(c.ID); ok && got.ID != c.ID {
						t.Errorf("Get(%s) returned %s", c.ID, got.ID)
					}
				}
				_ = tr.Active()
			}
		}()
	}
	for round := 0; round < 50; round++ {
		for _, m := range copyOf(msgs, round) {
			tr.Handle(m, time.Time{})
		}
	}
	close(done)
	wg.Wait()
	if n := tr.Active(); n != 0 {
		t.Errorf("Active() = %d, want 0", n)
	}
}

func TestEventIDsAreStable(t *testing.T) {
	a := feed(NewTracker(Config{}), twoCalls().out)
	b := feed(NewTracker(Config{}), twoCalls().out)
	if len(a) != len(b) || len(a) == 0 {
		t.Fatalf("%d and %d events", len(a), len(b))
	}
	seen := map[string]bool{}
	for i := range a {
		if a[i].ID != b[i].ID {
			t.Errorf("event %d: ids %s and %s from the same stream", i, a[i].ID, b[i].ID)
		}
		if seen[a[i].ID] {
			t.Errorf("duplicate id %s", a[i].ID)
		}
		seen[a[i].ID] = true
	}
}

func TestEventTime(t *testing.T) {
	read := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		ts   string
		want time.Time
	}{
		{"", read},
		{"1795331360.764061", time.Unix(1795331360, 764061000).UTC()},
		{"1795331360", time.Unix(1795331360, 0).UTC()},
		{"1795331360.5", time.Unix(1795331360, 500000000).UTC()},
		{"1795331360.1234567891", time.Unix(1795331360, 123456789).UTC()},
		{"junk", read},
		{"12.x", read},
	}
	for _, tt := range tests {
		m := ev("Hangup")
		if tt.ts != "" {
			m.Add("Timestamp", tt.ts)
		}
		if got := eventTime(&m, read); !got.Equal(tt.want) {
			t.Errorf("eventTime(%q) = %v, want %v", tt.ts, got, tt.want)
		}
	}
}

// TestNoLegCauseBeforeEnd: in a ring-all race the losing agent's leg hangs up
// with cause 26 (answered elsewhere) before the call is answered; that cause
// belongs to the leg, not to the call, until the call ends.
func TestNoLegCauseBeforeEnd(t *testing.T) {
	tr := NewTracker(Config{Devices: agent.MustNew([]string{"Local/{ext}@phones"}, "")})
	var sawAnswered bool
	for _, e := range feed(tr, readTranscript(t, "incoming_queue")) {
		switch e.Type {
		case amigate.EventCallEnded:
			if e.Call.HangupCause == nil {
				t.Errorf("call.ended without a hangup cause")
			}
		default:
			sawAnswered = sawAnswered || e.Type == amigate.EventCallAnswered
			if e.Call.HangupCause != nil {
				t.Errorf("%s carries hangup cause %d, want none before the call ends", e.Type, *e.Call.HangupCause)
			}
		}
	}
	if !sawAnswered {
		t.Fatal("no call.answered in incoming_queue")
	}
}
