package webhooks

import "github.com/nats-io/nats.go/jetstream"

// EventStream is the JetStream stream that holds every call event, for
// other readers of the store (the call history sources its ended calls
// from it).
const EventStream = streamName

// EventSubject is the subject filter of the events of type typ in
// EventStream.
func EventSubject(typ string) string { return filterSubjects([]string{typ})[0] }

// JetStream is the dispatcher's connection to the store, shared by the
// other readers of the call-event stream. It is closed by Close.
func (d *Dispatcher) JetStream() jetstream.JetStream { return d.st.js }
