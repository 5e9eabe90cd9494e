package ami

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// addRecordedSeeds adds the recorded streams (the small ones whole) and
// each of their messages on its own to the fuzz corpus.
func addRecordedSeeds(f *testing.F) {
	files, _ := filepath.Glob("../../testdata/ami/raw/*.*")
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		if len(data) < 16<<10 { // big ones cost seconds byte by byte under -race
			f.Add(data)
		}
		for _, m := range bytes.SplitAfter(data, []byte("\r\n\r\n")) {
			f.Add(m)
		}
	}
	f.Add([]byte("Response: Follows\r\nPrivilege: Command\r\nActionID: 1\r\nline: 1\nline 2--END COMMAND--\r\n\r\n"))
	f.Add([]byte("Event: A\nX: 1\n\n\n\r\nEvent: B\r\n\r\n"))
	f.Add([]byte("Response: Follows\r\nActionID: 1\r\n" + strings.Repeat("\n", 40) + "--END COMMAND--\r\n\r\nEvent: B\r\n\r\n"))
}

// fuzzMax is a small bound so that the fuzzer reaches it.
const fuzzMax = 512

// FuzzReader: no input makes the reader panic, loop or hold more than its
// bound; reading in one go (in-buffer fast path) and one byte at a time
// (line-by-line path) give the same messages; every message written out
// again parses back to itself.
func FuzzReader(f *testing.F) {
	addRecordedSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ferr := readBounded(NewReader(bytes.NewReader(data), fuzzMax), len(data))
		slow, serr := readBounded(NewReader(iotest.OneByteReader(bytes.NewReader(data)), fuzzMax), len(data))
		if diff := cmp.Diff(fast, slow); diff != "" {
			t.Fatalf("fast and one-byte reads differ (-fast +slow):\n%s", diff)
		}
		if (ferr == nil) != (serr == nil) || (ferr != nil && ferr.Error() != serr.Error()) {
			t.Fatalf("errors differ: %v / %v", ferr, serr)
		}
		for _, m := range fast {
			// Fields count as the reader counts them, so that many empty
			// fields cannot hide under a byte bound.
			if size := m.Size(); size > fuzzMax {
				t.Fatalf("message of %d bytes over the bound %d", size, fuzzMax)
			}
			if !safeFields(m) || m.Get("Response") == "Follows" {
				continue // not every message is writable as is
			}
			again, err := NewReader(strings.NewReader(m.String()), 0).ReadMessage()
			if err != nil {
				t.Fatalf("written out again: %v", err)
			}
			if diff := cmp.Diff(m, again); diff != "" {
				t.Fatalf("round trip (-first +again):\n%s", diff)
			}
		}
	})
}

// safeFields reports whether a message survives String and ReadMessage:
// names without colons or edge spaces, values not starting with a space.
func safeFields(m Message) bool {
	for _, f := range m.Fields {
		if f.Name == "" || strings.ContainsAny(f.Name, ":\r\n") || strings.TrimSpace(f.Name) != f.Name ||
			strings.HasPrefix(f.Value, " ") || strings.ContainsAny(f.Value, "\r\n") {
			return false
		}
	}
	return true
}

// readUntilEOF calls read until it reports io.EOF, skipping messages over
// the bound; it fails if the reader does not progress (n is the input's
// size: every call consumes at least a byte).
func readUntilEOF(n int, read func() error) error {
	for i := 0; i <= n+1; i++ {
		err := read()
		if errors.Is(err, ErrMessageTooLarge) && !errors.Is(err, io.ErrUnexpectedEOF) {
			continue
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return errors.New("reader did not progress")
}

// readBounded reads every message, skipping oversized ones.
func readBounded(r *Reader, n int) (out []Message, err error) {
	err = readUntilEOF(n, func() error {
		m, err := r.ReadMessage()
		if err == nil {
			out = append(out, m)
		}
		return err
	})
	return out, err
}

// FuzzEncode: an action either is refused before anything is written, or
// encodes to exactly one line per header that parses back to the same
// headers; no accepted value can carry CR, LF or NUL to the wire.
func FuzzEncode(f *testing.F) {
	f.Add("Originate", "1", "Channel", "Local/101@phones", "Variable", "A=1")
	f.Add("Hangup", "x", "Channel", "x\r\nAction: Logoff", "Cause", "16")
	f.Add("Ping", "1\n", "A", "\x00", "B: ", " c")
	f.Add("Command", "id", "Command", "core show channels", "", "")
	f.Fuzz(func(t *testing.T, name, id, k1, v1, k2, v2 string) {
		a := &Action{Name: name, Fields: []Field{{k1, v1}, {k2, v2}}}
		b, err := a.Encode([]byte("x"), id)
		if err != nil {
			if string(b) != "x" {
				t.Fatalf("refused action appended %q", b[1:])
			}
			return
		}
		b = b[1:]
		if bytes.ContainsRune(b, 0) || bytes.Count(b, []byte("\n")) != 5 || bytes.Count(b, []byte("\r")) != 5 {
			t.Fatalf("unsafe bytes on the wire: %q", b)
		}
		m, err := NewReader(bytes.NewReader(b), 0).ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		want := a.Message(id)
		for i := range want.Fields { // the reader takes one space after the colon
			want.Fields[i].Value = strings.TrimPrefix(" "+want.Fields[i].Value, " ")
		}
		if diff := cmp.Diff(want, m); diff != "" {
			t.Fatalf("parsed back (-want +got):\n%s", diff)
		}
	})
}
