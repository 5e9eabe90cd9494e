package tests

import (
	"context"
	"fmt"
	"net/http"
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
		"Originate":        replay(recorded(t, "click_to_call_channelid.txt", "c2c-chanid-1")),
		"CoreShowChannels": replay(recorded(t, "core_show_channels.txt", "csc-idle")),
		"QueueSummary":     replay(recorded(t, "queue_summary.txt", "qsum-all")),
		"QueueStatus":      replay(recorded(t, "queue_status.txt", "qs-support")),
		"BlindTransfer":    replay(recorded(t, "blind_transfer_action.txt", "bt-1")),
		"Atxfer":           replay(recorded(t, "attended_transfer_atxfer.txt", "atx-1")),
		"Hangup":           replay(recorded(t, "hangup.txt", "hangup-1")),
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
// connection housekeeping (login, ping, the resync's CoreShowChannels).
func nextAction(t testing.TB, srv *amitest.Server) ami.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		a, err := srv.Action(ctx)
		if err != nil {
			t.Fatalf("no action from the service: %v", err)
		}
		switch strings.ToLower(a.Get("Action")) {
		case "challenge", "login", "ping", "coreshowchannels", "events":
			continue
		}
		return a
	}
}

// fields renders an action as its "Name: Value" lines, in order: the
// bytes on the wire but for the CRLFs.
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

// TestAMIActions is issue scenario 9: what the service writes on the AMI
// socket for each API request, checked line by line against what the
// recordings and the configuration say: the Originate of POST /v1/calls,
// the BlindTransfer and Atxfer of the transfers, the Hangup of every
// channel by exact name, and the queue actions.
func TestAMIActions(t *testing.T) {
	t.Parallel()
	srv, svc := startWithFakeAMI(t)
	a := newAPI(t, svc.URL, token(t, allScopes, ""))
	a.waitReady()

	c := a.dial(map[string]any{
		"from": "101", "to": customerRaw, "caller_id": "Deal 42", "timeout_seconds": 20,
		"variables": map[string]string{"CRM_DEAL_ID": "42"},
	})
	orig := nextAction(t, srv)
	other := orig.Get("OtherChannelId")
	if other == "" || other == c.ID {
		t.Errorf("OtherChannelId %q: want a second id of its own", other)
	}
	checkAction(t, orig,
		"Action: Originate",
		"ActionID: c2c-"+c.ID,
		"Channel: Local/101@phones", // AMIGATE_DIAL_AGENT_CHANNEL
		"Context: crm-outbound",     // AMIGATE_DIAL_CONTEXT
		"Exten: "+customerNum,       // normalised, rewritten +7 → 7
		"Priority: 1",
		`CallerID: "Deal 42" <`+customerNum+`>`,
		"Async: true",
		"ChannelId: "+c.ID,
		"OtherChannelId: "+other,
		"Variable: AMIGATE_CALL_ID="+c.ID,
		"Variable: CRM_DEAL_ID=42",
		"Timeout: 20000",
	)

	answeredCall(t, srv, orig)
	eventually(t, wait, "the call answered", func() bool { return a.getCall(c.ID).State == "answered" })
	const agentLeg = "Local/101@phones-0000000c;1" // bridged with the customer (BridgeEnter)
	for _, tt := range []struct {
		mode string
		want []string
	}{
		{"blind", []string{"Action: BlindTransfer", "Channel: " + agentLeg, "Exten: 102", "Context: crm-transfer"}},
		{"attended", []string{"Action: Atxfer", "Channel: " + agentLeg, "Exten: 102", "Context: crm-transfer"}},
	} {
		r := a.do(http.MethodPost, "/v1/calls/"+c.ID+"/transfer", map[string]any{"to": "102", "mode": tt.mode})
		if r.Status != http.StatusAccepted {
			t.Fatalf("transfer %s: %d %s, want 202", tt.mode, r.Status, r.Body)
		}
		checkAction(t, nextAction(t, srv), tt.want...)
	}

	if r := a.do(http.MethodPost, "/v1/calls/"+c.ID+"/hangup", nil); r.Status != http.StatusAccepted {
		t.Fatalf("hangup: %d %s, want 202", r.Status, r.Body)
	}
	// Every channel by its exact name; a ;2 half goes with its ;1.
	var hung []string
	for range 2 {
		h := nextAction(t, srv)
		if h.Get("Action") != "Hangup" || h.Get("Cause") != "16" || len(h.Fields) != 4 {
			t.Errorf("hangup sent %q, want Action, ActionID, Channel, Cause 16", fields(h))
		}
		hung = append(hung, h.Get("Channel"))
	}
	slices.Sort(hung)
	if want := []string{agentLeg, "Local/79001234567@pstn-0000000d;1"}; !slices.Equal(hung, want) {
		t.Errorf("hung up %q, want %q", hung, want)
	}

	r := a.do(http.MethodGet, "/v1/queues", nil)
	checkAction(t, nextAction(t, srv), "Action: QueueSummary")
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"name":"support"`) {
		t.Errorf("GET /v1/queues: %d %s, want 200 with queue support", r.Status, r.Body)
	}
	r = a.do(http.MethodGet, "/v1/queues/support", nil)
	checkAction(t, nextAction(t, srv), "Action: QueueStatus", "Queue: support")
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"strategy":"ringall"`) {
		t.Errorf("GET /v1/queues/support: %d %s, want 200 with its strategy", r.Status, r.Body)
	}
}

// TestNoHeaderInjection is issue scenario 9's safety half: CR, LF or NUL
// in any request field, a variable name that is a dialplan function, or a
// request that tries to choose the context, the application or the
// channel, is refused (422 or 400) and nothing reaches the AMI socket.
func TestNoHeaderInjection(t *testing.T) {
	t.Parallel()
	srv, svc := startWithFakeAMI(t)
	a := newAPI(t, svc.URL, token(t, allScopes, ""))
	a.waitReady()
	c := a.dial(map[string]any{"from": "101", "to": customerNum})
	nextAction(t, srv) // its Originate
	answeredCall(t, srv, srv.Actions()[len(srv.Actions())-1])
	eventually(t, wait, "the call answered", func() bool { return a.getCall(c.ID).State == "answered" })

	ok := map[string]any{"from": "101", "to": customerNum}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range ok {
			m[kk] = vv
		}
		m[k] = v
		return m
	}
	calls := "/v1/calls"
	xfer := "/v1/calls/" + c.ID + "/transfer"
	tests := []struct {
		name, path string
		body       any
		status     int
	}{
		{"CRLF in from", calls, with("from", "101\r\nAction: Command"), 422},
		{"LF in from", calls, with("from", "101\n"), 422},
		{"CRLF in to", calls, with("to", "79001234567\r\nContext: evil"), 422},
		{"NUL in to", calls, with("to", "7900\x001234567"), 422},
		{"CRLF in caller_id", calls, with("caller_id", "x\r\nApplication: System"), 422},
		{"LF in caller_id", calls, with("caller_id", "a\nb"), 422},
		{"NUL in caller_id", calls, with("caller_id", "a\x00b"), 422},
		{"CRLF in a variable value", calls, with("variables", map[string]string{"X": "1\r\nContext: evil"}), 422},
		{"NUL in a variable value", calls, with("variables", map[string]string{"X": "1\x00"}), 422},
		{"CRLF in a variable name", calls, with("variables", map[string]string{"A\r\nChannel: x": "1"}), 422},
		{"function as a variable name", calls, with("variables", map[string]string{"SHELL(rm -rf /)": "1"}), 422},
		{"variable name with =", calls, with("variables", map[string]string{"A=B": "1"}), 422},
		{"the request chooses the context", calls, with("context", "evil"), 400},
		{"the request chooses the application", calls, with("application", "System"), 400},
		{"the request chooses the channel", calls, with("channel", "DAHDI/1"), 400},
		{"the request chooses the channel id", calls, with("channel_id", "x"), 400},
		{"CRLF in the transfer target", xfer, map[string]any{"to": "102\r\nContext: evil", "mode": "blind"}, 422},
		{"NUL in the transfer target", xfer, map[string]any{"to": "102\x00", "mode": "attended"}, 422},
		{"the transfer chooses the context", xfer, map[string]any{"to": "102", "context": "evil"}, 400},
	}
	before := len(srv.Actions())
	for _, tt := range tests {
		r := a.do(http.MethodPost, tt.path, tt.body)
		if r.Status != tt.status {
			t.Errorf("%s: %d %s, want %d", tt.name, r.Status, r.Body, tt.status)
		}
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
			t.Errorf("%s: content-type %q, want problem+json", tt.name, ct)
		}
	}
	// A request that does reach the PBX, after all of them: it must be the
	// next action on the socket.
	a.do(http.MethodGet, "/v1/queues", nil)
	if got := nextAction(t, srv); got.Get("Action") != "QueueSummary" {
		t.Errorf("after the refused requests the PBX got %q, want the QueueSummary", fields(got))
	}
	for _, m := range srv.Actions()[before:] {
		if act := m.Get("Action"); act != "QueueSummary" && act != "Ping" {
			t.Errorf("a refused request reached the PBX: %q", fields(m))
		}
		for _, f := range m.Fields {
			if strings.ContainsAny(f.Name+f.Value, "\r\n\x00") {
				t.Errorf("control character on the wire: %q", fmt.Sprint(f))
			}
		}
	}
}

// TestIdempotentDial checks the Idempotency-Key of POST /v1/calls end to
// end: a repeat with the same key and body answers the first call and
// sends no second Originate; the same key with another body is 409. The
// AMI metrics count the one Originate.
func TestIdempotentDial(t *testing.T) {
	t.Parallel()
	srv, svc := startWithFakeAMI(t)
	a := newAPI(t, svc.URL, token(t, allScopes, ""))
	a.waitReady()
	body := map[string]any{"from": "101", "to": customerRaw}
	post := func(body map[string]any) response {
		return a.do(http.MethodPost, "/v1/calls", body, "Idempotency-Key", "crm-deal-42-attempt-1")
	}
	first := post(body)
	if first.Status != http.StatusAccepted {
		t.Fatalf("first: %d %s, want 202", first.Status, first.Body)
	}
	nextAction(t, srv)
	var c1, c2 call
	first.decode(t, &c1)
	again := post(map[string]any{"from": "101", "to": "+7 900 123 45 67"}) // the same number
	if again.Status != http.StatusAccepted {
		t.Fatalf("repeat: %d %s, want 202", again.Status, again.Body)
	}
	again.decode(t, &c2)
	if c2.ID != c1.ID || again.Header.Get("Location") != "/v1/calls/"+c1.ID {
		t.Errorf("repeat answered call %s at %q, want the first, %s", c2.ID, again.Header.Get("Location"), c1.ID)
	}
	if r := post(map[string]any{"from": "101", "to": "79001234568"}); r.Status != http.StatusConflict {
		t.Errorf("same key, another body: %d %s, want 409", r.Status, r.Body)
	}
	if n := countOriginates(srv); n != 1 {
		t.Errorf("%d Originates sent, want 1", n)
	}

	m := a.do(http.MethodGet, "/metrics", nil)
	for _, want := range []string{
		"amigate_ami_connected 1",
		`amigate_ami_actions_total{action="Originate",outcome="success"} 1`,
		"amigate_calls_active ",
		"amigate_webhook_backlog",
	} {
		if !strings.Contains(string(m.Body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
