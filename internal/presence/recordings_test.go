package presence

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
)

// TestDeviceStateRecording: the lists after the login, a call that rings
// Local agent 101 (INUSE while ringing: the call model tells it rings),
// then a pause and an unpause in queue support.
func TestDeviceStateRecording(t *testing.T) {
	r := newReplay(t, office, nil)
	r.run("device_state")

	if got, want := r.states("101"), []string{"available", "ringing", "in_call", "available"}; !slices.Equal(got, want) {
		t.Errorf("101 went through %v, want %v", got, want)
	}
	if got, want := r.ofType("101", amigate.EventAgentPaused), []string{"support:lunch"}; !slices.Equal(got, want) {
		t.Errorf("101 paused %v, want %v", got, want)
	}
	if got, want := r.ofType("101", amigate.EventAgentUnpaused), []string{"support:"}; !slices.Equal(got, want) {
		t.Errorf("101 unpaused %v, want %v", got, want)
	}
	// The lists tell who the agents are: hints (101-103, 201, 202), SIP
	// devices (201-203), queue members (101, 102, 199, 201, 202...).
	var exts []string
	for _, a := range r.p.List() {
		exts = append(exts, a.Extension)
	}
	for _, ext := range []string{"101", "102", "103", "201", "202", "203"} {
		if !slices.Contains(exts, ext) {
			t.Errorf("agents %v lack %s", exts, ext)
		}
	}
	if slices.Contains(exts, "trunk") {
		t.Errorf("agents %v include the trunk", exts)
	}

	a, ok := r.p.Get("101")
	if !ok {
		t.Fatal("no agent 101")
	}
	want := amigate.AgentPresence{
		Extension: "101",
		Name:      "Agent 101",
		Devices:   []amigate.AgentDevice{{Name: "Local/101@phones", State: "NOT_INUSE"}},
		State:     amigate.AgentAvailable,
		Calls:     []string{},
		Since:     a.Since,
		Queues: []amigate.AgentQueue{
			{Queue: "fpq", Interface: "Local/101@from-queue/n"},
			{Queue: "support", Interface: "Local/101@phones"},
		},
	}
	slices.SortFunc(a.Queues, func(x, y amigate.AgentQueue) int { return strings.Compare(x.Queue, y.Queue) })
	if diff := cmp.Diff(want, a); diff != "" {
		t.Errorf("agent 101 (-want +got):\n%s", diff)
	}
	if a.Since.IsZero() {
		t.Error("since is zero")
	}
}

// TestHoldRecording: a SIP phone answers a customer, holds and resumes
// (re-INVITE sendonly, sendrecv), then hangs up.
func TestHoldRecording(t *testing.T) {
	r := newReplay(t, office, nil)
	r.run("hold_unhold")
	want := []string{"ringing", "in_call", "on_hold", "in_call", "available"}
	if got := r.states("203"); !slices.Equal(got, want) {
		t.Errorf("203 went through %v, want %v", got, want)
	}
	for _, ev := range r.events {
		if ev.Presence.State == amigate.AgentOnHold && len(ev.Presence.Calls) != 1 {
			t.Errorf("on hold with calls %v, want the one call", ev.Presence.Calls)
		}
	}
}

// TestInternalCallRecording: SIP phone 201 calls 202; both are agents.
func TestInternalCallRecording(t *testing.T) {
	r := newReplay(t, office, nil)
	r.run("sip_internal_call")
	if got := r.states("202"); len(got) < 3 || got[0] != "ringing" || !slices.Contains(got, "in_call") || got[len(got)-1] != "available" {
		t.Errorf("202 went through %v, want ringing, in_call, ..., available", got)
	}
	if got := r.states("201"); !slices.Contains(got, "in_call") || got[len(got)-1] != "available" {
		t.Errorf("201 went through %v, want in_call, then available", got)
	}
}

// TestFreePBXQueueRecording: a queue whose members are Local/10X@from-queue/n
// chains to the phones; 102 takes the call, 101 loses the race.
func TestFreePBXQueueRecording(t *testing.T) {
	r := newReplay(t, office, nil)
	r.run("freepbx_queue")
	if got := r.states("102"); !slices.Contains(got, "in_call") || got[len(got)-1] != "available" {
		t.Errorf("102 went through %v, want in_call, then available", got)
	}
	if got := r.states("101"); len(got) == 0 || got[len(got)-1] != "available" {
		t.Errorf("101 went through %v, want to end available", got)
	}
	a, _ := r.p.Get("102")
	var fpq *amigate.AgentQueue
	for i := range a.Queues {
		if a.Queues[i].Queue == "fpq" {
			fpq = &a.Queues[i]
		}
	}
	if fpq == nil || fpq.CallsTaken != 1 || fpq.LastCallAt == nil || fpq.LastCallAt.Unix() != 1795449237 {
		t.Errorf("102 in fpq: %+v, want 1 call taken, last at 1795449237", fpq)
	}
	if a.Name != "Agent 102" {
		t.Errorf("name %q, want Agent 102", a.Name)
	}
}

// TestCallRecordings: the states agents go through in recorded calls,
// from the call model's events and the devices.
func TestCallRecordings(t *testing.T) {
	for _, tt := range []struct {
		name    string
		want101 []string
		want102 []string
	}{
		// A ring-all queue: both ring, 102 takes it, 101 stops ringing.
		{"incoming_queue", []string{"ringing", "available"}, []string{"ringing", "in_call", "available"}},
		// 101 puts the customer on hold to consult 102, who takes the call over.
		{"attended_transfer_atxfer", []string{"ringing", "in_call", "on_hold", "in_call", "available"}, []string{"ringing", "in_call", "available"}},
		{"blind_transfer_action", []string{"ringing", "in_call", "available"}, []string{"ringing", "in_call", "available"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newReplay(t, office, nil)
			r.run(tt.name)
			if got := r.states("101"); !slices.Equal(got, tt.want101) {
				t.Errorf("101 went through %v, want %v", got, tt.want101)
			}
			if got := r.states("102"); !slices.Equal(got, tt.want102) {
				t.Errorf("102 went through %v, want %v", got, tt.want102)
			}
			for _, a := range r.p.List() {
				if len(a.Calls) != 0 {
					t.Errorf("%s still in calls %v after the recording", a.Extension, a.Calls)
				}
			}
		})
	}
}

// TestWantsLeavesOutOnlyUnused: every recording, with the presence tracker
// handed only the events Wants accepts, gives the same agent events and
// agents as handed all of them.
func TestWantsLeavesOutOnlyUnused(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "ami", "raw", "*.in"))
	if len(files) == 0 {
		t.Fatal("no recordings")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".in")
		t.Run(name, func(t *testing.T) {
			all, only := newReplay(t, office, nil), newReplay(t, office, nil)
			only.wanted = true
			all.run(name)
			only.run(name)
			if diff := cmp.Diff(all.events, only.events); diff != "" {
				t.Errorf("agent events (-all +wanted):\n%s", diff)
			}
			if diff := cmp.Diff(all.p.List(), only.p.List()); diff != "" {
				t.Errorf("agents (-all +wanted):\n%s", diff)
			}
		})
	}
}

func TestWants(t *testing.T) {
	p := New(Config{Devices: testDevices(t, office)})
	for _, tc := range []struct {
		frame string
		want  bool
	}{
		{"Event: DeviceStateChange\r\nDevice: PJSIP/101\r\nState: INUSE\r\n\r\n", true},
		{"Event: QueueMemberPause\r\n\r\n", true},
		{"Event: Newexten\r\n\r\n", false},
		{"Event: VarSet\r\n\r\n", false},
		{"Privilege: call,all\r\nEvent: Hold\r\n\r\n", true}, // not led by Event: Handle decides
	} {
		if got := p.Wants(ami.Frame(tc.frame)); got != tc.want {
			t.Errorf("%q: Wants = %v, want %v", tc.frame, got, tc.want)
		}
	}
}
