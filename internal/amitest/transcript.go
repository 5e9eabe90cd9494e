// Package amitest is an in-process AMI server for tests. It listens on
// 127.0.0.1:0 and speaks the real protocol over TCP, in one of two modes:
// it replays a transcript recorded from Asterisk byte for byte, checking what
// the client sends against the recorded actions, or it answers actions with
// scriptable handlers (login, ping and logoff built in) and pushes events on
// demand, which is what reconnect tests and other packages' tests need.
package amitest

import (
	"bytes"
	"fmt"
	"os"
)

// Direction says who wrote a transcript block.
type Direction int

// Directions of a block, as seen from the AMI client that was recorded.
const (
	Sent     Direction = iota + 1 // ">>> sent": bytes the client wrote
	Received                      // "<<< received": bytes Asterisk wrote
)

// String returns "sent" or "received".
func (d Direction) String() string {
	switch d {
	case Sent:
		return "sent"
	case Received:
		return "received"
	}
	return fmt.Sprintf("Direction(%d)", int(d))
}

// Block is one run of bytes written by one side of a recorded conversation.
type Block struct {
	Dir Direction
	// Label is the marker's text after the arrows ("sent", "received", or
	// "GET /rawman?..." in the HTTP transcript).
	Label string
	// Data is the exact bytes on the wire.
	Data []byte
}

// ParseTranscript reads a transcript file (testdata/ami/NAME.txt): marker
// lines ">>> ..." and "<<< ..." ending in a bare LF, the exact bytes of the
// conversation in between. It returns the blocks in order.
func ParseTranscript(path string) ([]Block, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("amitest: %w", err)
	}
	blocks, err := ParseTranscriptBytes(b)
	if err != nil {
		return nil, fmt.Errorf("amitest: %s: %w", path, err)
	}
	return blocks, nil
}

// ParseTranscriptBytes is ParseTranscript over bytes in memory.
func ParseTranscriptBytes(b []byte) ([]Block, error) {
	var blocks []Block
	for len(b) > 0 {
		line, rest := b, []byte(nil)
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, rest = b[:i+1], b[i+1:]
		}
		if dir, label, ok := marker(line); ok {
			blocks = append(blocks, Block{Dir: dir, Label: label, Data: []byte{}})
		} else if len(blocks) == 0 {
			return nil, fmt.Errorf("data before the first marker line: %q", line)
		} else {
			last := &blocks[len(blocks)-1]
			last.Data = append(last.Data, line...)
		}
		b = rest
	}
	return blocks, nil
}

// marker recognises a marker line: it starts with ">>> " or "<<< " and ends
// in a bare LF, whereas recorded AMI lines end in CRLF.
func marker(line []byte) (Direction, string, bool) {
	n := len(line)
	if n < 5 || line[n-1] != '\n' || line[n-2] == '\r' {
		return 0, "", false
	}
	label := string(line[4 : n-1])
	switch {
	case bytes.HasPrefix(line, []byte(">>> ")):
		return Sent, label, true
	case bytes.HasPrefix(line, []byte("<<< ")):
		return Received, label, true
	}
	return 0, "", false
}

// Concat returns the bytes of every block in the given direction, in order:
// what one side of the conversation saw on its socket.
func Concat(blocks []Block, dir Direction) []byte {
	var out []byte
	for _, b := range blocks {
		if b.Dir == dir {
			out = append(out, b.Data...)
		}
	}
	return out
}
