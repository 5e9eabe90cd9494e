package ami

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestEncode(t *testing.T) {
	long := strings.Repeat("v", MaxLineLength-len("Data: "))
	tests := []struct {
		name string
		a    Action
		id   string
		want string
		err  error
	}{
		{"simple", Action{Name: "Ping"}, "1", "Action: Ping\r\nActionID: 1\r\n\r\n", nil},
		{"ordered, repeated", Action{Name: "Originate", Fields: fields("Channel", "PJSIP/201", "Variable", "A=1", "Variable", "B=2")}, "7",
			"Action: Originate\r\nActionID: 7\r\nChannel: PJSIP/201\r\nVariable: A=1\r\nVariable: B=2\r\n\r\n", nil},
		{"empty value", Action{Name: "Status", Fields: fields("Channel", "")}, "1", "Action: Status\r\nActionID: 1\r\nChannel: \r\n\r\n", nil},
		{"longest line", Action{Name: "X", Fields: fields("Data", long)}, "1", "Action: X\r\nActionID: 1\r\nData: " + long + "\r\n\r\n", nil},
		{"line one byte too long", Action{Name: "X", Fields: fields("Data", long+"v")}, "1", "", ErrLineTooLong},
		{"CRLF in value", Action{Name: "Hangup", Fields: fields("Channel", "x\r\nAction: Logoff")}, "1", "", ErrUnsafeHeader},
		{"LF in value", Action{Name: "Hangup", Fields: fields("Channel", "x\nAction: Logoff")}, "1", "", ErrUnsafeHeader},
		{"CR in value", Action{Name: "Hangup", Fields: fields("Channel", "x\r")}, "1", "", ErrUnsafeHeader},
		{"NUL in value", Action{Name: "Hangup", Fields: fields("Channel", "x\x00")}, "1", "", ErrUnsafeHeader},
		{"LF in action name", Action{Name: "Ping\nAction: Logoff"}, "1", "", ErrUnsafeHeader},
		{"LF in action id", Action{Name: "Ping"}, "1\r\nAction: Logoff", "", ErrUnsafeHeader},
		{"colon in name", Action{Name: "X", Fields: fields("A: B", "1")}, "1", "", ErrBadHeaderName},
		{"empty name", Action{Name: "X", Fields: fields("", "1")}, "1", "", ErrBadHeaderName},
		{"too many headers", Action{Name: "X", Fields: make([]Field, MaxHeaders-1)}, "1", "", ErrTooManyFields},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := []byte("prefix")
			got, err := tc.a.Encode(dst, tc.id)
			if !errors.Is(err, tc.err) {
				t.Fatalf("error: got %v, want %v", err, tc.err)
			}
			if err != nil {
				if string(got) != "prefix" {
					t.Fatalf("on error Encode appended %q", got[len("prefix"):])
				}
				return
			}
			if string(got[len("prefix"):]) != tc.want {
				t.Fatalf("got %q, want %q", got[len("prefix"):], tc.want)
			}
		})
	}
}

func TestEncodeRefusesClientHeaders(t *testing.T) {
	for _, name := range []string{"Action", "actionid", "ACTIONID"} {
		a := Action{Name: "Ping", Fields: fields(name, "x")}
		if _, err := a.Encode(nil, "1"); err == nil {
			t.Errorf("%s among the fields: accepted", name)
		}
	}
}

func TestActionMessageRoundTrip(t *testing.T) {
	a := NewAction("Setvar").Add("Channel", "PJSIP/201-1").AddIf("Skipped", "").Add("Variable", "X").Add("Value", "a: b")
	b, err := a.Encode(nil, "id-1")
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewReader(bytes.NewReader(b), 0).ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	want := a.Message("id-1")
	if m.String() != want.String() || m.String() != string(b) {
		t.Fatalf("round trip: got %q, want %q", m.String(), b)
	}
	if a.Get("value") != "a: b" || a.Get("Skipped") != "" {
		t.Fatalf("Get: %q", a.Get("value"))
	}
}

func BenchmarkEncode(b *testing.B) {
	a := NewAction("Originate").Add("Channel", "Local/101@phones").Add("Context", "from-internal").
		Add("Exten", "79001234567").Add("Priority", "1").Add("CallerID", `"79001234567" <79001234567>`).
		Add("Async", "true").Add("Variable", "AMIGATE_CALL_ID=0f8fad5b-d9cb-469f-a165-70867728950e")
	var buf []byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var err error
		if buf, err = a.Encode(buf[:0], "amigate-12345"); err != nil {
			b.Fatal(err)
		}
	}
}
