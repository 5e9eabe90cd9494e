// Package ami is the Asterisk Manager Interface wire format: messages made of
// ordered "Key: Value" fields, a bounded reader that splits them off a byte
// stream, and an encoder for actions that refuses anything that could inject
// a header. It knows nothing of connections; amiclient and pbxsim build on it.
package ami

import "strings"

// Field is one "Name: Value" line of a message. Names keep the case Asterisk
// sent; lookups ignore case.
type Field struct {
	Name  string
	Value string
}

// Message is one AMI message (a response, an event or an action) as its
// ordered fields. Repeated names (Variable, ChanVariable, Output) are kept in
// the order they came.
type Message struct {
	Fields []Field
}

// Get returns the value of the first field called name (case-insensitively),
// or "" when there is none.
func (m *Message) Get(name string) string {
	v, _ := m.Lookup(name)
	return v
}

// Lookup is Get that also tells whether the field was present.
func (m *Message) Lookup(name string) (string, bool) {
	for i := range m.Fields {
		if EqualFold(m.Fields[i].Name, name) {
			return m.Fields[i].Value, true
		}
	}
	return "", false
}

// Values returns every value of the fields called name, in order.
func (m *Message) Values(name string) []string {
	var out []string
	for i := range m.Fields {
		if EqualFold(m.Fields[i].Name, name) {
			out = append(out, m.Fields[i].Value)
		}
	}
	return out
}

// Add appends a field.
func (m *Message) Add(name, value string) {
	m.Fields = append(m.Fields, Field{Name: name, Value: value})
}

// Event is the value of the Event field ("" for a response).
func (m *Message) Event() string { return m.Get("Event") }

// Response is the value of the Response field ("" for an event).
func (m *Message) Response() string { return m.Get("Response") }

// ActionID is the value of the ActionID field.
func (m *Message) ActionID() string { return m.Get("ActionID") }

// IsEvent reports whether the message is an event. Asterisk puts the Event
// or Response field first, so the check is cheap.
func (m *Message) IsEvent() bool {
	if len(m.Fields) > 0 && EqualFold(m.Fields[0].Name, "Event") {
		return true
	}
	_, ok := m.Lookup("Event")
	return ok && m.Response() == ""
}

// IsResponse reports whether the message is a response to an action. An
// event that carries a Response field (OriginateResponse) is not one.
func (m *Message) IsResponse() bool {
	if len(m.Fields) > 0 {
		if EqualFold(m.Fields[0].Name, "Response") {
			return true
		}
		if EqualFold(m.Fields[0].Name, "Event") {
			return false
		}
	}
	_, ok := m.Lookup("Response")
	_, ev := m.Lookup("Event")
	return ok && !ev
}

// Vars returns the message's Variable or ChanVariable fields ("NAME=value")
// as a map; later values win.
func (m *Message) Vars(name string) map[string]string {
	out := map[string]string{}
	for _, v := range m.Values(name) {
		k, val, _ := strings.Cut(v, "=")
		out[k] = val
	}
	return out
}

// Output returns a command's text: the Output fields of Asterisk 14+ joined
// by newlines, which is also where the reader puts the raw lines of an old
// "Response: Follows" answer.
func (m *Message) Output() string {
	return strings.Join(m.Values("Output"), "\n")
}

// String renders the message in wire form (CRLF line ends, blank line last).
func (m *Message) String() string {
	var b strings.Builder
	for _, f := range m.Fields {
		b.WriteString(f.Name)
		b.WriteString(": ")
		b.WriteString(f.Value)
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// EqualFold reports whether two AMI names are equal ignoring ASCII case: AMI
// names are ASCII, and this is several times faster than strings.EqualFold
// on the reader's hot path. a may be a string or a name still in the read
// buffer.
func EqualFold[S string | []byte](a S, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
