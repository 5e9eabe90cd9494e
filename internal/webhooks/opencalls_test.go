package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/amigate/amigate"
)

func callEvent(callID, typ string, seq int64) amigate.CallEvent {
	return amigate.CallEvent{
		ID:         fmt.Sprintf("evt_%s_%d", callID, seq),
		Type:       typ,
		OccurredAt: time.Now().UTC(),
		Sequence:   seq,
		Call:       amigate.Call{ID: callID, State: amigate.StateRinging, Channels: []amigate.Channel{{Name: "PJSIP/101-1", Uniqueid: "1.1"}}},
	}
}

// storeOnly stores events the way Publish does but records nothing of the
// open calls: what a process killed between the two leaves.
func storeOnly(t *testing.T, d *Dispatcher, evs ...amigate.CallEvent) {
	t.Helper()
	for _, ev := range evs {
		body, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.st.js.Publish(context.Background(), eventSubject(ev.Type, ev.ID), body, jetstream.WithMsgID(ev.ID)); err != nil {
			t.Fatal(err)
		}
	}
}

func openCallSteps(t *testing.T, d *Dispatcher) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	open, err := d.OpenCalls(ctx)
	if err != nil {
		t.Fatalf("OpenCalls: %v", err)
	}
	var out []string
	for _, ev := range open {
		out = append(out, fmt.Sprintf("%s %s #%d", ev.Call.ID, ev.Type, ev.Sequence))
	}
	return out
}

// The calls a process reported and did not end are known to the next one
// on the same store, with their last event, also when the process was
// killed after storing events and before recording them.
func TestOpenCallsAcrossRestart(t *testing.T) {
	cfg := testConfig(t)
	d1, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	meta := json.RawMessage(`{"deal":7}`)
	a2 := callEvent("a", amigate.EventCallAnswered, 2)
	a2.Call.Metadata = meta
	publish(t, d1, []amigate.CallEvent{
		callEvent("a", amigate.EventCallRinging, 1), callEvent("b", amigate.EventCallRinging, 1),
		a2, callEvent("b", amigate.EventCallEnded, 2),
	})
	publish(t, d1, []amigate.CallEvent{callEvent("c", amigate.EventCallRinging, 1)})
	if got, want := openCallSteps(t, d1), []string{"a call.answered #2", "c call.ringing #1"}; !slices.Equal(got, want) {
		t.Errorf("open calls = %q, want %q", got, want)
	}
	// Killed between storing and recording: c ended, d began.
	storeOnly(t, d1, callEvent("c", amigate.EventCallEnded, 2), callEvent("d", amigate.EventCallRinging, 1))
	if err := d1.close(context.Background(), false); err != nil {
		t.Fatal(err)
	}

	d2 := open(t, cfg)
	want := []string{"a call.answered #2", "d call.ringing #1"}
	if got := openCallSteps(t, d2); !slices.Equal(got, want) {
		t.Errorf("after the restart, open calls = %q, want %q", got, want)
	}
	open, err := d2.OpenCalls(context.Background())
	if err != nil || len(open) == 0 || string(open[0].Call.Metadata) != string(meta) || len(open[0].Call.Channels) != 1 {
		t.Errorf("open call a = %+v, %v; want its metadata and channels kept", open, err)
	}
	// Read again: the catch-up was recorded, nothing changes.
	if got := openCallSteps(t, d2); !slices.Equal(got, want) {
		t.Errorf("read again, open calls = %q, want %q", got, want)
	}
	publish(t, d2, []amigate.CallEvent{callEvent("a", amigate.EventCallEnded, 3), callEvent("d", amigate.EventCallEnded, 2)})
	if got := openCallSteps(t, d2); len(got) != 0 {
		t.Errorf("after both ended, open calls = %q", got)
	}
}

// refusingKV refuses to record one call while refuse is set.
type refusingKV struct {
	jetstream.KeyValue
	key     string
	refuse  atomic.Bool
	refused atomic.Int64
}

func (k *refusingKV) Put(ctx context.Context, key string, v []byte) (uint64, error) {
	if key == k.key && k.refuse.Load() {
		k.refused.Add(1)
		return 0, errors.New("refused")
	}
	return k.KeyValue.Put(ctx, key, v)
}

// A call's record the store refuses is tried again, the checkpoint stays
// behind its event meanwhile (a restart reads it back from the stream),
// and a process killed with records not yet written leaves nothing wrong:
// the next one reads back what is missing.
func TestOpenCallsRecordedAfterRefusal(t *testing.T) {
	cfg := testConfig(t)
	d1, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	kv := &refusingKV{KeyValue: d1.st.openCalls, key: openKey("x")}
	kv.refuse.Store(true)
	d1.st.openCalls = kv // before the first Publish wakes the writer
	publish(t, d1, []amigate.CallEvent{callEvent("x", amigate.EventCallRinging, 1)})
	publish(t, d1, []amigate.CallEvent{callEvent("y", amigate.EventCallRinging, 1)})
	waitFor(t, "x refused and y recorded", 10*time.Second, func() bool {
		_, err := kv.KeyValue.Get(context.Background(), openKey("y"))
		return kv.refused.Load() > 0 && err == nil
	})
	if e, err := kv.KeyValue.Get(context.Background(), checkpointKey); err == nil {
		t.Errorf("checkpoint %s written while x's record, at sequence 1, was refused", e.Value())
	}
	kv.refuse.Store(false)
	if got, want := openCallSteps(t, d1), []string{"x call.ringing #1", "y call.ringing #1"}; !slices.Equal(got, want) {
		t.Errorf("open calls = %q, want %q", got, want)
	}
	// Killed at once after storing: the records may not be written.
	publish(t, d1, []amigate.CallEvent{callEvent("x", amigate.EventCallAnswered, 2), callEvent("z", amigate.EventCallRinging, 1)})
	if err := d1.close(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	d2 := open(t, cfg)
	if got, want := openCallSteps(t, d2), []string{"x call.answered #2", "y call.ringing #1", "z call.ringing #1"}; !slices.Equal(got, want) {
		t.Errorf("after the restart, open calls = %q, want %q", got, want)
	}
}
