package tests

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amitest"
	"github.com/google/go-cmp/cmp"
)

// transcripts is where the recorded AMI conversations are, relative to
// this package (the repository's copy: a clone has no ../shared).
const transcripts = "../testdata/ami/"

// recorded returns what Asterisk answered to the action with ActionID id
// in a transcript: its response and list events, in order.
func recorded(t testing.TB, file, id string) []ami.Message {
	t.Helper()
	blocks, err := amitest.ParseTranscript(transcripts + file)
	if err != nil {
		t.Fatal(err)
	}
	var out []ami.Message
	for i, b := range blocks {
		if b.Dir != amitest.Sent || !strings.Contains(string(b.Data), "ActionID: "+id+"\r\n") {
			continue
		}
		for _, r := range blocks[i+1:] {
			if r.Dir == amitest.Sent {
				break
			}
			msgs, err := amitest.Messages(r.Data)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				if m.ActionID() == id {
					out = append(out, m)
				}
			}
		}
		return out
	}
	t.Fatalf("%s: no action %s", file, id)
	return nil
}

// withActionID returns copies of msgs answering the action with this id.
func withActionID(msgs []ami.Message, id string) []ami.Message {
	out := make([]ami.Message, len(msgs))
	for i, m := range msgs {
		out[i].Fields = slices.Clone(m.Fields)
		for j := range out[i].Fields {
			if strings.EqualFold(out[i].Fields[j].Name, "ActionID") {
				out[i].Fields[j].Value = id
			}
		}
	}
	return out
}

// replay answers an action with the recorded answer under its ActionID.
func replay(msgs []ami.Message) amitest.Handler {
	return func(c *amitest.Conn, a ami.Message) { _ = c.Write(withActionID(msgs, a.ActionID())...) }
}

// fakeAMI is an amitest server that answers every action the service
// sends with what the recorded Asterisk answered to the same action.
func fakeAMI(t testing.TB) *amitest.Server {
	t.Helper()
	return amitest.Start(t, amitest.Config{Handlers: map[string]amitest.Handler{
		"Originate":          replay(recorded(t, "click_to_call_channelid.txt", "c2c-chanid-1")),
		"CoreShowChannels":   replay(recorded(t, "core_show_channels.txt", "csc-idle")),
		"DeviceStateList":    replay(recorded(t, "device_state.txt", "dsl-1")),
		"ExtensionStateList": replay(recorded(t, "device_state.txt", "esl-1")),
		"QueueSummary":       replay(recorded(t, "queue_summary.txt", "qsum-all")),
		"QueueStatus":        replay(recorded(t, "queue_status.txt", "qs-support")),
		"BlindTransfer":      replay(recorded(t, "blind_transfer_action.txt", "bt-1")),
		"Atxfer":             replay(recorded(t, "attended_transfer_atxfer.txt", "atx-1")),
		"Hangup":             replay(recorded(t, "hangup.txt", "hangup-1")),
	}})
}

// startWithFakeAMI runs the service against a fake AMI with dial and
// transfer contexts of its own, so that the test sees they come from
// configuration.
func startWithFakeAMI(t *testing.T, more ...string) (*amitest.Server, *service) {
	t.Helper()
	srv := fakeAMI(t)
	env := append(baseEnv(srv.Addr(), t.TempDir()),
		"AMIGATE_DIAL_CONTEXT=crm-outbound", "AMIGATE_TRANSFER_CONTEXT=crm-transfer")
	svc := startService(t, append(env, more...))
	return srv, svc
}

// nextAction returns the next action the service sent that is not
// connection housekeeping (login, ping, the resync's CoreShowChannels,
// DeviceStateList, ExtensionStateList and QueueStatus of every queue).
func nextAction(t testing.TB, srv *amitest.Server) ami.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		a, err := srv.Action(ctx)
		if err != nil {
			t.Fatalf("no action from the service: %v", err)
		}
		if housekeeping(a) {
			continue
		}
		return a
	}
}

// fields renders an action as its "Name: Value" lines, in order: the
// bytes on the wire but for the CRLFs.
// housekeeping reports whether an action is the service's own, not a
// request's: login, ping, and the resyncs after a login (CoreShowChannels,
// then DeviceStateList, ExtensionStateList and QueueStatus of every queue),
// which a login may send at any moment of a test.
func housekeeping(a ami.Message) bool {
	switch strings.ToLower(a.Get("Action")) {
	case "challenge", "login", "ping", "coreshowchannels", "events", "devicestatelist", "extensionstatelist":
		return true
	case "queuestatus":
		return a.Get("Queue") == ""
	}
	return false
}

func fields(m ami.Message) []string {
	out := make([]string, len(m.Fields))
	for i, f := range m.Fields {
		out[i] = f.Name + ": " + f.Value
	}
	return out
}

// checkAction asserts the action's lines, with the ActionID checked by
// the caller (it is the service's to choose) unless want gives it.
func checkAction(t *testing.T, got ami.Message, want ...string) {
	t.Helper()
	lines := fields(got)
	if !slices.ContainsFunc(want, func(s string) bool { return strings.HasPrefix(s, "ActionID: ") }) {
		lines = slices.DeleteFunc(lines, func(s string) bool { return strings.HasPrefix(s, "ActionID: ") })
		if got.ActionID() == "" {
			t.Errorf("%s without ActionID", got.Get("Action"))
		}
	}
	if d := cmp.Diff(want, lines); d != "" {
		t.Errorf("%s sent (-want +got):\n%s", got.Get("Action"), d)
	}
}

// answeredCall replays the recorded product click-to-call up to the
// moment the agent and the customer are bridged, with the ids the
// service chose in its Originate, so that the service's correlator holds
// an answered call with the recorded channels.
func answeredCall(t *testing.T, srv *amitest.Server, originate ami.Message) {
	t.Helper()
	blocks, err := amitest.ParseTranscript(transcripts + "click_to_call_channelid.txt")
	if err != nil {
		t.Fatal(err)
	}
	var events []ami.Message
	afterOriginate := false
	for _, b := range blocks {
		if b.Dir == amitest.Sent {
			afterOriginate = afterOriginate || strings.Contains(string(b.Data), "Action: Originate")
			continue
		}
		if !afterOriginate {
			continue
		}
		msgs, err := amitest.Messages(b.Data)
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, msgs...)
	}
	r := strings.NewReplacer(
		"0f8fad5b-d9cb-469f-a165-70867728950e", originate.Get("ChannelId"),
		"7c9e6679-7425-40de-944b-e07fc1f90ae7", originate.Get("OtherChannelId"),
		"c2c-chanid-1", originate.ActionID(),
	)
	var out []ami.Message
	for _, m := range events {
		if !m.IsEvent() {
			continue
		}
		if strings.Contains(m.Event(), "Hangup") {
			break // bridged: the conversation is on
		}
		for i := range m.Fields {
			m.Fields[i].Value = r.Replace(m.Fields[i].Value)
		}
		out = append(out, m)
	}
	srv.Emit(out...)
}
