package pbxsim

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/amigate/amigate/internal/ami"
)

// step is one message of a recorded conversation: sent by the client or
// received from Asterisk.
type step struct {
	sent bool
	msg  ami.Message
}

// readTranscript parses a testdata/ami/NAME.txt file: blocks after ">>> sent"
// and "<<< received" marker lines (ending in a bare LF).
func readTranscript(t testing.TB, path string) []step {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	var steps []step
	flush := func(sent bool, body []byte) {
		body = bytes.TrimPrefix(body, []byte("Asterisk Call Manager/11.0.0\r\n"))
		r := ami.NewReader(bytes.NewReader(body), 0)
		for {
			m, err := r.ReadMessage()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			steps = append(steps, step{sent: sent, msg: m})
		}
	}
	var body []byte
	sent := false
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		switch string(line) {
		case ">>> sent\n", "<<< received\n":
			flush(sent, body)
			body, sent = nil, line[0] == '>'
			continue
		}
		body = append(body, line...)
	}
	flush(sent, body)
	return steps
}

// channelNamer maps channel names to stable roles: "Local/101@phones-0000000c;1"
// becomes "Local/101@phones#0;1", the first pair on that base in the stream.
type channelNamer struct {
	seen  map[string]int    // base -> pairs seen
	roles map[string]string // full base name -> role base
	byID  map[string]string // uniqueid -> role
}

func newChannelNamer() *channelNamer {
	return &channelNamer{seen: map[string]int{}, roles: map[string]string{}, byID: map[string]string{}}
}

func splitChannel(name string) (full, base, half string) {
	full, half, _ = strings.Cut(name, ";")
	base = full
	if i := strings.LastIndexByte(full, '-'); i > 0 {
		base = full[:i]
	}
	return full, base, half
}

// observe records a Newchannel event.
func (n *channelNamer) observe(m ami.Message) {
	if ev := m.Event(); ev != "Newchannel" && ev != "CoreShowChannel" {
		return
	}
	full, base, _ := splitChannel(m.Get("Channel"))
	if _, ok := n.roles[full]; !ok {
		n.roles[full] = base + "#" + strconv.Itoa(n.seen[base])
		n.seen[base]++
	}
	n.byID[m.Get("Uniqueid")] = n.role(m.Get("Channel"))
}

func (n *channelNamer) role(name string) string {
	full, _, half := splitChannel(name)
	if r, ok := n.roles[full]; ok {
		if half != "" {
			return r + ";" + half
		}
		return r
	}
	return name
}

// lookup returns the channel name that has role in this stream.
func (n *channelNamer) lookup(role string) string {
	r, half, _ := strings.Cut(role, ";")
	for full, x := range n.roles {
		if x == r {
			if half != "" {
				return full + ";" + half
			}
			return full
		}
	}
	return role
}
