package ami

import (
	"bytes"
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
	if f := r.eventFrame(); f != nil {
		return f, Message{}, nil
	}
	m, err = r.ReadMessage()
	return nil, m, err
}

// eventFrame returns the raw text of the next message if it is an event
// whole in the buffer and within the bound, and consumes it; otherwise it
// consumes nothing but stray blank lines and returns nil.
func (r *Reader) eventFrame() []byte {
	n := r.br.Buffered()
	if n == 0 {
		return nil
	}
	buf, _ := r.br.Peek(n) // no I/O: n bytes are buffered
	start := 0
	for start < len(buf) {
		if buf[start] == '\n' {
			start++
		} else if buf[start] == '\r' && start+1 < len(buf) && buf[start+1] == '\n' {
			start += 2
		} else {
			break
		}
	}
	if start > 0 {
		r.br.Discard(start)
		buf = buf[start:]
	}
	i, size := 0, 0
	for {
		j := bytes.IndexByte(buf[i:], '\n')
		if j < 0 {
			return nil
		}
		end := i + j
		if end == i || (end == i+1 && buf[i] == '\r') { // the blank line
			if i == 0 {
				return nil // cannot happen: blank lines were skipped
			}
			total := end + 1
			r.br.Discard(total) // the bytes stay in place until the next read
			return buf[:total:total]
		}
		// Counted as ReadMessage counts: the line with its end, and the field.
		if size += end + 1 - i + FieldCost; size > r.max {
			return nil
		}
		if i == 0 && !isEventLine(buf[:end]) {
			return nil
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
func ParseFrame(frame []byte) Message {
	s := string(frame)
	n := strings.Count(s, "\n") - 1 // every line but the blank one is a field
	if n <= 0 {
		return Message{}
	}
	fields := make([]Field, 0, n)
	for i := 0; len(fields) < n; {
		j := strings.IndexByte(s[i:], '\n')
		if j < 0 {
			break
		}
		end := i + j
		le := end
		if le > i && s[le-1] == '\r' {
			le--
		}
		if le == i {
			break // the blank line: the message ends
		}
		line := s[i:le]
		if c := strings.IndexByte(line, ':'); c <= 0 {
			fields = append(fields, Field{Value: line}) // no name: keep the line as a value
		} else {
			v := line[c+1:]
			if len(v) > 0 && v[0] == ' ' {
				v = v[1:]
			}
			fields = append(fields, Field{Name: strings.TrimRight(line[:c], " \t"), Value: v})
		}
		i = end + 1
	}
	return Message{Fields: fields}
}
