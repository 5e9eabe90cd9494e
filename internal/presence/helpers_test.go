package presence

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/amigate/amigate"
	devices "github.com/amigate/amigate/internal/agent"
	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/calls"
)

// office is the recorded office's device templates, all at once: the
// phones' Local channels, the FreePBX-style queue's members and the SIP
// phones.
var office = []string{"Local/{ext}@phones", "Local/{ext}@from-queue/n", "PJSIP/{ext}"}

// readStream returns the messages Asterisk sent in a recording, banner
// first.
func readStream(t testing.TB, name string) []ami.Message {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "testdata", "ami", "raw", name+".in"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := ami.NewReader(f, 0)
	if _, err := r.ReadBanner(); err != nil {
		t.Fatal(err)
	}
	var out []ami.Message
	for {
		m, err := r.ReadMessage()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
}

// replay is a pipeline in small: every event of a recording goes through
// the call model and the presence tracker, in order, the list items of a
// DeviceStateList, ExtensionStateList and QueueStatus (as a resync would
// get them) into one Resync at the point the last of them completed.
type replay struct {
	t      testing.TB
	calls  *calls.Tracker
	p      *Tracker
	events []amigate.CallEvent // agent events, in order
	read   time.Time
	// wanted hands the presence tracker only the events its Wants
	// accepts from their text, as the event pipeline does.
	wanted bool
}

func newReplay(t testing.TB, templates []string, m Metrics) *replay {
	read := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	return &replay{
		t:     t,
		calls: calls.NewTracker(calls.Config{Devices: devices.MustNew(templates, ""), Now: func() time.Time { return read }}),
		p:     New(Config{Devices: testDevices(t, templates), Metrics: m}),
		read:  read,
	}
}

// run replays a recording's events.
func (r *replay) run(name string) {
	var snap Snapshot
	lists := 0
	for _, m := range readStream(r.t, name) {
		r.read = m.Time(r.read)
		if !m.IsEvent() {
			continue
		}
		if m.ActionID() != "" { // a list item
			switch m.Event() {
			case "DeviceStateChange":
				snap.Devices, snap.DevicesOK = append(snap.Devices, m), true
			case "ExtensionStatus":
				snap.Hints, snap.HintsOK = append(snap.Hints, m), true
			case "QueueParams", "QueueMember", "QueueEntry":
				snap.Queues, snap.QueuesOK = append(snap.Queues, m), true
			case "DeviceStateListComplete", "ExtensionStateListComplete", "QueueStatusComplete":
				if lists++; lists == 3 {
					snap.Calls = r.calls.List(amigate.CallFilter{})
					r.events = append(r.events, r.p.Resync(snap, r.read)...)
				}
			}
			continue
		}
		r.handle(m)
	}
}

func (r *replay) handle(m ami.Message) {
	evs := r.calls.Handle(m, r.read)
	if !r.wanted || r.p.Wants(ami.Frame(m.String())) {
		r.events = append(r.events, r.p.Handle(m, r.read)...)
	}
	r.events = append(r.events, r.p.CallEvents(evs)...)
}

// states is the sequence of states an agent went through.
func (r *replay) states(ext string) []string {
	var out []string
	for _, ev := range r.events {
		if ev.Type == amigate.EventAgentStateChanged && ev.Agent.Extension == ext {
			out = append(out, ev.Presence.State)
		}
	}
	return out
}

// ofType returns the agent events of one type for ext, as "queue:reason".
func (r *replay) ofType(ext, typ string) []string {
	var out []string
	for _, ev := range r.events {
		if ev.Type == typ && ev.Agent.Extension == ext {
			out = append(out, ev.Queue+":"+ev.Reason)
		}
	}
	return out
}
