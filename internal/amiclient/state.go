package amiclient

import (
	"fmt"
	"sync"
)

// State is where the connection manager stands.
type State int

// States of a client. Ready is the only one in which actions are sent.
const (
	Connecting     State = iota // dialling, reading the banner
	Authenticating              // logging in, waiting for FullyBooted
	Ready                       // logged in: actions and events flow
	BackingOff                  // waiting before the next attempt
	Closed                      // Close was called: final
)

var stateNames = [...]string{"connecting", "authenticating", "ready", "backing_off", "closed"}

// String returns the state's lowercase name ("backing_off").
func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// notifier calls the state callbacks in order from its own goroutine, so
// that a slow or re-entrant callback never runs under the client's lock
// nor holds up the connection.
type notifier struct {
	mu     sync.Mutex
	queue  []State
	wake   chan struct{}
	closed bool
	done   chan struct{}
	fn     func(State)
}

func newNotifier(fn func(State)) *notifier {
	n := &notifier{wake: make(chan struct{}, 1), done: make(chan struct{}), fn: fn}
	go n.run()
	return n
}

func (n *notifier) push(s State) {
	n.mu.Lock()
	n.queue = append(n.queue, s)
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

func (n *notifier) run() {
	defer close(n.done)
	for {
		n.mu.Lock()
		q, closed := n.queue, n.closed
		n.queue = nil
		n.mu.Unlock()
		for _, s := range q {
			n.fn(s)
		}
		if closed && len(q) == 0 {
			return
		}
		if len(q) == 0 {
			<-n.wake
		}
	}
}

// close delivers what is queued, stops the goroutine and waits for it.
func (n *notifier) close() {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
	<-n.done
}
