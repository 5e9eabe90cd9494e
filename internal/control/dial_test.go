package control

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/agent"
	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amiclient"
	"github.com/amigate/amigate/internal/chanvar"
	"github.com/amigate/amigate/internal/control/dialrules"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const (
	callID  = "0f8fad5b-d9cb-469f-a165-70867728950e"
	otherID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
)

// The Originate is byte for byte the one recorded from a real Asterisk as
// the product's (same header order), apart from the ActionID the recording
// chose.
func TestDialOriginateMatchesTranscript(t *testing.T) {
	tests := []struct {
		transcript, template, from, recordedID string
	}{
		{"click_to_call_channelid.txt", "Local/{ext}@phones", "101", "c2c-chanid-1"},
		{"pjsip_click_to_call.txt", "PJSIP/{ext}", "201", "pjsip-c2c-1"},
	}
	for _, tt := range tests {
		t.Run(tt.transcript, func(t *testing.T) {
			fa, fc := &fakeAMI{}, newFakeCalls()
			s := newTestService(t, Config{Devices: agent.MustNew([]string{tt.template}, ""), NewID: seqIDs(callID, otherID)}, fa, fc)
			c, err := s.Dial(context.Background(), amigate.DialRequest{From: tt.from, To: "79001234567"})
			if err != nil {
				t.Fatal(err)
			}
			sent := fa.actions()
			if len(sent) != 1 {
				t.Fatalf("sent %d actions, want 1", len(sent))
			}
			a := sent[0]
			if want := "c2c-" + callID; a.ID != want {
				t.Errorf("ActionID = %q, want %q", a.ID, want)
			}
			got, err := a.Encode(nil, tt.recordedID)
			if err != nil {
				t.Fatal(err)
			}
			want := sentBlock(t, tt.transcript, "Originate")
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("Originate differs from the recorded one (-want +got):\n%s", diff)
			}
			wantCall := amigate.Call{
				ID: callID, Direction: "outbound", State: "dialing",
				Customer: &amigate.Party{Number: "79001234567"}, Agent: &amigate.Agent{Extension: tt.from},
				Extensions: []string{tt.from}, StartedAt: epoch, Channels: []amigate.Channel{},
			}
			if diff := cmp.Diff(wantCall, c); diff != "" {
				t.Errorf("call (-want +got):\n%s", diff)
			}
			exp := fc.expectations()
			if len(exp) != 1 || exp[0].actionID != a.ID || exp[0].call.ID != callID {
				t.Errorf("Expect calls = %+v, want one for %s with %s", exp, callID, a.ID)
			}
		})
	}
}

// TestDialGolden covers what the transcripts do not: the request's
// variables (escaped, sorted), a display name, a timeout and dial rules.
func TestDialGolden(t *testing.T) {
	cfg := Config{
		Devices:         agent.MustNew([]string{"PJSIP/{ext}"}, ""),
		DialContext:     "crm-out",
		TransferContext: "crm-xfer",
		Rules:           dialrules.Config{Rewrite: []dialrules.Rewrite{{Prefix: "+7", Replace: "8"}}},
		NewID:           seqIDs(callID, otherID),
	}
	fa := &fakeAMI{}
	s := newTestService(t, cfg, fa, newFakeCalls())
	_, err := s.Dial(context.Background(), amigate.DialRequest{
		From: "101", To: "+7 (900) 123-45-67", CallerID: "Ivan Petrov (deal 42)", Timeout: 45 * time.Second,
		Variables: map[string]string{"CRM_DEAL_ID": "42", "CRM_NOTE": `a,AMIGATE_CALL_ID=x "q" \b`, "CRM_SOURCE": "yes"},
		Metadata:  json.RawMessage(`{"deal": 42}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := fa.actions()[0].Encode(nil, fa.actions()[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "originate_variables.golden", got)
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

// Every field of a request is checked before anything is sent or expected;
// CR, LF and NUL never reach the socket.
func TestDialRefusesBadInput(t *testing.T) {
	ok := amigate.DialRequest{From: "101", To: "79001234567"}
	with := func(f func(r *amigate.DialRequest)) amigate.DialRequest {
		r := ok
		r.Variables = map[string]string{}
		f(&r)
		return r
	}
	tests := []struct {
		name  string
		req   amigate.DialRequest
		field string
	}{
		{"from empty", with(func(r *amigate.DialRequest) { r.From = "" }), "from"},
		{"from CRLF", with(func(r *amigate.DialRequest) { r.From = "101\r\nAction: Command" }), "from"},
		{"from LF", with(func(r *amigate.DialRequest) { r.From = "101\n" }), "from"},
		{"from NUL", with(func(r *amigate.DialRequest) { r.From = "101\x00" }), "from"},
		{"from other channel", with(func(r *amigate.DialRequest) { r.From = "101&PJSIP/102" }), "from"},
		{"from dial string", with(func(r *amigate.DialRequest) { r.From = "101@other" }), "from"},
		{"from letters", with(func(r *amigate.DialRequest) { r.From = "abc" }), "from"},
		{"from too short", with(func(r *amigate.DialRequest) { r.From = "1" }), "from"},
		{"to CRLF", with(func(r *amigate.DialRequest) { r.To = "7900\r\nContext: evil" }), "to"},
		{"to LF", with(func(r *amigate.DialRequest) { r.To = "7900\n" }), "to"},
		{"to NUL", with(func(r *amigate.DialRequest) { r.To = "7900\x00" }), "to"},
		{"to pattern", with(func(r *amigate.DialRequest) { r.To = "_X." }), "to"},
		{"to premium", with(func(r *amigate.DialRequest) { r.To = "8 809 123 45 67" }), "to"},
		{"to international", with(func(r *amigate.DialRequest) { r.To = "00 44 20 7946 0000" }), "to"},
		{"to 810", with(func(r *amigate.DialRequest) { r.To = "810 44 20 7946 0000" }), "to"},
		{"caller_id CRLF", with(func(r *amigate.DialRequest) { r.CallerID = "x\r\nApplication: System" }), "caller_id"},
		{"caller_id LF", with(func(r *amigate.DialRequest) { r.CallerID = "x\n" }), "caller_id"},
		{"caller_id NUL", with(func(r *amigate.DialRequest) { r.CallerID = "x\x00" }), "caller_id"},
		{"caller_id quote", with(func(r *amigate.DialRequest) { r.CallerID = `x" <666>` }), "caller_id"},
		{"caller_id too long", with(func(r *amigate.DialRequest) { r.CallerID = strings.Repeat("я", MaxCallerID+1) }), "caller_id"},
		{"timeout too short", with(func(r *amigate.DialRequest) { r.Timeout = time.Second }), "timeout_seconds"},
		{"timeout too long", with(func(r *amigate.DialRequest) { r.Timeout = time.Hour }), "timeout_seconds"},
		{"variable value CRLF", with(func(r *amigate.DialRequest) { r.Variables["CRM_X"] = "1\r\nAction: Command" }), "variables.CRM_X"},
		{"variable value LF", with(func(r *amigate.DialRequest) { r.Variables["CRM_X"] = "1\n" }), "variables.CRM_X"},
		{"variable value NUL", with(func(r *amigate.DialRequest) { r.Variables["CRM_X"] = "1\x00" }), "variables.CRM_X"},
		{"variable value too long", with(func(r *amigate.DialRequest) { r.Variables["CRM_X"] = strings.Repeat("1", MaxVariableValue+1) }), "variables.CRM_X"},
		{"variable value too many characters", with(func(r *amigate.DialRequest) { r.Variables["CRM_X"] = strings.Repeat("я", MaxVariableValue+1) }), "variables.CRM_X"},
		{"variable value tab", with(func(r *amigate.DialRequest) { r.Variables["CRM_X"] = "a\tb" }), "variables.CRM_X"},
		{"variable value not UTF-8", with(func(r *amigate.DialRequest) { r.Variables["CRM_X"] = "\xff" }), "variables.CRM_X"},
		{"metadata too big", with(func(r *amigate.DialRequest) { r.Metadata = []byte(`{"x":"` + strings.Repeat("x", MaxMetadata) + `"}`) }), "metadata"},
		{"metadata not an object", with(func(r *amigate.DialRequest) { r.Metadata = []byte(`[1]`) }), "metadata"},
		{"variable name CRLF", with(func(r *amigate.DialRequest) { r.Variables["X\r\nAction: Command"] = "1" }), "variables"},
		{"variable name NUL", with(func(r *amigate.DialRequest) { r.Variables["X\x00"] = "1" }), "variables"},
		{"variable name equals", with(func(r *amigate.DialRequest) { r.Variables["A=B"] = "1" }), "variables"},
		{"variable name function", with(func(r *amigate.DialRequest) { r.Variables["CALLERID(num)"] = "1" }), "variables"},
		{"variable name digit first", with(func(r *amigate.DialRequest) { r.Variables["1X"] = "1" }), "variables.1X"},
		{"variable name empty", with(func(r *amigate.DialRequest) { r.Variables[""] = "1" }), "variables"},
		{"variable reserved", with(func(r *amigate.DialRequest) { r.Variables["AMIGATE_CALL_ID"] = "x" }), "variables.AMIGATE_CALL_ID"},
		{"variable reserved lower", with(func(r *amigate.DialRequest) { r.Variables["amigate_x"] = "x" }), "variables.amigate_x"},
		{"variable reserved inherited", with(func(r *amigate.DialRequest) { r.Variables["__AMIGATE_CALL_ID"] = "x" }), "variables.__AMIGATE_CALL_ID"},
		{"variable transfer context", with(func(r *amigate.DialRequest) { r.Variables["TRANSFER_CONTEXT"] = "evil" }), "variables.TRANSFER_CONTEXT"},
		{"variable goto on blind transfer", with(func(r *amigate.DialRequest) { r.Variables["_GOTO_ON_BLINDXFR"] = "evil,s,1" }), "variables._GOTO_ON_BLINDXFR"},
		{"variable underscores only", with(func(r *amigate.DialRequest) { r.Variables["__"] = "x" }), "variables.__"},
		{"idempotency key CRLF", with(func(r *amigate.DialRequest) { r.IdempotencyKey = "k\r\n" }), "Idempotency-Key"},
		{"idempotency key tab", with(func(r *amigate.DialRequest) { r.IdempotencyKey = "a\tb" }), "Idempotency-Key"},
		{"idempotency key too long", with(func(r *amigate.DialRequest) { r.IdempotencyKey = strings.Repeat("k", MaxIdempotencyKey+1) }), "Idempotency-Key"},
		// Variables Asterisk acts on that a deny list once let through.
		{"variable monitor exec", with(func(r *amigate.DialRequest) { r.Variables["__MONITOR_EXEC"] = "/bin/sh -c 'id'" }), "variables.__MONITOR_EXEC"},
		{"variable monitor exec args", with(func(r *amigate.DialRequest) { r.Variables["MONITOR_EXEC_ARGS"] = "-c id" }), "variables.MONITOR_EXEC_ARGS"},
		{"variable sip header", with(func(r *amigate.DialRequest) { r.Variables["__SIPADDHEADER01"] = "P-Asserted-Identity: <sip:911@x>" }), "variables.__SIPADDHEADER01"},
		{"variable touch mixmonitor", with(func(r *amigate.DialRequest) { r.Variables["__TOUCH_MIXMONITOR"] = "/etc/passwd" }), "variables.__TOUCH_MIXMONITOR"},
		{"variable audiohook inherit", with(func(r *amigate.DialRequest) { r.Variables["__AUDIOHOOK_INHERIT"] = "MixMonitor" }), "variables.__AUDIOHOOK_INHERIT"},
		{"variable inherited crm", with(func(r *amigate.DialRequest) { r.Variables["__CRM_DEAL_ID"] = "42" }), "variables.__CRM_DEAL_ID"},
		{"variable not in the pattern", with(func(r *amigate.DialRequest) { r.Variables["DEAL_ID"] = "42" }), "variables.DEAL_ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fa, fc := &fakeAMI{}, newFakeCalls()
			s := newTestService(t, DefaultConfig(), fa, fc)
			_, err := s.Dial(context.Background(), tt.req)
			var fe *amigate.FieldError
			if !errors.As(err, &fe) || !errors.Is(err, amigate.ErrInvalid) {
				t.Fatalf("Dial error = %v, want a FieldError", err)
			}
			if fe.Field != tt.field {
				t.Errorf("field = %q, want %q (%v)", fe.Field, tt.field, err)
			}
			if n := len(fa.actions()); n != 0 {
				t.Errorf("sent %d actions, want none", n)
			}
			if n := len(fc.expectations()); n != 0 {
				t.Errorf("expected %d calls, want none", n)
			}
		})
	}
}

func TestDialTooManyVariables(t *testing.T) {
	vars := map[string]string{}
	for i := range MaxVariables + 1 {
		vars["CRM_V"+strings.Repeat("X", i)] = "1"
	}
	s := newTestService(t, Config{}, &fakeAMI{}, newFakeCalls())
	_, err := s.Dial(context.Background(), amigate.DialRequest{From: "101", To: "79001234567", Variables: vars})
	var fe *amigate.FieldError
	if !errors.As(err, &fe) || fe.Field != "variables" {
		t.Fatalf("error = %v, want a FieldError on variables", err)
	}
}

// Errors of the AMI client map to the domain errors of api.md; a refused
// Originate is not left dialing in the correlator, a lost answer is.
func TestDialErrors(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		want       error
		wantText   string
		wantForget bool
	}{
		{"refused", refused("Originate", "Permission denied"), amigate.ErrPBXRefused, "Permission denied", true},
		{"not ready", amiclient.ErrNotReady, amigate.ErrUnavailable, "", true},
		{"closed", amiclient.ErrClosed, amigate.ErrUnavailable, "", true},
		{"disconnected", amiclient.ErrDisconnected, amigate.ErrUnavailable, "", false},
		{"client timeout", amiclient.ErrTimeout, amigate.ErrTimeout, "", false},
		{"deadline", context.DeadlineExceeded, amigate.ErrTimeout, "", false},
		{"encoder refused", &ami.HeaderError{Name: "Exten", Err: ami.ErrUnsafeHeader}, ami.ErrUnsafeHeader, "", true},
		// By behaviour: any client's errors, not only amiclient's sentinels.
		{"other client down", behaviour{unavailable: true, unsent: true}, amigate.ErrUnavailable, "", true},
		{"other client lost", behaviour{unavailable: true}, amigate.ErrUnavailable, "", false},
		{"other client slow", behaviour{timeout: true}, amigate.ErrTimeout, "", false},
		{"other client refused", otherRefusal("Permission denied"), amigate.ErrPBXRefused, "Permission denied", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := newFakeCalls()
			fa := &fakeAMI{SendFunc: func(ctx context.Context, a *ami.Action) (ami.Message, error) {
				if len(fc.expectations()) != 1 {
					t.Error("Originate sent before the call was expected")
				}
				return ami.Message{}, tt.err
			}}
			s := newTestService(t, Config{}, fa, fc)
			_, err := s.Dial(context.Background(), amigate.DialRequest{From: "101", To: "79001234567"})
			if !errors.Is(err, tt.want) || !errors.Is(err, tt.err) {
				t.Fatalf("error = %v, want %v wrapping %v", err, tt.want, tt.err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not carry %q", err, tt.wantText)
			}
			forgot := len(fc.forgotten) == 1
			if forgot != tt.wantForget {
				t.Errorf("forgotten = %v, want forgotten %v", fc.forgotten, tt.wantForget)
			}
		})
	}
}

// TestVariableFitsOneLine: the longest variable a request may set fits one
// AMI header line however it is escaped (a character is at most 4 bytes;
// escaping doubles only the 1-byte , " and \).
func TestVariableFitsOneLine(t *testing.T) {
	if n := len("Variable: ") + chanvar.MaxName + len("=") + 4*MaxVariableValue; n > ami.MaxLineLength {
		t.Fatalf("worst case %d bytes, over ami.MaxLineLength %d", n, ami.MaxLineLength)
	}
	fa := &fakeAMI{}
	s := newTestService(t, DefaultConfig(), fa, newFakeCalls())
	for _, v := range []string{strings.Repeat(",", MaxVariableValue), strings.Repeat("😀", MaxVariableValue)} {
		name := "CRM_" + strings.Repeat("X", chanvar.MaxName-4)
		if _, err := s.Dial(context.Background(), amigate.DialRequest{From: "101", To: "79001234567", Variables: map[string]string{name: v}}); err != nil {
			t.Fatalf("Dial: %v", err)
		}
	}
}

// behaviour and otherRefusal are AMI client errors that are none of
// amiclient's.
type behaviour struct{ unavailable, timeout, unsent bool }

func (b behaviour) Error() string {
	return fmt.Sprintf("client error %v %v %v", b.unavailable, b.timeout, b.unsent)
}
func (b behaviour) Unavailable() bool { return b.unavailable }
func (b behaviour) Timeout() bool     { return b.timeout }
func (b behaviour) Unsent() bool      { return b.unsent }

type otherRefusal string

func (r otherRefusal) Error() string   { return "refused: " + string(r) }
func (r otherRefusal) Refusal() string { return string(r) }

func TestNewUUID(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id := newUUID()
		if len(id) != 36 || id[14] != '4' || !strings.ContainsAny(id[19:20], "89ab") || strings.Count(id, "-") != 4 {
			t.Fatalf("newUUID() = %q, not a version 4 UUID", id)
		}
		if seen[id] {
			t.Fatalf("newUUID() repeated %q", id)
		}
		seen[id] = true
	}
}

// BenchmarkDial is click-to-call's own work (checks, dial rules, the
// Originate), with the customer number read by libphonenumber in the home
// region, and as plain digits that no numbering plan reads (no region): the
// difference is what phone number handling adds to POST /v1/calls.
func BenchmarkDial(b *testing.B) {
	for _, bc := range []struct {
		name, region, to string
	}{
		{"digits kept", "", "89001234567"},
		{"region RU", "RU", "+7 (900) 123-45-67"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			fa := &fakeAMI{SendFunc: func(ctx context.Context, a *ami.Action) (ami.Message, error) { return ami.Message{}, nil }}
			cfg := DefaultConfig()
			cfg.Rules.Region = bc.region
			s := New(cfg, fa, nopCalls{})
			req := amigate.DialRequest{From: "101", To: bc.to, Variables: map[string]string{"CRM_DEAL_ID": "42"}}
			ctx := context.Background()
			// One call first: libphonenumber loads its metadata once per
			// process, which is not a cost of each call.
			if _, err := s.Dial(ctx, req); err != nil {
				b.Fatal(err)
			}
			fa.sent = fa.sent[:0]
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				if _, err := s.Dial(ctx, req); err != nil {
					b.Fatal(err)
				}
				fa.sent = fa.sent[:0]
			}
			// CPU time, not the wall clock, is the cost: on a shared
			// machine the wall clock is mostly waiting for a core.
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e3, "cpu-µs/op")
		})
	}
}

// cpuTime is the CPU time the process has used (user and system): what the
// garbage collector spends on a call's allocations counts too.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkDialIdempotent(b *testing.B) {
	fa := &fakeAMI{SendFunc: func(ctx context.Context, a *ami.Action) (ami.Message, error) { return ami.Message{}, nil }}
	s := New(DefaultConfig(), fa, nopCalls{})
	req := amigate.DialRequest{From: "101", To: "+7 (900) 123-45-67", Variables: map[string]string{"CRM_DEAL_ID": "42"}}
	ctx := context.Background()
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = "key-" + newUUID()
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		req.IdempotencyKey = keys[i%len(keys)]
		i++
		if _, err := s.Dial(ctx, req); err != nil {
			b.Fatal(err)
		}
		fa.sent = fa.sent[:0]
	}
}

type nopCalls struct{}

func (nopCalls) Expect(amigate.Call, string)            {}
func (nopCalls) Get(string) (amigate.Call, bool)        { return amigate.Call{}, false }
func (nopCalls) List(amigate.CallFilter) []amigate.Call { return nil }

// TestDialVariableRule: the configured pattern decides which variables a
// request may set, and a refusal names the rule.
func TestDialVariableRule(t *testing.T) {
	rule, err := chanvar.New(`ERP_[A-Z]+`)
	if err != nil {
		t.Fatal(err)
	}
	fa := &fakeAMI{}
	s := newTestService(t, Config{Variables: rule}, fa, newFakeCalls())
	_, err = s.Dial(context.Background(), amigate.DialRequest{From: "101", To: "79001234567", Variables: map[string]string{"CRM_DEAL_ID": "42"}})
	var fe *amigate.FieldError
	if !errors.As(err, &fe) || fe.Field != "variables.CRM_DEAL_ID" || !strings.Contains(fe.Message, "ERP_[A-Z]+") || !strings.Contains(fe.Message, "AMIGATE_DIAL_VARIABLE_PATTERN") {
		t.Fatalf("error = %v, want a FieldError on variables.CRM_DEAL_ID naming the pattern", err)
	}
	if _, err := s.Dial(context.Background(), amigate.DialRequest{From: "101", To: "79001234567", Variables: map[string]string{"ERP_ORDER": "7"}}); err != nil {
		t.Fatalf("an allowed variable: %v", err)
	}
	acts := fa.actions()
	if len(acts) != 1 {
		t.Fatalf("sent %d actions, want one Originate", len(acts))
	}
	if m := acts[0].Message("1"); !strings.Contains(m.String(), "ERP_ORDER=7") {
		t.Fatalf("Originate sent %q, want ERP_ORDER=7 in it", m.String())
	}
}
