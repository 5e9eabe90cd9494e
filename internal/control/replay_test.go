package control

import (
	"github.com/amigate/amigate/internal/agent"

	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/amiclient"
	"github.com/amigate/amigate/internal/amitest"
)

// replayClient connects the real AMI client to a server replaying a
// recorded Asterisk session; the server fails the test if the client sends
// anything but the recorded bytes (ActionIDs aside).
func replayClient(t *testing.T, transcript string) (*amiclient.Client, *amitest.Server, context.Context) {
	t.Helper()
	blocks, err := amitest.ParseTranscript(filepath.Join(transcripts, transcript))
	if err != nil {
		t.Fatal(err)
	}
	srv := amitest.Start(t, amitest.Config{Transcript: blocks, IgnoreActionID: true})
	c, err := amiclient.New(amiclient.Config{
		Addr: srv.Addr(), Username: "crm", Secret: "crmsecret", Auth: "plain",
		Events: eventsOf(t, blocks), PingInterval: -1, LoginTimeout: 300 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	if err := c.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	return c, srv, ctx
}

// eventsOf returns the Events header of the recorded Login.
func eventsOf(t *testing.T, blocks []amitest.Block) string {
	for _, b := range blocks {
		if b.Dir != amitest.Sent {
			continue
		}
		msgs, err := amitest.Messages(b.Data)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.Get("Action") == "Login" {
				return m.Get("Events")
			}
		}
	}
	return "on"
}

// finish logs off as the recording did and checks the replay completed.
func finish(t *testing.T, ctx context.Context, c *amiclient.Client, srv *amitest.Server) {
	t.Helper()
	if err := c.Logoff(ctx); err != nil {
		t.Fatalf("Logoff: %v", err)
	}
	if err := srv.Wait(ctx); err != nil {
		t.Fatalf("replay: %v", err)
	}
}

// The click-to-call Originate goes through the real client byte for byte as
// recorded from Asterisk 22 (click_to_call_channelid.txt).
func TestReplayDial(t *testing.T) {
	c, srv, ctx := replayClient(t, "click_to_call_channelid.txt")
	fc := newFakeCalls()
	s := newTestService(t, Config{Devices: agent.MustNew([]string{"Local/{ext}@phones"}, ""), NewID: seqIDs(callID, otherID)}, c, fc)
	call, err := s.Dial(ctx, amigate.DialRequest{From: "101", To: "7 900 123-45-67"})
	if err != nil {
		t.Fatal(err)
	}
	if call.ID != callID {
		t.Errorf("call id %q, want %q", call.ID, callID)
	}
	finish(t, ctx, c, srv)
}

// Queue status through the real client, from the recorded session: idle,
// a caller waiting while an agent rings, the caller talking to an agent.
func TestReplayQueue(t *testing.T) {
	c, srv, ctx := replayClient(t, "queue_status.txt")
	s := newTestService(t, Config{}, c, newFakeCalls())
	// The recording starts with an unfiltered QueueStatus.
	if _, err := c.QueueStatus(ctx, amiclient.QueueStatusParams{}); err != nil {
		t.Fatal(err)
	}
	idle, err := s.Queue(ctx, "support")
	if err != nil {
		t.Fatal(err)
	}
	// The recording then places a caller in the queue.
	in := amiclient.OriginateParams{Channel: "Local/5550100@from-trunk", Application: "Wait", Data: "20",
		CallerID: `"Customer" <79009876543>`, Async: true}
	if _, err := c.Originate(ctx, in); err != nil {
		t.Fatal(err)
	}
	ringing, err := s.Queue(ctx, "support")
	if err != nil {
		t.Fatal(err)
	}
	talking, err := s.Queue(ctx, "support")
	if err != nil {
		t.Fatal(err)
	}
	finish(t, ctx, c, srv)

	got := []int{len(idle.Callers), ringing.Calls, len(ringing.Callers), talking.Calls, len(talking.Callers)}
	if diff := cmp.Diff([]int{0, 1, 1, 0, 0}, got); diff != "" {
		t.Errorf("callers idle/ringing/talking (-want +got):\n%s", diff)
	}
	if len(talking.Members) != 2 || !talking.Members[0].InCall || talking.Members[0].Name != "Agent 102" {
		t.Errorf("talking members = %+v, want Agent 102 in a call first", talking.Members)
	}
}

func TestReplayQueues(t *testing.T) {
	c, srv, ctx := replayClient(t, "queue_summary.txt")
	s := newTestService(t, Config{}, c, newFakeCalls())
	qs, err := s.Queues(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) != 2 || qs[0].Name != "support" || qs[1].Name != "sales" {
		t.Errorf("queues = %+v, want support and sales", qs)
	}
	// The recording then asks for support alone.
	if _, err := c.QueueSummary(ctx, amiclient.QueueSummaryParams{Queue: "support"}); err != nil {
		t.Fatal(err)
	}
	finish(t, ctx, c, srv)
}

// inboundCall is a call as the correlator shows an incoming DID call to
// agent 101 on the recorded office, its channels named as in the recording.
func inboundCall(id, did, trunk, agent string) amigate.Call {
	return amigate.Call{
		ID: id, Direction: amigate.DirectionInbound, State: amigate.StateAnswered, DID: did,
		Customer: &amigate.Party{Number: "79005550001", Name: "Ivan Petrov"}, Agent: &amigate.Agent{Extension: "101"},
		Channels: []amigate.Channel{
			{Name: "Local/" + did + "@from-trunk-" + trunk + ";1", State: "Up"},
			{Name: "Local/" + did + "@from-trunk-" + trunk + ";2", State: "Up"},
			{Name: "Local/101@phones-" + agent + ";1", State: "Up"},
			{Name: "Local/101@phones-" + agent + ";2", State: "Up"},
		},
	}
}

// customerOriginate is how the recordings place an incoming customer call.
func customerOriginate(did string) amiclient.OriginateParams {
	return amiclient.OriginateParams{Channel: "Local/" + did + "@from-trunk", Application: "Wait", Data: "40",
		CallerID: `"Ivan Petrov" <79005550001>`, Async: true}
}

// Blind transfer as recorded in blind_transfer_action.txt: BlindTransfer on
// the agent's ;2 half is refused ("Transfer invalid", sent by hand here:
// the service never picks it); the service picks the bridged ;1 half.
func TestReplayBlindTransfer(t *testing.T) {
	c, srv, ctx := replayClient(t, "blind_transfer_action.txt")
	call := inboundCall("1795331400.20", "5550101", "0000000e", "0000000f")
	s := newTestService(t, Config{Devices: agent.MustNew([]string{"Local/{ext}@phones"}, "")}, c, newFakeCalls(call))
	if _, err := c.Originate(ctx, customerOriginate("5550101")); err != nil {
		t.Fatal(err)
	}
	err := c.BlindTransfer(ctx, amiclient.TransferParams{Channel: "Local/101@phones-0000000f;2", Context: "from-internal", Exten: "102"})
	if err := pbxError("BlindTransfer", err, ""); !errors.Is(err, amigate.ErrPBXRefused) || !strings.Contains(err.Error(), "Transfer invalid") {
		t.Fatalf("wrong half: error %v, want ErrPBXRefused with Asterisk's message", err)
	}
	if _, err := s.Transfer(ctx, call.ID, amigate.TransferRequest{To: "102", Mode: amigate.TransferBlind}); err != nil {
		t.Fatal(err)
	}
	finish(t, ctx, c, srv)
}

// Attended transfer as recorded in attended_transfer_atxfer.txt: Atxfer on
// the agent's ;1 half; the agent's hang-up (sent by hand, as recorded, without
// a cause) completes it.
func TestReplayAttendedTransfer(t *testing.T) {
	c, srv, ctx := replayClient(t, "attended_transfer_atxfer.txt")
	call := inboundCall("1795331437.40", "5550111", "00000011", "00000012")
	s := newTestService(t, Config{Devices: agent.MustNew([]string{"Local/{ext}@phones"}, "")}, c, newFakeCalls(call))
	if _, err := c.Originate(ctx, customerOriginate("5550111")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Transfer(ctx, call.ID, amigate.TransferRequest{To: "102", Mode: amigate.TransferAttended}); err != nil {
		t.Fatal(err)
	}
	if err := c.Hangup(ctx, amiclient.HangupParams{Channel: "Local/101@phones-00000012;1"}); err != nil {
		t.Fatal(err)
	}
	finish(t, ctx, c, srv)
}
