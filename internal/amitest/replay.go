package amitest

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/amigate/amigate/internal/ami"
)

// replay plays the transcript on one connection: received blocks are
// written as recorded (ActionIDs rewritten when IgnoreActionID is set), sent
// blocks are read from the client message by message and compared with the
// recording in wire form.
func (s *Server) replay(c *Conn) error {
	r := ami.NewReader(c.nc, 0)
	ids := map[string]string{} // recorded ActionID -> the client's
	for i, b := range s.cfg.Transcript {
		switch b.Dir {
		case Received:
			data := b.Data
			if s.cfg.IgnoreActionID && len(ids) > 0 {
				data = rewriteActionIDs(data, ids)
			}
			if err := c.WriteRaw(data); err != nil {
				return fmt.Errorf("block %d (received): %w", i, err)
			}
		case Sent:
			want, err := Messages(b.Data)
			if err != nil {
				return fmt.Errorf("block %d (sent): recorded bytes: %w", i, err)
			}
			for _, w := range want {
				got, err := r.ReadMessage()
				if err != nil {
					return fmt.Errorf("block %d (sent): reading the client's %s: %w", i, w.Get("Action"), err)
				}
				s.record(got)
				if s.cfg.IgnoreActionID {
					if rec, ok := w.Lookup("ActionID"); ok {
						ids[rec] = got.ActionID()
						w = withActionID(w, got.ActionID())
					}
				}
				if g, e := got.String(), w.String(); g != e {
					return fmt.Errorf("%w: block %d: got\n%s\nwant\n%s", ErrMismatch, i, g, e)
				}
			}
		}
	}
	return nil
}

// Messages parses wire bytes (a transcript block without the banner) into
// messages.
func Messages(b []byte) ([]ami.Message, error) {
	r := ami.NewReader(bytes.NewReader(b), 0)
	var out []ami.Message
	for {
		m, err := r.ReadMessage()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("amitest: %w", err)
		}
		out = append(out, m)
	}
}

func withActionID(m ami.Message, id string) ami.Message {
	out := ami.Message{Fields: append([]ami.Field(nil), m.Fields...)}
	for i := range out.Fields {
		if ami.EqualFold(out.Fields[i].Name, "ActionID") {
			out.Fields[i].Value = id
		}
	}
	return out
}

// rewriteActionIDs replaces the value of every "ActionID: x" line whose x
// was recorded for an action the client sent under another id.
func rewriteActionIDs(data []byte, ids map[string]string) []byte {
	var out []byte
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line = data[:i+1]
		}
		data = data[len(line):]
		const prefix = "ActionID: "
		if bytes.HasPrefix(line, []byte(prefix)) {
			val := bytes.TrimRight(line[len(prefix):], "\r\n")
			if id, ok := ids[string(val)]; ok {
				out = append(out, prefix...)
				out = append(out, id...)
				out = append(out, line[len(prefix)+len(val):]...)
				continue
			}
		}
		out = append(out, line...)
	}
	return out
}
