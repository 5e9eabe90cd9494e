package ami

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// readAll reads every message of r until EOF.
func readAll(r *Reader) ([]Message, error) {
	var out []Message
	for {
		m, err := r.ReadMessage()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, m)
	}
}

// summary is the golden form of a parsed stream: one line per message,
// its kind, name and field count.
func summary(version string, msgs []Message) string {
	var b strings.Builder
	fmt.Fprintf(&b, "banner %s\n", version)
	for _, m := range msgs {
		switch {
		case m.IsEvent():
			fmt.Fprintf(&b, "event %s fields=%d\n", m.Event(), len(m.Fields))
		case m.IsResponse():
			fmt.Fprintf(&b, "response %s %s fields=%d\n", m.Response(), m.ActionID(), len(m.Fields))
		default:
			fmt.Fprintf(&b, "action %s %s fields=%d\n", m.Get("Action"), m.ActionID(), len(m.Fields))
		}
	}
	return b.String()
}

// TestRecordedStreams parses every byte stream recorded from Asterisk 22
// (raw/*.in received, raw/*.out sent). Each must come back byte for byte
// when its messages are written out again, whether the reader takes the
// in-buffer fast path or reads one byte at a time, and must match its
// golden summary.
func TestRecordedStreams(t *testing.T) {
	files, err := filepath.Glob("../../testdata/ami/raw/*.*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded streams: %v", err)
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var version string
			body := data
			if strings.HasSuffix(name, ".in") {
				r := NewReader(bytes.NewReader(data), 0)
				if version, err = r.ReadBanner(); err != nil {
					t.Fatalf("banner: %v", err)
				}
				if version != "11.0.0" {
					t.Errorf("banner version: got %q, want 11.0.0", version)
				}
				_, body, _ = bytes.Cut(data, []byte("\n"))
			}
			fast, err := readAll(NewReader(bytes.NewReader(body), 0))
			if err != nil {
				t.Fatalf("fast: %v", err)
			}
			slow, err := readAll(NewReader(iotest.OneByteReader(bytes.NewReader(body)), 0))
			if err != nil {
				t.Fatalf("one byte at a time: %v", err)
			}
			if diff := cmp.Diff(fast, slow); diff != "" {
				t.Fatalf("fast and one-byte reads differ (-fast +slow):\n%s", diff)
			}
			var again []byte
			for _, m := range fast {
				again = append(again, m.String()...)
			}
			if !bytes.Equal(again, body) {
				t.Fatalf("written out again, the %d messages differ from the %d recorded bytes", len(fast), len(body))
			}
			golden := filepath.Join("testdata", "golden", name+".txt")
			got := summary(version, fast)
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("summary differs from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

func fields(kv ...string) []Field {
	var out []Field
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, Field{kv[i], kv[i+1]})
	}
	return out
}

func TestReadMessage(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want [][]Field
		err  error // after the messages in want
	}{
		{"crlf", "Event: A\r\nX: 1\r\n\r\n", 0, [][]Field{fields("Event", "A", "X", "1")}, io.EOF},
		{"bare lf", "Event: A\nX: 1\n\n", 0, [][]Field{fields("Event", "A", "X", "1")}, io.EOF},
		{"mixed line ends", "Event: A\r\nX: 1\n\r\nEvent: B\n\n", 0, [][]Field{fields("Event", "A", "X", "1"), fields("Event", "B")}, io.EOF},
		{"repeated keys in order", "Event: VarSet\r\nChanVariable: B=2\r\nChanVariable: A=1\r\nVariable: x\r\nChanVariable: C=3\r\n\r\n", 0,
			[][]Field{fields("Event", "VarSet", "ChanVariable", "B=2", "ChanVariable", "A=1", "Variable", "x", "ChanVariable", "C=3")}, io.EOF},
		{"colons in value", "Event: A\r\nEventTV: 2026-11-22T06:53:15.158+0000\r\nCallerID: \"a:b\" <1>\r\n\r\n", 0,
			[][]Field{fields("Event", "A", "EventTV", "2026-11-22T06:53:15.158+0000", "CallerID", "\"a:b\" <1>")}, io.EOF},
		{"spaces kept after the first", "Output:   indented\r\nEmpty:\r\nNoSpace:x\r\n\r\n", 0,
			[][]Field{fields("Output", "  indented", "Empty", "", "NoSpace", "x")}, io.EOF},
		{"name trailing space", "Event : A\r\n\r\n", 0, [][]Field{fields("Event", "A")}, io.EOF},
		{"line without colon kept", "Event: A\r\njust text\r\n: odd\r\n\r\n", 0, [][]Field{fields("Event", "A", "", "just text", "", ": odd")}, io.EOF},
		{"stray blank lines", "\r\n\n\r\nEvent: A\r\n\r\n\r\n\r\nEvent: B\r\n\r\n", 0, [][]Field{fields("Event", "A"), fields("Event", "B")}, io.EOF},
		{"lone CR stays in the value", "Event: A\rB\r\n\r\n", 0, [][]Field{fields("Event", "A\rB")}, io.EOF},
		{"eof mid-message", "Event: A\r\nX: 1\r\n", 0, nil, io.ErrUnexpectedEOF},
		{"eof mid-line", "Event: A\r\nX: 1", 0, nil, io.ErrUnexpectedEOF},
		{"old follows", "Response: Follows\r\nPrivilege: Command\r\nActionID: 1\r\nSystem uptime: 5 seconds\nLast reload: 5 seconds\n--END COMMAND--\r\n\r\nEvent: B\r\n\r\n", 0,
			[][]Field{fields("Response", "Follows", "Privilege", "Command", "ActionID", "1", "Output", "System uptime: 5 seconds", "Output", "Last reload: 5 seconds"), fields("Event", "B")}, io.EOF},
		{"old follows, end on the last line", "Response: Follows\r\nActionID: 1\r\nline 1\nline 2--END COMMAND--\r\n\r\n", 0,
			[][]Field{fields("Response", "Follows", "ActionID", "1", "Output", "line 1", "Output", "line 2")}, io.EOF},
		{"old follows, no output", "Response: Follows\r\nActionID: 1\r\n--END COMMAND--\r\n\r\n", 0,
			[][]Field{fields("Response", "Follows", "ActionID", "1")}, io.EOF},
		{"over the bound, then on", "Event: Big\r\nValue: " + strings.Repeat("x", 200) + "\r\n\r\nEvent: Small\r\n\r\n", 100,
			[][]Field{fields("Event", "Small")}, io.EOF},
		{"line longer than the buffer, within the bound", "Event: Long\r\nValue: " + strings.Repeat("y", 100<<10) + "\r\n\r\n", 1 << 20,
			[][]Field{fields("Event", "Long", "Value", strings.Repeat("y", 100<<10))}, io.EOF},
		{"line longer than the buffer and the bound", "Event: Long\r\nValue: " + strings.Repeat("y", 200<<10) + "\r\n\r\nEvent: After\r\n\r\n", 100 << 10,
			[][]Field{fields("Event", "After")}, io.EOF},
		{"old follows, blank output lines are fields", "Response: Follows\r\nActionID: 1\r\na\n\n\nb\n--END COMMAND--\r\n\r\n", 0,
			[][]Field{fields("Response", "Follows", "ActionID", "1", "Output", "a", "Output", "", "Output", "", "Output", "b")}, io.EOF},
		// 200 blank lines are 200 bytes but 200 fields: over a 1000-byte bound.
		{"old follows, blank lines over the bound, skipped to its end", "Response: Follows\r\nActionID: 1\r\n" + strings.Repeat("\n", 200) + "x\n\n--END COMMAND--\r\n\r\nEvent: After\r\n\r\n", 1000,
			[][]Field{fields("Event", "After")}, io.EOF},
		{"old follows, long line over the bound ending the command", "Response: Follows\r\nActionID: 1\r\n\n" + strings.Repeat("z", 200<<10) + "--END COMMAND--\r\n\r\nEvent: After\r\n\r\n", 100 << 10,
			[][]Field{fields("Event", "After")}, io.EOF},
		// Fields count as well as bytes: 40 one-byte fields are 120 bytes on the wire, 40*FieldCost more.
		{"many short fields over the bound", "Event: A\r\n" + strings.Repeat("x:\r\n", 40) + "\r\nEvent: B\r\n\r\n", 1000,
			[][]Field{fields("Event", "B")}, io.EOF},
	}
	for _, tc := range tests {
		for _, mode := range []string{"buffered", "one byte"} {
			t.Run(tc.name+"/"+mode, func(t *testing.T) {
				var src io.Reader = strings.NewReader(tc.in)
				if mode == "one byte" {
					src = iotest.OneByteReader(src)
				}
				r := NewReader(src, tc.max)
				var got [][]Field
				var err error
				for {
					var m Message
					m, err = r.ReadMessage()
					if errors.Is(err, ErrMessageTooLarge) {
						continue
					}
					if err != nil {
						break
					}
					got = append(got, m.Fields)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("messages (-want +got):\n%s", diff)
				}
				if !errors.Is(err, tc.err) {
					t.Errorf("final error: got %v, want %v", err, tc.err)
				}
			})
		}
	}
}

func TestMessageTooLargeReported(t *testing.T) {
	in := "Event: Big\r\nValue: " + strings.Repeat("x", 5000) + "\r\n\r\nEvent: Next\r\n\r\n"
	r := NewReader(strings.NewReader(in), 1000)
	if _, err := r.ReadMessage(); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("got %v, want ErrMessageTooLarge", err)
	}
	m, err := r.ReadMessage()
	if err != nil || m.Event() != "Next" {
		t.Fatalf("after the big one: got %v %v, want Next", m.Fields, err)
	}
}

func TestReadBanner(t *testing.T) {
	tests := []struct {
		in, want string
		bad      bool
	}{
		{"Asterisk Call Manager/11.0.0\r\n", "11.0.0", false},
		{"Asterisk Call Manager/1.1\n", "1.1", false},
		{"HTTP/1.1 400 Bad Request\r\n", "", true},
		{strings.Repeat("A", 5000) + "\r\n", "", true},
		{"", "", true},
	}
	for _, tc := range tests {
		got, err := NewReader(strings.NewReader(tc.in), 0).ReadBanner()
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("ReadBanner(%.30q): got %q, %v; want %q, error %v", tc.in, got, err, tc.want, tc.bad)
		}
	}
}

func TestMessageAccessors(t *testing.T) {
	m := Message{Fields: fields("Event", "OriginateResponse", "ActionID", "a1", "Response", "Failure", "Variable", "A=1", "variable", "B=x=y", "Output", "l1", "Output", "l2")}
	tests := []struct{ got, want any }{
		{m.IsEvent(), true},
		{m.IsResponse(), false}, // an event carrying a Response field
		{m.Get("actionid"), "a1"},
		{m.Get("missing"), ""},
		{m.Values("VARIABLE"), []string{"A=1", "B=x=y"}},
		{m.Vars("Variable"), map[string]string{"A": "1", "B": "x=y"}},
		{m.Output(), "l1\nl2"},
	}
	for i, tc := range tests {
		if diff := cmp.Diff(tc.want, tc.got); diff != "" {
			t.Errorf("%d: (-want +got)\n%s", i, diff)
		}
	}
	r := Message{Fields: fields("Response", "Success", "ActionID", "x")}
	if !r.IsResponse() || r.IsEvent() {
		t.Error("response misclassified")
	}
}

// TestHostileFollowsMemory: a peer that answers with 20 MiB of blank lines
// inside a "Response: Follows" answer (once about 21 million fields and
// gigabytes of heap) gets ErrMessageTooLarge within a small allocation, and
// the reader goes on with the next message.
func TestHostileFollowsMemory(t *testing.T) {
	const blank = 20 << 20
	in := io.MultiReader(
		strings.NewReader("Response: Follows\r\nPrivilege: Command\r\nActionID: 7\r\n"),
		&repeatReader{b: '\n', n: blank},
		strings.NewReader("--END COMMAND--\r\n\r\nEvent: After\r\n\r\n"),
	)
	r := NewReader(in, 0)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := r.ReadMessage()
	m, err2 := r.ReadMessage()
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("got %v, want ErrMessageTooLarge", err)
	}
	if err2 != nil || m.Event() != "After" {
		t.Fatalf("after the hostile answer: got %v %v, want Event After", m.Fields, err2)
	}
	// The bound is 1 MiB; scratch space for it is a few MiB at most.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Fatalf("reading it allocated %d MiB, want under 16", alloc>>20)
	}
}

// repeatReader yields n copies of b.
type repeatReader struct {
	b byte
	n int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := min(len(p), r.n)
	for i := range p[:k] {
		p[i] = r.b
	}
	r.n -= k
	return k, nil
}
