package ami

import (
	"bytes"
	"iter"
	"strings"
)

// ReadFrame reads the next message like ReadMessage, but hands an event
// over unparsed when it can: when the next message is whole in the read
// buffer, within the bound, and its first field is Event, it returns the
// message's raw text (its blank line included; valid only until the next
// read) for ParseFrame. Anything else (responses, a message that spans
// reads) comes back parsed in m. The point is to let a reader that only
// routes events leave their parsing, and its allocations, to whoever
// consumes them.
func (r *Reader) ReadFrame() (frame []byte, m Message, err error) {
	f, more := r.eventFrame()
	// A message cut by the end of what was read: read on (ReadMessage
	// would block as well), while the buffer has room.
	for f == nil && more && r.br.Buffered() < r.br.Size() {
		if _, err := r.br.Peek(r.br.Buffered() + 1); err != nil {
			break // ReadMessage reports it
		}
		f, more = r.eventFrame()
	}
	if f != nil {
		return f, Message{}, nil
	}
	m, err = r.ReadMessage()
	return nil, m, err
}

// BufferedFrame is ReadFrame without reading: it returns the next event's
// raw text if it is whole in the read buffer (as ReadFrame would return it,
// and consumed), and nil, consuming nothing, otherwise. The frames it
// returns stay valid until the next call that reads (ReadFrame,
// ReadMessage): a reader that batches events can keep them in place until
// then instead of copying each one.
func (r *Reader) BufferedFrame() []byte {
	f, _ := r.eventFrame()
	return f
}

// eventFrame returns the raw text of the next message if it is an event
// whole in the buffer and within the bound, and consumes it; otherwise it
// consumes nothing but stray blank lines and returns nil, and more says
// whether the buffer ends in the middle of what may be such an event.
func (r *Reader) eventFrame() (frame []byte, more bool) {
	n := r.br.Buffered()
	if n == 0 {
		return nil, true
	}
	buf := r.bufferedMessage(n)
	i, size := 0, 0
	for {
		j := bytes.IndexByte(buf[i:], '\n')
		if j < 0 {
			return nil, i > 0 || len(buf) < 64 || isEventLine(buf)
		}
		end := i + j
		if end == i || (end == i+1 && buf[i] == '\r') { // the blank line
			if i == 0 {
				return nil, false // cannot happen: blank lines were skipped
			}
			total := end + 1
			r.br.Discard(total) // the bytes stay in place until the next read
			return buf[:total:total], false
		}
		// Counted as ReadMessage counts: the line with its end, and the field.
		if size += end + 1 - i + FieldCost; size > r.max {
			return nil, false
		}
		if i == 0 && !isEventLine(buf[:end]) {
			return nil, false
		}
		i = end + 1
	}
}

// isEventLine tells a first line "Event: ..." (any case, spaces before the
// colon allowed, as the parser allows them).
func isEventLine(line []byte) bool {
	c := colon(line)
	if c <= 0 {
		return false
	}
	return EqualFold(bytes.TrimRight(line[:c], " \t"), "Event")
}

// ParseFrame parses the raw text of one message as ReadFrame returns it,
// with one string and one slice allocation: every name and value is a
// substring of one copy of the frame, as ReadMessage gives them.
func ParseFrame(frame []byte) Message { return parseFrame(frame, nil) }

// parseFrame is ParseFrame putting the fields in buf's array when it is
// large enough.
func parseFrame(frame []byte, buf []Field) Message {
	n := bytes.Count(frame, newline) - 1 // every line but the blank one is a field
	if n <= 0 {
		return Message{}
	}
	s := string(frame)
	fields := buf[:0]
	if cap(fields) < n {
		fields = make([]Field, n)
	}
	fields = fields[:n]
	k := 0
	for i := 0; k < n; {
		line, next := nextLine(s, i)
		if next < 0 || len(line) == 0 {
			break // the blank line: the message ends
		}
		ne, vs := cutField(line)
		fields[k] = Field{Name: line[:ne], Value: line[vs:]}
		k++
		i = next
	}
	return Message{Fields: fields[:k:k]}
}

var newline = []byte("\n")

// nextLine returns the line starting at i without its line end, and where
// the next one starts (-1: no line end).
func nextLine(s string, i int) (string, int) {
	j := strings.IndexByte(s[i:], '\n')
	if j < 0 {
		return "", -1
	}
	le := i + j
	if le > i && s[le-1] == '\r' {
		le--
	}
	return s[i:le], i + j + 1
}

// nextLineBytes is nextLine over bytes.
func nextLineBytes(s []byte, i int) ([]byte, int) {
	j := bytes.IndexByte(s[i:], '\n')
	if j < 0 {
		return nil, -1
	}
	le := i + j
	if le > i && s[le-1] == '\r' {
		le--
	}
	return s[i:le], i + j + 1
}

// cutField splits a line as the reader does: the name ends at the first
// colon (spaces and tabs before it trimmed), and one space after the colon
// belongs to the separator. A line without a name (no colon, or one at the
// start) is all value: ne is 0 and vs 0.
func cutField[S string | []byte](line S) (ne, vs int) {
	c := 0
	for c < len(line) && line[c] != ':' {
		c++
	}
	if c == 0 || c == len(line) {
		return 0, 0
	}
	ne = c
	for ne > 0 && (line[ne-1] == ' ' || line[ne-1] == '\t') {
		ne--
	}
	vs = c + 1
	if vs < len(line) && line[vs] == ' ' {
		vs++
	}
	return ne, vs
}

// Frame is one message's raw text as ReadFrame gives it: its lines and the
// blank line that ends it. A Frame handed out by a subscription is borrowed
// (see amiclient.Subscription.NextFrame): what is kept must be copied, as
// with bufio.Reader.ReadSlice.
type Frame []byte

// All yields the frame's fields in order, repeated names included, as
// byte slices into the frame: reading a frame so allocates nothing.
func (f Frame) All() iter.Seq2[[]byte, []byte] {
	return func(yield func(name, value []byte) bool) {
		for i := 0; ; {
			line, next := nextLineBytes(f, i)
			if next < 0 || len(line) == 0 {
				return
			}
			ne, vs := cutField(line)
			if !yield(line[:ne], line[vs:]) {
				return
			}
			i = next
		}
	}
}

// Lookup returns the value of the first field called name (ignoring case).
func (f Frame) Lookup(name string) ([]byte, bool) {
	for n, v := range f.All() {
		if EqualFold(n, name) {
			return v, true
		}
	}
	return nil, false
}

// Message parses the frame into a Message of its own (ParseFrame).
func (f Frame) Message() Message { return ParseFrame(f) }

// MessageInto is Message with the fields in buf's array when it is large
// enough: one allocation (the text) instead of two, for a consumer that
// parses event after event and keeps none of them. The names and values are
// the message's own; its Fields slice is buf's, overwritten by the next
// MessageInto into buf (clone it to keep the message).
func (f Frame) MessageInto(buf []Field) Message { return parseFrame(f, buf) }

// Event is the value of the frame's first field when that is Event (as in
// every frame a subscription hands out), nil otherwise: what a consumer
// switches on to skip events it has no use for without parsing them.
func (f Frame) Event() []byte {
	line, next := nextLineBytes(f, 0)
	if next < 0 {
		return nil
	}
	ne, vs := cutField(line)
	if ne == 0 || !EqualFold(line[:ne], "Event") {
		return nil
	}
	return line[vs:]
}
