package ami

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// DefaultMaxMessageSize bounds one message when the caller sets no bound.
const DefaultMaxMessageSize = 1 << 20

// bannerMax bounds the banner line: Asterisk sends about 30 bytes.
const bannerMax = 1024

// ErrMessageTooLarge is returned for a message over the reader's bound. The
// rest of that message is skipped, so the reader stays usable.
var ErrMessageTooLarge = errors.New("ami: message too large")

// ProtocolError is a violation of the AMI framing by the peer, as opposed to
// an error answer from Asterisk (see amiclient.ActionError).
type ProtocolError struct {
	Msg string
}

func (e *ProtocolError) Error() string { return "ami: protocol error: " + e.Msg }

// Reader splits AMI messages off a byte stream. It accepts CRLF and bare LF
// line ends, keeps repeated fields in order, and holds at most one message
// (bounded by its max size) in memory. A Reader is not safe for concurrent use.
type Reader struct {
	br   *bufio.Reader
	max  int
	buf  []byte // text of the message being read: names and values back to back
	offs []int  // per field: name start, name end, value start, value end in buf
}

// NewReader returns a Reader over r. maxSize bounds one message in bytes;
// zero or less means DefaultMaxMessageSize.
func NewReader(r io.Reader, maxSize int) *Reader {
	if maxSize <= 0 {
		maxSize = DefaultMaxMessageSize
	}
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < 4096 {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	return &Reader{br: br, max: maxSize}
}

// Buffered is the number of bytes already read from the stream and not yet
// returned as messages. Zero means the next ReadMessage may block on the
// stream: a caller that batches messages hands its batch over then.
func (r *Reader) Buffered() int { return r.br.Buffered() }

// ReadBanner reads the greeting line ("Asterisk Call Manager/11.0.0") and
// returns the protocol version after the slash.
func (r *Reader) ReadBanner() (string, error) {
	var line []byte
	for {
		frag, err := r.br.ReadSlice('\n')
		line = append(line, frag...)
		if len(line) > bannerMax {
			return "", &ProtocolError{Msg: "banner line too long"}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF && len(line) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return "", err
		}
		break
	}
	s := strings.TrimRight(string(line), "\r\n")
	const prefix = "Asterisk Call Manager/"
	if !strings.HasPrefix(s, prefix) {
		return "", &ProtocolError{Msg: fmt.Sprintf("unexpected banner %q", s)}
	}
	return s[len(prefix):], nil
}

// FieldCost is what each field of a message counts against the reader's
// bound on top of the bytes read for it: a Field is two string headers
// (32 bytes on 64-bit platforms). Without it a peer could send a message
// of a million one-byte lines (blank lines inside a "Response: Follows"
// answer) that holds far more memory than its bytes.
const FieldCost = 32

// Size is what a message counts against a Reader's bound, as far as the
// message itself tells: the bytes of its names and values and FieldCost per
// field. The reader counts at least this much: every byte read for the
// message (line ends and separators included, the blank line that ends it
// not), FieldCost per field, and the name "Output" it gives each line of
// an old "Response: Follows" answer's output.
func (m *Message) Size() int {
	n := 0
	for i := range m.Fields {
		n += len(m.Fields[i].Name) + len(m.Fields[i].Value) + FieldCost
	}
	return n
}

// ReadMessage reads the next message. Blank lines between messages are
// skipped. An old-style "Response: Follows" answer is read up to its
// "--END COMMAND--" line, each output line (blank ones too) becoming an
// Output field. A message over the bound (see Size) is skipped whole and
// reported as ErrMessageTooLarge.
func (r *Reader) ReadMessage() (Message, error) {
	if m, ok := r.readBuffered(); ok {
		return m, nil
	}
	r.buf = r.buf[:0]
	r.offs = r.offs[:0]
	size := 0
	follows := false  // inside an old "Response: Follows" answer
	inOutput := false // past its headers, in the command's raw output
	for {
		line, eol, err := r.readLine(&size, follows)
		if err != nil {
			if err == io.EOF && len(r.offs) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return Message{}, err
		}
		if follows {
			if len(line) == 0 {
				size += eol // inside command output a blank line is a field like any other
			}
			if bytes.HasSuffix(line, endCommand) {
				if out := bytes.TrimRight(line[:len(line)-len(endCommand)], "\r\n"); len(out) > 0 {
					if size += FieldCost + len(outputName); size > r.max {
						return Message{}, r.skipRest(true, false) // the command's end is read
					}
					r.addField(outputName, out)
				}
				return r.message(), nil
			}
			name, value, ok := splitField(line)
			if !ok || inOutput || !isFollowsHeader(name) {
				inOutput = true
				name, value = outputName, line
				size += len(outputName)
			}
			if size += FieldCost; size > r.max {
				return Message{}, r.skipRest(true, true)
			}
			r.addField(name, value)
			continue
		}
		if len(line) == 0 {
			if len(r.offs) == 0 {
				continue // stray blank line between messages
			}
			return r.message(), nil
		}
		if size += FieldCost; size > r.max {
			return Message{}, r.skipRest(true, false)
		}
		name, value, ok := splitField(line)
		if !ok {
			// A line without a colon: keep it rather than lose it.
			name, value = nil, line
		}
		r.addField(name, value)
		if len(r.offs) == 4 && EqualFold(name, "Response") && EqualFold(value, "Follows") {
			follows = true
		}
	}
}

var (
	endCommand = []byte("--END COMMAND--")
	outputName = []byte("Output")
)

// isFollowsHeader tells the few real headers at the top of an old
// "Response: Follows" answer from the command's own output lines.
func isFollowsHeader(name []byte) bool {
	return EqualFold(name, "ActionID") || EqualFold(name, "Privilege") || EqualFold(name, "Message")
}

// readLine returns the next line without its line end, counting its bytes,
// line end included, against the message bound; a blank line is not
// counted (it ends a message), but the length of its line end is returned
// for the caller to count when it is not the end. The slice is valid until
// the next read. follows says whether the message is an old "Response:
// Follows" answer, so that an oversized one is skipped up to its end.
func (r *Reader) readLine(size *int, follows bool) (line []byte, eol int, err error) {
	line, err = r.br.ReadSlice('\n')
	if err == nil {
		raw := len(line)
		line = trimEOL(line)
		if len(line) == 0 {
			return line, raw, nil
		}
		*size += raw
		if *size > r.max {
			return nil, 0, r.skipRest(true, follows)
		}
		return line, raw - len(line), nil
	}
	if err != bufio.ErrBufferFull {
		if len(line) > 0 && err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, 0, err
	}
	// A line longer than the bufio buffer: collect it within the bound.
	long := append([]byte(nil), line...)
	for {
		*size += len(line)
		if *size > r.max {
			return nil, 0, r.skipRest(false, follows)
		}
		line, err = r.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			long = append(long, line...)
			continue
		}
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, 0, err
		}
		*size += len(line)
		if *size > r.max {
			return nil, 0, r.skipRest(true, follows)
		}
		long = append(long, line...)
		raw := len(long)
		long = trimEOL(long)
		return long, raw - len(long), nil
	}
}

// skipRest discards the rest of an oversized message and reports
// ErrMessageTooLarge. A message ends at its blank line; an old "Response:
// Follows" answer (follows) at its "--END COMMAND--" line, since its output
// may hold blank lines. atLineStart says whether the stream stands at the
// start of a line (or in the middle of a long one). Nothing is kept.
//
// It searches what is buffered for the end rather than reading line by
// line: a hostile peer's megabytes of blank lines cost a few searches per
// buffer, not a call per line.
func (r *Reader) skipRest(atLineStart, follows bool) error {
	r.buf = r.buf[:0]
	r.offs = r.offs[:0]
	if atLineStart && !follows {
		// The blank line may be the very next one.
		b, err := r.br.Peek(2)
		switch {
		case len(b) >= 1 && b[0] == '\n':
			_, _ = r.br.Discard(1)
			return r.skipped()
		case len(b) == 2 && b[0] == '\r' && b[1] == '\n':
			_, _ = r.br.Discard(2)
			return r.skipped()
		case len(b) < 2 && err != nil:
			return r.skipFailed(err)
		}
	}
	keep := 0 // bytes left buffered that a match may start in
	for {
		if _, err := r.br.Peek(keep + 1); err != nil { // waits for more than what was searched
			return r.skipFailed(err)
		}
		b, _ := r.br.Peek(r.br.Buffered())
		var end int
		if follows {
			end, keep = commandEnd(b)
		} else {
			end, keep = blankLineEnd(b)
		}
		if end >= 0 {
			_, _ = r.br.Discard(end)
			return r.skipped()
		}
		_, _ = r.br.Discard(len(b) - keep)
	}
}

func (r *Reader) skipped() error { return fmt.Errorf("%w: over %d bytes", ErrMessageTooLarge, r.max) }

func (r *Reader) skipFailed(err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("%w (skipping it: %w)", ErrMessageTooLarge, err)
}

// commandEnd finds the end of a "--END COMMAND--" line in b: the index
// past its line end, or -1 and how many of b's last bytes may begin one
// that more bytes would complete.
func commandEnd(b []byte) (end, keep int) {
	for off := 0; ; {
		i := bytes.Index(b[off:], endCommand)
		if i < 0 {
			return -1, min(len(b)-off, len(endCommand)-1)
		}
		j := off + i + len(endCommand)
		switch {
		case j < len(b) && b[j] == '\n':
			return j + 1, 0
		case j+1 < len(b) && b[j] == '\r' && b[j+1] == '\n':
			return j + 2, 0
		case j == len(b) || j+1 == len(b) && b[j] == '\r':
			return -1, len(b) - (off + i)
		}
		off += i + 1
	}
}

// blankLineEnd finds the end of the first blank line in b that follows a
// line end in b: the index past it, or -1 and how many of b's last bytes
// may begin one.
func blankLineEnd(b []byte) (end, keep int) {
	for off := 0; ; {
		i := bytes.IndexByte(b[off:], '\n')
		if i < 0 {
			return -1, 0
		}
		j := off + i + 1 // the start of the next line
		switch {
		case j < len(b) && b[j] == '\n':
			return j + 1, 0
		case j+1 < len(b) && b[j] == '\r' && b[j+1] == '\n':
			return j + 2, 0
		case j == len(b) || j+1 == len(b) && b[j] == '\r':
			return -1, len(b) - (off + i)
		}
		off = j
	}
}

func (r *Reader) addField(name, value []byte) {
	ns := len(r.buf)
	r.buf = append(r.buf, name...)
	vs := len(r.buf)
	r.buf = append(r.buf, value...)
	r.offs = append(r.offs, ns, vs, vs, len(r.buf))
}

// message turns the collected text into a Message with one string and one
// slice allocation; every name and value is a substring of that string.
func (r *Reader) message() Message {
	s := string(r.buf)
	fields := make([]Field, len(r.offs)/4)
	for i := range fields {
		o := r.offs[4*i : 4*i+4 : 4*i+4]
		fields[i] = Field{Name: s[o[0]:o[1]], Value: s[o[2]:o[3]]}
	}
	return Message{Fields: fields}
}

// splitField splits "Name: Value" at the first colon. One space after the
// colon is part of the separator; any further spaces belong to the value
// (command output keeps its indentation).
func splitField(line []byte) (name, value []byte, ok bool) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return nil, nil, false
	}
	name, value = line[:i], line[i+1:]
	if len(value) > 0 && value[0] == ' ' {
		value = value[1:]
	}
	return bytes.TrimRight(name, " \t"), value, true
}

func trimEOL(line []byte) []byte {
	n := len(line)
	if n > 0 && line[n-1] == '\n' {
		n--
		if n > 0 && line[n-1] == '\r' {
			n--
		}
	}
	return line[:n]
}
