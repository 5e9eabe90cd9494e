package tests

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRestartEndsEveryCall stops the service mid-stream (kill -9, and
// SIGTERM) while click-to-calls keep starting and ending; a new process on
// the same data dir settles what the first left open. Every call that got
// any webhook gets exactly one call.ended, after a lifecycle a real call
// can have, its sequence numbers consecutive across the restart; an end
// the new process did not see is flagged end_inferred.
func TestRestartEndsEveryCall(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"kill", "sigterm"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			o := office()
			o.CustomerTalk = 700 * time.Millisecond // calls end by themselves, some while no process watches
			e := start(t, o)
			dataDir := lastValue(e.svc.cmd.Env, "AMIGATE_DATA_DIR")

			// Calls keep starting until the stop, one agent after the other.
			stop := make(chan struct{})
			var placing sync.WaitGroup
			placing.Go(func() {
				for i := 0; i < 40; i++ {
					select {
					case <-stop:
						return
					default:
					}
					body := map[string]any{"from": fmt.Sprintf("10%d", 1+i%5), "to": fmt.Sprintf("790012399%02d", i)}
					r, err := e.api.try(http.MethodPost, "/v1/calls", body)
					if err != nil || r.Status != http.StatusAccepted {
						return // the service is going away
					}
				}
			})
			// Mid-stream: some calls ended, some reported and not ended.
			e.rcv.wait(wait, "calls ended and calls in progress", func(ds []delivery) bool {
				open, ended := openAndEnded(ds)
				return ended >= 2 && open >= 3
			})
			close(stop)
			placing.Wait()
			if how == "kill" {
				e.svc.kill()
			} else {
				e.svc.stop()
			}
			e.svc = startService(t, append(baseEnv(e.pbx.Addr, dataDir), e.rcv.env()...))
			e.api = newAPI(t, e.svc.URL, e.api.token)
			e.api.waitReady()

			e.rcv.wait(wait, "every call that got a webhook ended", func(ds []delivery) bool {
				open, _ := openAndEnded(ds)
				return open == 0
			})
			inferred := checkLifecycles(t, e.rcv.deliveries())
			t.Logf("%s: %d ends inferred by the new process", how, inferred)
		})
	}
}

// adoptedSequences is where the sequences of adopted calls begin: their
// first is the adoption's time in Unix milliseconds (2001 onwards).
const adoptedSequences = 1_000_000_000_000

// openAndEnded counts the calls with webhooks and no call.ended, and those
// with one.
func openAndEnded(ds []delivery) (open, ended int) {
	state := map[string]bool{}
	for _, d := range ds {
		id := d.Event.Call.ID
		state[id] = state[id] || d.Event.Type == "call.ended"
	}
	for _, e := range state {
		if e {
			ended++
		} else {
			open++
		}
	}
	return open, ended
}

// checkLifecycles asserts, per call, what a real call can deliver: one
// call.ended, last; no call.ringing of an agent after that agent's
// call.answered; sequences 1, 2, 3... It returns how many ends were
// inferred.
func checkLifecycles(t *testing.T, ds []delivery) (inferred int) {
	t.Helper()
	byCall := map[string][]event{}
	var ids []string
	seen := map[string]bool{}
	for _, d := range ds {
		if seen[d.WebhookID] {
			continue
		}
		seen[d.WebhookID] = true
		id := d.Event.Call.ID
		if byCall[id] == nil {
			ids = append(ids, id)
		}
		byCall[id] = append(byCall[id], d.Event)
	}
	for _, id := range ids {
		evs := byCall[id]
		// A call followed from its start numbers from 1. A call whose first
		// event no process stored before the kill is adopted by the new
		// process from the channel list, and numbers from its adoption
		// clock (milliseconds since the epoch, calls.adoptedAt): then its
		// events count on from there, one by one, as well.
		var base int64
		if len(evs) > 0 && evs[0].Sequence > adoptedSequences {
			base = evs[0].Sequence - 1
		}
		var steps []string
		answered := map[string]bool{}
		for i, ev := range evs {
			steps = append(steps, ev.Type+"("+ext(ev.Agent)+")")
			if want := base + int64(i+1); ev.Sequence != want {
				t.Errorf("call %s: event %d (%s) has sequence %d, want %d", id, i, ev.Type, ev.Sequence, want)
			}
			switch ev.Type {
			case "call.ended":
				if i != len(evs)-1 {
					t.Errorf("call %s: events after call.ended", id)
				}
				if ev.Call.EndInferred {
					inferred++
				}
			case "call.answered":
				answered[ext(ev.Agent)] = true
			case "call.ringing":
				if answered[ext(ev.Agent)] {
					t.Errorf("call %s: call.ringing of %s after its call.answered", id, ext(ev.Agent))
				}
			}
		}
		if n := strings.Count(strings.Join(steps, " "), "call.ended"); n != 1 {
			t.Errorf("call %s: %d call.ended (%s)", id, n, strings.Join(steps, " "))
		}
	}
	return inferred
}
