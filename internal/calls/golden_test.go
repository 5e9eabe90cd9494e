package calls

import (
	"regexp"

	"github.com/amigate/amigate/internal/agent"

	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/")

const transcripts = "../../testdata/ami/raw"

// office is the configuration of the recorded PBX, the whole office at
// once: agents answer on Local channels into the phones context and on SIP
// phones. FreePBX-style queue members (Local/10X@from-queue/n) are left out
// on purpose: they are recognised through the Local chain to the phone.
var office = Config{Devices: agent.MustNew([]string{"Local/{ext}@phones", "PJSIP/{ext}"}, "")}

// readTranscript returns the messages of a recorded .in stream.
func readTranscript(t testing.TB, name string) []ami.Message {
	t.Helper()
	return readStream(t, filepath.Join(transcripts, name+".in"))
}

// readStream returns the messages of an AMI byte stream, banner first.
func readStream(t testing.TB, path string) []ami.Message {
	t.Helper()
	f, err := os.Open(path)
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

// originate is the Originate action a transcript sent, when it used a
// ChannelId as the product does.
func originate(t testing.TB, name string) (ami.Message, bool) {
	return sentAction(t, name, "Originate", "ChannelId")
}

// atxferAccepted tells the tracker of the recording's Atxfer when m is
// Asterisk's Success answer to it, as the API does.
func atxferAccepted(tr *Tracker, ax, m ami.Message, at time.Time) {
	if m.ActionID() != ax.ActionID() || m.Response() != "Success" {
		return
	}
	for _, ch := range tr.channels {
		if ch.name == ax.Get("Channel") {
			tr.ExpectAtxfer(ch.call.id, ch.name, ax.Get("Exten"), at)
		}
	}
}

// sentAction is the first action named action a transcript sent that has
// the header with.
func sentAction(t testing.TB, name, action, with string) (ami.Message, bool) {
	t.Helper()
	f, err := os.Open(filepath.Join(transcripts, name+".out"))
	if errors.Is(err, os.ErrNotExist) {
		return ami.Message{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := ami.NewReader(bufio.NewReader(f), 0)
	for {
		m, err := r.ReadMessage()
		if err != nil {
			return ami.Message{}, false
		}
		if ami.EqualFold(m.Get("Action"), action) && m.Get(with) != "" {
			return m, true
		}
	}
}

// expectFrom registers the call the API would have registered before
// sending this Originate.
func expectFrom(tr *Tracker, o ami.Message, at time.Time) {
	ext := tr.match.agentExt(o.Get("Channel") + "-00000000")
	tr.Expect(amigate.Call{
		ID:        o.Get("ChannelId"),
		Direction: amigate.DirectionOutbound,
		State:     amigate.StateDialing,
		Customer:  &amigate.Party{Number: o.Get("Exten")},
		Agent:     &amigate.Agent{Extension: ext},
		StartedAt: at,
		Metadata:  []byte(`{"deal":42}`),
	}, o.ActionID())
}

// scenarios are the recorded call scenarios, plus an Asterisk 11 call
// from the seeds (testdata/asterisk11_internal.in: SIP/101 calls SIP/102,
// Dial SubEvent, Bridge/Unlink, no Linkedid).
var scenarios = []struct {
	name string
	cfg  Config
}{
	{"click_to_call", office},
	{"click_to_call_channelid", office},
	{"click_to_call_congestion", office},
	{"originate_busy", office},
	{"originate_noanswer", office},
	{"incoming_queue", office},
	{"incoming_direct", office},
	{"redirect_blind_transfer", office},
	{"redirect_blind_transfer_via_dial", office},
	{"blind_transfer_action", office},
	{"attended_transfer_atxfer", office},
	{"attended_transfer_atxfer_no_feature", office},
	{"hangup", office},
	{"queue_abandon", office},
	{"caller_hangs_up_ringing", office},
	{"pjsip_click_to_call", office},
	{"queue_status", office},
	{"freepbx_queue", office},
	{"ivr_then_queue", office},
	{"voicemail_after_no_answer", office},
	{"sip_phone_outbound", office},
	{"sip_internal_call", office},
	{"hold_unhold", office},
	{"device_state", office},
	{"attended_transfer_atxfer_2", office},
	{"attended_transfer_atxfer_3", office},
	{"attended_transfer_atxfer_4", office},
	{"attended_transfer_atxfer_5", office},
	{"attended_transfer_atxfer_no_target", office},
	{"asterisk11_internal", Config{Devices: agent.MustNew([]string{"SIP/{ext}"}, "")}},
}

// streamPath is where a scenario's received bytes are.
func streamPath(name string) string {
	if p := filepath.Join("testdata", name+".in"); fileExists(p) {
		return p
	}
	return filepath.Join(transcripts, name+".in")
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// run feeds a transcript through a tracker and returns the call events.
func run(t testing.TB, name string, cfg Config) ([]amigate.CallEvent, *Tracker, time.Time) {
	t.Helper()
	return runWanted(t, name, cfg, false)
}

// runWanted is run; with wanted, the tracker is handed only the events its
// Wants accepts from their text, as the event pipeline does.
func runWanted(t testing.TB, name string, cfg Config, wanted bool) ([]amigate.CallEvent, *Tracker, time.Time) {
	t.Helper()
	msgs := readStream(t, streamPath(name))
	read := time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC)
	cfg.Now = func() time.Time { return read }
	tr := NewTracker(cfg)
	var evs []amigate.CallEvent
	var t0 time.Time
	expected := false
	o, hasOriginate := originate(t, name)
	ax, hasAtxfer := sentAction(t, name, "Atxfer", "Channel")
	for _, m := range msgs {
		if ts := m.Get("Timestamp"); ts != "" {
			read = eventTime(&m, read) // a reader's clock that follows the recording
			if t0.IsZero() {
				t0 = read
			}
		}
		if hasOriginate && !expected && m.ActionID() == o.ActionID() {
			// The API registers the call before it sends the Originate,
			// so before its response.
			expectFrom(tr, o, read)
			expected = true
		}
		if !wanted || tr.Wants(ami.Frame(m.String())) {
			evs = append(evs, tr.Handle(m, read)...)
		}
		if hasAtxfer {
			atxferAccepted(tr, ax, m, read)
		}
	}
	return evs, tr, t0
}

// render is the golden form of a scenario's call events: one line each.
// Times are from the first event of the recording.
func render(evs []amigate.CallEvent, tr *Tracker, t0 time.Time) string {
	var b strings.Builder
	if t0.IsZero() && len(evs) > 0 {
		t0 = evs[0].OccurredAt // a stream without Timestamp headers
	}
	short := map[string]string{}
	for _, e := range evs {
		if _, ok := short[e.Call.ID]; !ok {
			short[e.Call.ID] = fmt.Sprintf("call%d", len(short)+1)
		}
	}
	for id, s := range short {
		fmt.Fprintf(&b, "%s = %s\n", s, id)
	}
	for _, e := range evs {
		c := e.Call
		fmt.Fprintf(&b, "%s #%d %-16s +%6.3fs", short[c.ID], e.Sequence, e.Type, e.OccurredAt.Sub(t0).Seconds())
		if e.Agent != nil {
			fmt.Fprintf(&b, " agent=%s", e.Agent.Extension)
		}
		if c.Customer != nil {
			fmt.Fprintf(&b, " customer=%s", c.Customer.Number)
			if c.Customer.Name != "" {
				fmt.Fprintf(&b, " (%s)", c.Customer.Name)
			}
		}
		if c.Caller != nil {
			fmt.Fprintf(&b, " caller=%s", c.Caller.Extension)
		}
		fmt.Fprintf(&b, " dir=%s state=%s", c.Direction, c.State)
		if c.Queue != "" {
			fmt.Fprintf(&b, " queue=%s", c.Queue)
		}
		if c.DID != "" {
			fmt.Fprintf(&b, " did=%s", c.DID)
		}
		if c.Agent != nil {
			fmt.Fprintf(&b, " call.agent=%s", c.Agent.Extension)
		}
		if len(c.Extensions) > 0 {
			fmt.Fprintf(&b, " exts=%s", strings.Join(c.Extensions, ","))
		}
		if e.Reason != "" {
			fmt.Fprintf(&b, " reason=%s", e.Reason)
		}
		if x := e.Transfer; x != nil {
			fmt.Fprintf(&b, " transfer=%s:%s->%s", x.Mode, x.FromExtension, x.ToExtension)
			if x.ToNumber != "" {
				fmt.Fprintf(&b, " to_number=%s", x.ToNumber)
			}
			if x.ToExtension == "" && x.ToNumber == "" {
				fmt.Fprintf(&b, " to=%s(unknown)", x.To)
			}
		}
		if e.Type == amigate.EventCallEnded {
			fmt.Fprintf(&b, " disposition=%s duration=%.3f talk=%.3f", c.Disposition, c.DurationSeconds, c.TalkSeconds)
			if c.HangupCause != nil {
				fmt.Fprintf(&b, " cause=%d(%s)", *c.HangupCause, c.HangupCauseText)
			}
		}
		if len(c.Metadata) > 0 {
			fmt.Fprintf(&b, " metadata=%s", c.Metadata)
		}
		fmt.Fprintf(&b, " id=%s\n", e.ID)
	}
	fmt.Fprintf(&b, "active after the stream: %d\n", tr.Active())
	return b.String()
}

func TestGolden(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			evs, tr, t0 := run(t, sc.name, sc.cfg)
			got := render(evs, tr, t0)
			path := filepath.Join("testdata", sc.name+".golden")
			if *updateGolden {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal([]byte(got), want) {
				t.Errorf("call events differ from %s (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}

// TestFreePBXMembersAsTemplates: listing the FreePBX members' Local
// channels as devices too (Local/{ext}@from-queue/n) changes nothing: one
// call.ringing per agent, not one per device of the chain, the same answer.
func TestFreePBXMembersAsTemplates(t *testing.T) {
	// Event ids name the channel concerned, which differs: left out.
	noIDs := regexp.MustCompile(` id=evt_[0-9a-f]+`)
	evs, tr, t0 := run(t, "freepbx_queue", office)
	want := noIDs.ReplaceAllString(render(evs, tr, t0), "")
	all := Config{Devices: agent.MustNew([]string{"Local/{ext}@phones", "PJSIP/{ext}", "Local/{ext}@from-queue/n"}, "")}
	evs, tr, t0 = run(t, "freepbx_queue", all)
	if got := noIDs.ReplaceAllString(render(evs, tr, t0), ""); got != want {
		t.Errorf("with the from-queue template:\n%s\nwithout:\n%s", got, want)
	}
}

// TestWantsLeavesOutOnlyUnused: every scenario handed only the events
// Wants accepts gives the same call events and calls as handed all of
// them, and Wants does leave some out.
func TestWantsLeavesOutOnlyUnused(t *testing.T) {
	left := 0
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			evs, tr, t0 := run(t, sc.name, sc.cfg)
			wevs, wtr, wt0 := runWanted(t, sc.name, sc.cfg, true)
			if all, only := render(evs, tr, t0), render(wevs, wtr, wt0); all != only {
				t.Errorf("handed only the wanted events:\n%s\nhanded all:\n%s", only, all)
			}
			for _, m := range readStream(t, streamPath(sc.name)) {
				if m.IsEvent() && !tr.Wants(ami.Frame(m.String())) {
					left++
				}
			}
		})
	}
	if left == 0 {
		t.Error("Wants accepted every event of every scenario")
	}
}

func TestWants(t *testing.T) {
	tr := NewTracker(Config{})
	for _, tc := range []struct {
		frame string
		want  bool
	}{
		{"Event: Newchannel\r\nUniqueid: 1.1\r\n\r\n", true},
		{"Event: Newexten\r\nUniqueid: 1.1\r\n\r\n", false},
		{"Event: Cdr\r\n\r\n", false},
		{"Event: VarSet\r\nVariable: AMIGATE_CALL_ID\r\nValue: c1\r\n\r\n", true},
		{"Event: VarSet\r\nVariable: DIALSTATUS\r\nValue: ANSWER\r\n\r\n", false},
		{"Event: Dial\r\nSubEvent: Begin\r\n\r\n", true},       // Asterisk 11
		{"Privilege: call,all\r\nEvent: Hangup\r\n\r\n", true}, // not led by Event: Handle decides
		{"event: Newexten\r\n\r\n", false},
	} {
		if got := tr.Wants(ami.Frame(tc.frame)); got != tc.want {
			t.Errorf("%q: Wants = %v, want %v", tc.frame, got, tc.want)
		}
	}
}
