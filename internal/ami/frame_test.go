package ami

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// readFrames reads every message with ReadFrame, parsing the frames, and
// counts how many came as frames.
func readFrames(r *Reader, n int) (out []Message, frames int, err error) {
	err = readUntilEOF(n, func() error {
		f, m, err := r.ReadFrame()
		if err != nil {
			return err
		}
		if f != nil {
			frames++
			m = ParseFrame(f)
		}
		out = append(out, m)
		return nil
	})
	return out, frames, err
}

// readBatched reads as the AMI client's reader does: events whole in the
// buffer are taken without a read (BufferedFrame) and kept where they are,
// parsed only just before the next read, which may move them; what that
// read gives is kept so too. Frames that did not stay valid until then
// parse into other messages.
func readBatched(r *Reader, n int) (out []Message, err error) {
	var held [][]byte
	flush := func() {
		for _, f := range held {
			out = append(out, ParseFrame(f))
		}
		held = held[:0]
	}
	err = readUntilEOF(n, func() error {
		if f := r.BufferedFrame(); f != nil {
			held = append(held, f)
			return nil
		}
		flush()
		f, m, err := r.ReadFrame()
		switch {
		case err != nil:
			return err
		case f != nil:
			held = append(held, f)
		default:
			out = append(out, m)
		}
		return nil
	})
	flush()
	return out, err
}

// TestFramesRecorded: over every recorded stream, ReadFrame + ParseFrame
// give exactly ReadMessage's messages, and most events come as frames.
func TestFramesRecorded(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/ami/raw/*.in")
	if len(files) < 20 {
		t.Fatalf("only %d recorded streams", len(files))
	}
	total, framed := 0, 0
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		_, rest, _ := bytes.Cut(data, []byte("\n"))
		want, err := readBounded(NewReader(bytes.NewReader(rest), 0), len(rest))
		if err != nil {
			t.Fatal(err)
		}
		got, frames, err := readFrames(NewReader(bytes.NewReader(rest), 0), len(rest))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%s: frames differ from messages (-want +got):\n%s", path, diff)
		}
		// Read in halves, so that the buffer is refilled with frames kept.
		batched, err := readBatched(NewReader(iotest.HalfReader(bytes.NewReader(rest)), 0), len(rest))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, batched); diff != "" {
			t.Fatalf("%s: frames kept until the next read differ from messages (-want +got):\n%s", path, diff)
		}
		for _, m := range want {
			if m.IsEvent() {
				total++
			}
		}
		framed += frames
	}
	// The 64 KiB buffer holds many messages: only those split by a read
	// boundary take the slow path.
	if framed < total*9/10 {
		t.Errorf("%d of %d events came as frames", framed, total)
	}
}

func TestReadFrameKinds(t *testing.T) {
	in := "\r\nEvent: A\r\nX: 1\r\n\r\nResponse: Success\r\nActionID: 1\r\n\r\nEvent : B\nnocolon\n:v\n\n"
	r := NewReader(bytes.NewReader([]byte(in)), 0)
	if _, err := r.br.Peek(1); err != nil { // nothing comes as a frame before the first read
		t.Fatal(err)
	}
	f, _, err := r.ReadFrame()
	if err != nil || string(f) != "Event: A\r\nX: 1\r\n\r\n" {
		t.Fatalf("first: %q %v", f, err)
	}
	if d := cmp.Diff(Message{Fields: fields("Event", "A", "X", "1")}, ParseFrame(f)); d != "" {
		t.Fatal(d)
	}
	f, m, err := r.ReadFrame()
	if err != nil || f != nil || m.Response() != "Success" {
		t.Fatalf("a response must come parsed: %q %v %v", f, m, err)
	}
	f, _, err = r.ReadFrame()
	if err != nil || f == nil {
		t.Fatalf("third: %q %v", f, err)
	}
	want := Message{Fields: []Field{{"Event", "B"}, {"", "nocolon"}, {"", ":v"}}}
	if d := cmp.Diff(want, ParseFrame(f)); d != "" {
		t.Fatal(d)
	}
	if _, _, err := r.ReadFrame(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
}

// TestBufferedFrame: events whole in the buffer come without a read and
// stay in place; anything else (nothing buffered, half an event, a
// response) gives nil and consumes nothing.
func TestBufferedFrame(t *testing.T) {
	first, half := "Event: A\r\nX: 1\r\n\r\nEvent: B\r\n\r\n", "Event: C\r\nY: "
	pr, pw := io.Pipe()
	r := NewReader(pr, 0)
	if f := r.BufferedFrame(); f != nil {
		t.Fatalf("nothing read yet: %q", f)
	}
	go func() {
		pw.Write([]byte(first + half))
		pw.Write([]byte("2\r\n\r\nResponse: Success\r\n\r\n"))
		pw.Close()
	}()
	a, _, err := r.ReadFrame() // reads first and half
	if err != nil || string(a) != "Event: A\r\nX: 1\r\n\r\n" {
		t.Fatalf("first: %q %v", a, err)
	}
	b := r.BufferedFrame()
	if string(b) != "Event: B\r\n\r\n" || string(a) != "Event: A\r\nX: 1\r\n\r\n" {
		t.Fatalf("buffered: %q, and the first is now %q", b, a)
	}
	if f := r.BufferedFrame(); f != nil || r.Buffered() != len(half) {
		t.Fatalf("half an event: %q, %d buffered, want nil and %d", f, r.Buffered(), len(half))
	}
	c, _, err := r.ReadFrame()
	if err != nil || string(c) != "Event: C\r\nY: 2\r\n\r\n" {
		t.Fatalf("after the read: %q %v", c, err)
	}
	if f := r.BufferedFrame(); f != nil {
		t.Fatalf("a response is no frame: %q", f)
	}
	if _, m, err := r.ReadFrame(); err != nil || m.Response() != "Success" {
		t.Fatalf("response: %v %v", m, err)
	}
}

// FuzzFrames: ReadFrame + ParseFrame give exactly what ReadMessage gives,
// read in one go or one byte at a time, within the same bound.
func FuzzFrames(f *testing.F) {
	addRecordedSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		want, werr := readBounded(NewReader(bytes.NewReader(data), fuzzMax), len(data))
		for _, r := range []io.Reader{bytes.NewReader(data), iotest.OneByteReader(bytes.NewReader(data))} {
			got, _, err := readFrames(NewReader(r, fuzzMax), len(data))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("frames differ from messages (-want +got):\n%s", diff)
			}
			if (werr == nil) != (err == nil) || (werr != nil && werr.Error() != err.Error()) {
				t.Fatalf("errors differ: %v / %v", werr, err)
			}
		}
		for _, r := range []io.Reader{bytes.NewReader(data), iotest.OneByteReader(bytes.NewReader(data)), iotest.HalfReader(bytes.NewReader(data))} {
			got, err := readBatched(NewReader(r, fuzzMax), len(data))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("frames kept until the next read differ from messages (-want +got):\n%s", diff)
			}
			if (werr == nil) != (err == nil) || (werr != nil && werr.Error() != err.Error()) {
				t.Fatalf("errors differ: %v / %v", werr, err)
			}
		}
	})
}

// TestFrameFields: a Frame's fields are ParseFrame's, read in place.
func TestFrameFields(t *testing.T) {
	f := Frame("Event: VarSet\r\nChanVariable: A=1\r\nChanVariable : B=2\r\nnocolon\r\nX:  two spaces\r\n\r\n")
	var got []Field
	for n, v := range f.All() {
		got = append(got, Field{Name: string(n), Value: string(v)})
	}
	if d := cmp.Diff(f.Message().Fields, got); d != "" {
		t.Fatalf("(-ParseFrame +All):\n%s", d)
	}
	if len(got) != 5 {
		t.Fatalf("%d fields", len(got))
	}
	if v, ok := f.Lookup("chanvariable"); !ok || string(v) != "A=1" {
		t.Fatalf("Lookup: %q %v", v, ok)
	}
	if _, ok := f.Lookup("Missing"); ok {
		t.Fatal("Lookup of a missing field")
	}
	if n := testing.AllocsPerRun(100, func() {
		for range f.All() {
		}
	}); n != 0 {
		t.Fatalf("All allocates %v times", n)
	}
}

// TestFrameMessageIntoRecorded: over every recorded stream, each frame
// parsed by MessageInto into one reused array equals ParseFrame's message,
// with one allocation, and Frame.Event names it as Message.Event does.
func TestFrameMessageIntoRecorded(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/ami/raw/*.in")
	var buf []Field
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		_, rest, _ := bytes.Cut(data, []byte("\n"))
		r := NewReader(bytes.NewReader(rest), 0)
		for {
			f, _, err := r.ReadFrame()
			if err == io.EOF {
				break
			}
			if err != nil || f == nil {
				continue
			}
			want := ParseFrame(f)
			m := Frame(f).MessageInto(buf)
			if diff := cmp.Diff(want, m); diff != "" {
				t.Fatalf("%s: MessageInto differs from ParseFrame (-want +got):\n%s", path, diff)
			}
			if got := string(Frame(f).Event()); got != want.Event() {
				t.Fatalf("%s: Event() = %q, want %q", path, got, want.Event())
			}
			buf = m.Fields[:0]
		}
	}
	f := Frame("Event: Newexten\r\nChannel: PJSIP/101-00000001\r\nUniqueid: 1.1\r\n\r\n")
	buf = make([]Field, 8)
	if n := testing.AllocsPerRun(100, func() { f.MessageInto(buf) }); n != 1 {
		t.Errorf("MessageInto into a large enough array: %v allocations, want 1", n)
	}
}

func TestFrameEvent(t *testing.T) {
	for _, tc := range []struct {
		frame, want string
		ok          bool
	}{
		{"Event: Hangup\r\nUniqueid: 1.1\r\n\r\n", "Hangup", true},
		{"event :  Hangup\r\n\r\n", " Hangup", true},
		{"EVENT:Hangup\n\n", "Hangup", true},
		{"Response: Success\r\nEvent: Hangup\r\n\r\n", "", false},
		{"Eventual: x\r\n\r\n", "", false},
		{"no colon\r\n\r\n", "", false},
		{"Event: Hangup", "", false}, // no line end
		{"", "", false},
	} {
		got := Frame(tc.frame).Event()
		if string(got) != tc.want || (got != nil) != tc.ok {
			t.Errorf("%q: Event() = %q (nil %v), want %q (found %v)", tc.frame, got, got == nil, tc.want, tc.ok)
		}
	}
}
