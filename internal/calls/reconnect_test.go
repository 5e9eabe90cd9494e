package calls

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
)

// runReconnect reads a recording with one reconnect: the messages in
// [lost, login) are lost (read while disconnected), and the channel list
// asked for after the login completes just before message listed (lost <=
// login <= listed <= len): the tracker handles everything read before it,
// then reconciles with what the PBX then had, then reads on — as the
// pipeline applies a resync at its place in the stream.
// recording is a scenario's messages and the actions the API sent in it.
type recording struct {
	msgs                    []ami.Message
	cfg                     Config
	originate, atxfer       ami.Message
	hasOriginate, hasAtxfer bool
}

func runReconnect(r recording, lost, login, listed int) []amigate.CallEvent {
	msgs, cfg, o, hasOriginate := r.msgs, r.cfg, r.originate, r.hasOriginate
	read := time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC)
	cfg.Now = func() time.Time { return read }
	tr := NewTracker(cfg)
	var evs []amigate.CallEvent
	expected := false
	for i := 0; i <= len(msgs); i++ {
		if i == listed {
			evs = append(evs, tr.Reconcile(showChannels(msgs[:i], read), read)...)
		}
		if i == len(msgs) {
			break
		}
		m := msgs[i]
		if ts := m.Get("Timestamp"); ts != "" {
			read = eventTime(&m, read)
		}
		if hasOriginate && !expected && m.ActionID() == o.ActionID() {
			// The API registers its call whatever the connection does.
			expectFrom(tr, o, read)
			expected = true
		}
		if i >= lost && i < login {
			continue
		}
		evs = append(evs, tr.Handle(m, read)...)
		if r.hasAtxfer && m.ActionID() == r.atxfer.ActionID() && m.Response() == "Success" {
			// The API tells the tracker of the Atxfer Asterisk accepted
			// (a response lost with the connection fails the request).
			for _, ch := range tr.channels {
				if ch.name == r.atxfer.Get("Channel") {
					tr.ExpectAtxfer(ch.call.id, ch.name, r.atxfer.Get("Exten"), read)
				}
			}
		}
	}
	return evs
}

// byCall groups events per call id, in order.
func byCall(evs []amigate.CallEvent) map[string][]amigate.CallEvent {
	out := map[string][]amigate.CallEvent{}
	for _, e := range evs {
		out[e.Call.ID] = append(out[e.Call.ID], e)
	}
	return out
}

// lifecycleError says how a call's events are not a real call's lifecycle:
// sequences strictly increasing, nothing after call.ended, no call.ringing
// of an agent after its call.answered (until a transfer).
func lifecycleError(evs []amigate.CallEvent) string {
	var answered []string
	ended := false
	for i, e := range evs {
		if i > 0 && e.Sequence <= evs[i-1].Sequence {
			return fmt.Sprintf("event %d: sequence %d after %d", i, e.Sequence, evs[i-1].Sequence)
		}
		if ended {
			return fmt.Sprintf("event %d: %s after call.ended", i, e.Type)
		}
		agent := ""
		if e.Agent != nil {
			agent = e.Agent.Extension
		}
		switch e.Type {
		case amigate.EventCallRinging:
			if slices.Contains(answered, agent) {
				return fmt.Sprintf("event %d: call.ringing of %s after its call.answered", i, agent)
			}
		case amigate.EventCallAnswered:
			answered = append(answered, agent)
		case amigate.EventCallTransferred:
			answered = nil
		case amigate.EventCallEnded:
			ended = true
		}
	}
	return ""
}

// firstOf is, per call id a recording can give, the index of the first
// message of its Linkedid.
func firstOf(msgs []ami.Message) map[string]int {
	out := map[string]int{}
	for i := range msgs {
		l := msgs[i].Get("Linkedid")
		if l == "" {
			continue
		}
		for _, id := range []string{unexpectedCallID(l), l} {
			if _, ok := out[id]; !ok {
				out[id] = i
			}
		}
	}
	return out
}

// TestReconnectAnywhere is a property test over every recording: a
// reconnect at random places (random loss, login and list points), with
// the list applied where it lands in the stream. Every call's events are a
// real call's lifecycle; a call that had ended by the end of the recording
// got exactly one call.ended; and a call seen from its start (all of it
// read after the lost stretch, or nothing lost) gets exactly the events a
// reader that never reconnected sends.
func TestReconnectAnywhere(t *testing.T) {
	const trials = 40
	for si, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			msgs := readStream(t, streamPath(sc.name))
			n := len(msgs)
			whole, _, _ := run(t, sc.name, sc.cfg)
			wholeBy := byCall(whole)
			first := firstOf(msgs)
			allGone := len(showChannels(msgs, time.Now())) == 0
			r := recording{msgs: msgs, cfg: sc.cfg}
			r.originate, r.hasOriginate = originate(t, sc.name)
			r.atxfer, r.hasAtxfer = sentAction(t, sc.name, "Atxfer", "Channel")
			rng := rand.New(rand.NewPCG(uint64(si), 9))
			for trial := range trials {
				lost := rng.IntN(n + 1)
				login := lost
				if trial%2 == 1 { // half the trials lose events
					login += rng.IntN(n - lost + 1)
				}
				listed := login + rng.IntN(n-login+1)
				where := fmt.Sprintf("lost [%d,%d), listed before %d of %d", lost, login, listed, n)
				got := byCall(runReconnect(r, lost, login, listed))
				for id, evs := range got {
					if err := lifecycleError(evs); err != "" {
						t.Fatalf("%s: call %s: %s\n%s", where, id, err, briefAll(evs))
					}
					if allGone && evs[len(evs)-1].Type != amigate.EventCallEnded {
						t.Fatalf("%s: call %s never ended\n%s", where, id, briefAll(evs))
					}
					start, known := first[id]
					if !known || (lost != login && start < login) {
						continue // not seen from its start
					}
					if a, b := briefAll(wholeBy[id]), briefAll(evs); a != b {
						t.Fatalf("%s: call %s differs from a reader that never reconnected:\nwant:\n%s\ngot:\n%s", where, id, a, b)
					}
				}
			}
		})
	}
}

func briefAll(evs []amigate.CallEvent) string {
	var s string
	for _, e := range evs {
		s += fmt.Sprintf("  #%d %s\n", e.Sequence, stepOf(e))
	}
	return s
}
