package ami

import "bytes"

// readBuffered is ReadMessage's fast path: when a whole message already
// sits in the bufio buffer, it is scanned in place, copied once into one
// string, and every name and value becomes a substring of it. It reports
// false, having consumed nothing but stray blank lines, when the message is
// not complete in the buffer, is an old "Response: Follows" answer, or is
// over the bound: the line-by-line path handles those.
func (r *Reader) readBuffered() (Message, bool) {
	n := r.br.Buffered()
	if n == 0 {
		return Message{}, false
	}
	buf := r.bufferedMessage(n)
	r.offs = r.offs[:0]
	i, size := 0, 0
	for {
		j := bytes.IndexByte(buf[i:], '\n')
		if j < 0 {
			return Message{}, false
		}
		end := i + j // the LF
		le := end
		if le > i && buf[le-1] == '\r' {
			le--
		}
		if le == i { // blank line: the message ends
			if len(r.offs) == 0 {
				return Message{}, false // cannot happen: blank lines were skipped
			}
			total := end + 1
			s := string(buf[:total])
			r.br.Discard(total)
			fields := make([]Field, len(r.offs)/4)
			for k := range fields {
				o := r.offs[4*k : 4*k+4 : 4*k+4]
				fields[k] = Field{Name: s[o[0]:o[1]], Value: s[o[2]:o[3]]}
			}
			return Message{Fields: fields}, true
		}
		// Counted as ReadMessage counts: the line with its end, and the field.
		if size += end + 1 - i + FieldCost; size > r.max {
			return Message{}, false // the line-by-line path reports it
		}
		c := colon(buf[i:le])
		if c <= 0 {
			r.offs = append(r.offs, i, i, i, le) // no name: keep the line as a value
		} else {
			ne := i + c
			for ne > i && (buf[ne-1] == ' ' || buf[ne-1] == '\t') {
				ne--
			}
			vs := i + c + 1
			if vs < le && buf[vs] == ' ' {
				vs++
			}
			r.offs = append(r.offs, i, ne, vs, le)
			if len(r.offs) == 4 && EqualFold(buf[i:ne], "Response") && EqualFold(buf[vs:le], "Follows") {
				return Message{}, false
			}
		}
		i = end + 1
	}
}

// colon is bytes.IndexByte(line, ':') for the short names of AMI fields,
// where a plain loop beats the call.
func colon(line []byte) int {
	for k, b := range line {
		if b == ':' {
			return k
		}
	}
	return -1
}

// bufferedMessage returns the n buffered bytes (no I/O) without the blank
// lines between messages, which it discards: where both fast paths start.
func (r *Reader) bufferedMessage(n int) []byte {
	buf, _ := r.br.Peek(n)
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
	return buf
}
