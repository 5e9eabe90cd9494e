package ami

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recordedStream returns every recorded Asterisk stream (raw/*.in) without
// banners, back to back, and how many messages and events it holds.
func recordedStream(tb testing.TB) (data []byte, msgs, events int) {
	tb.Helper()
	files, err := filepath.Glob("../../testdata/ami/raw/*.in")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no recorded streams: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		_, rest, _ := bytes.Cut(b, []byte("\n")) // the banner
		data = append(data, rest...)
	}
	r := NewReader(bytes.NewReader(data), 0)
	for {
		m, err := r.ReadMessage()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		msgs++
		if m.IsEvent() {
			events++
		}
	}
	return data, msgs, events
}

// loopReader replays data forever.
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := copy(p, l.data[l.off:])
	l.off = (l.off + n) % len(l.data)
	return n, nil
}

// BenchmarkReadMessage parses the recorded Asterisk streams: one op is
// one message (95% of them events); it reports messages/s, events/s and
// MB/s, and allocs/op is per message.
func BenchmarkReadMessage(b *testing.B) {
	data, msgs, events := recordedStream(b)
	r := NewReader(&loopReader{data: data}, 0)
	b.SetBytes(int64(len(data) / msgs))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := r.ReadMessage(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(b.N)*float64(events)/float64(msgs)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkSplitFrames is the floor to compare with: it only finds where
// each message ends (ReadSlice per line, no copy, no fields).
func BenchmarkSplitFrames(b *testing.B) {
	data, msgs, _ := recordedStream(b)
	br := bufio.NewReaderSize(&loopReader{data: data}, 64<<10)
	b.SetBytes(int64(len(data) / msgs))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				b.Fatal(err)
			}
			if len(line) <= 2 && (len(line) == 1 || line[0] == '\r') {
				break
			}
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkNaiveReadString is the usual hand-written AMI parser, for
// comparison: bufio.ReadString per line, strings.Cut, a map per message
// (which loses repeated keys and order).
func BenchmarkNaiveReadString(b *testing.B) {
	data, msgs, _ := recordedStream(b)
	br := bufio.NewReaderSize(&loopReader{data: data}, 64<<10)
	b.SetBytes(int64(len(data) / msgs))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m := map[string]string{}
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				b.Fatal(err)
			}
			line = strings.TrimRight(line, "\r\n")
			if line == "" {
				break
			}
			k, v, _ := strings.Cut(line, ": ")
			m[k] = v
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkReadFrame is ReadMessage's work split in two as a client that
// routes events does it: ReadFrame in the reader, ParseFrame where the
// event is consumed. One op is one message.
func BenchmarkReadFrame(b *testing.B) {
	data, msgs, events := recordedStream(b)
	r := NewReader(&loopReader{data: data}, 0)
	b.SetBytes(int64(len(data) / msgs))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, _, err := r.ReadFrame()
		if err != nil {
			b.Fatal(err)
		}
		if f != nil {
			ParseFrame(f)
		}
	}
	b.ReportMetric(float64(b.N)*float64(events)/float64(msgs)/b.Elapsed().Seconds(), "events/s")
}
