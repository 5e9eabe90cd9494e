package amitest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/amigate/amigate/internal/ami"
)

// DefaultBanner is the greeting of Asterisk 22 (AMI protocol 11.0.0).
const DefaultBanner = "Asterisk Call Manager/11.0.0"

// Config chooses the server's mode and behaviour. The zero value is a
// scriptable server that accepts any login.
type Config struct {
	// Transcript, when set, makes every connection replay it: received
	// blocks are written as they are, sent blocks are read from the client
	// and compared with the recording. Handlers and the login settings are
	// then unused.
	Transcript []Block
	// IgnoreActionID makes the replay accept whatever ActionID the client
	// chose for a recorded action, and rewrite the recorded ActionID to the
	// client's in every later received block (responses and list events).
	IgnoreActionID bool

	// Banner is the greeting line without its CRLF; default DefaultBanner.
	Banner string
	// Username and Secret, when Username is set, are the only accepted
	// credentials (plain or MD5); otherwise any login is accepted.
	Username, Secret string
	// NoFullyBooted leaves out the FullyBooted event that Asterisk writes
	// right behind a successful login response (it does so only for users
	// with the system read class, and only with events on).
	NoFullyBooted bool
	// Handlers answer actions by name (case-insensitive) and override the
	// built-in Challenge, Login, Ping and Logoff. A handler that writes
	// nothing leaves the action unanswered.
	Handlers map[string]Handler
	// TLS, when set, makes the server speak TLS (AMI's tls port).
	TLS *tls.Config
	// Logf, when set, receives a line per connection event, for debugging.
	Logf func(format string, args ...any)
}

// Handler answers one action on one connection. It runs on the
// connection's goroutine, so actions are handled in the order they came;
// it may block (to delay an answer) but must return once its connection is
// closed, as Close waits for it.
type Handler func(c *Conn, action ami.Message)

// ErrMismatch is wrapped by a replay error when the client sent something
// other than the recorded action.
var ErrMismatch = errors.New("amitest: client sent something other than the transcript")

// Server is an in-process AMI server on 127.0.0.1. Start it with Start; it
// is closed when the test ends.
type Server struct {
	cfg      Config
	handlers map[string]Handler

	mu       sync.Mutex
	ln       net.Listener
	addr     string
	conns    map[*Conn]struct{}
	accepted int
	actions  []ami.Message // every action received, in order
	nextAct  int           // index of the next action Action returns
	results  []error       // replay outcomes, one per finished connection
	changed  chan struct{} // closed and replaced on every change above
	closed   bool

	wg sync.WaitGroup
}

// Start listens on 127.0.0.1:0 and serves until the test ends (or Close).
// A replay that found the client sending something else than the recording
// fails the test at cleanup.
func Start(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	s, err := NewServer(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		s.Close()
		for _, err := range s.Results() {
			if errors.Is(err, ErrMismatch) {
				tb.Errorf("amitest replay: %v", err)
			}
		}
	})
	return s
}

// NewServer is Start without a test: the caller must Close the server.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Banner == "" {
		cfg.Banner = DefaultBanner
	}
	s := &Server{cfg: cfg, conns: map[*Conn]struct{}{}, changed: make(chan struct{}), handlers: map[string]Handler{}}
	for name, h := range builtins {
		s.handlers[name] = h
	}
	for name, h := range cfg.Handlers {
		s.handlers[strings.ToLower(name)] = h
	}
	ln, err := s.listen("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.ln, s.addr = ln, ln.Addr().String()
	s.wg.Add(1)
	go s.accept(ln)
	return s, nil
}

func (s *Server) listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("amitest: %w", err)
	}
	if s.cfg.TLS != nil {
		ln = tls.NewListener(ln, s.cfg.TLS)
	}
	return ln, nil
}

// Addr is the server's "127.0.0.1:port".
func (s *Server) Addr() string { return s.addr }

func (s *Server) accept(ln net.Listener) {
	defer s.wg.Done()
	for {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		c := &Conn{srv: s, nc: nc, events: true}
		s.mu.Lock()
		if s.closed || s.ln != ln {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.accepted++
		s.wg.Add(1)
		s.signalLocked()
		s.mu.Unlock()
		go s.serve(c)
	}
}

func (s *Server) serve(c *Conn) {
	defer s.wg.Done()
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.signalLocked()
		s.mu.Unlock()
	}()
	s.logf("amitest: connection from %s", c.nc.RemoteAddr())
	if s.cfg.Transcript != nil {
		err := s.replay(c)
		s.logf("amitest: replay ended: %v", err)
		s.mu.Lock()
		s.results = append(s.results, err)
		s.signalLocked()
		s.mu.Unlock()
		if err == nil {
			c.drain()
		}
		return
	}
	if err := c.WriteRaw([]byte(s.cfg.Banner + "\r\n")); err != nil {
		return
	}
	r := ami.NewReader(c.nc, 0)
	for {
		m, err := r.ReadMessage()
		if err != nil {
			s.logf("amitest: read: %v", err)
			return
		}
		s.record(m)
		c.setHold(r.Buffered() > 0)
		name := strings.ToLower(m.Get("Action"))
		h, ok := s.handlers[name]
		switch {
		case !c.authenticated() && name != "login" && name != "challenge" && name != "logoff":
			c.Reply(m, "Error", "Message", "Permission denied")
		case ok:
			h(c, m)
		default:
			c.Reply(m, "Error", "Message", "Invalid/unknown command")
		}
		if r.Buffered() == 0 {
			c.setHold(false)
		}
	}
}

func (s *Server) record(m ami.Message) {
	s.mu.Lock()
	s.actions = append(s.actions, m)
	s.signalLocked()
	s.mu.Unlock()
}

func (s *Server) signalLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// wait blocks until cond, called under the lock, holds.
func (s *Server) wait(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		ok, ch := cond(), s.changed
		s.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Action returns the next action the server received (from any
// connection), in order, waiting for one if needed.
func (s *Server) Action(ctx context.Context) (ami.Message, error) {
	var m ami.Message
	err := s.wait(ctx, func() bool {
		if s.nextAct < len(s.actions) {
			m = s.actions[s.nextAct]
			s.nextAct++
			return true
		}
		return false
	})
	return m, err
}

// Actions returns every action received so far, in order.
func (s *Server) Actions() []ami.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ami.Message(nil), s.actions...)
}

// WaitAccepted waits until n connections have been accepted since Start.
func (s *Server) WaitAccepted(ctx context.Context, n int) error {
	return s.wait(ctx, func() bool { return s.accepted >= n })
}

// Accepted is the number of connections accepted since Start.
func (s *Server) Accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

// Wait waits for a connection to finish replaying the transcript and
// returns its outcome: nil when the client sent every recorded action.
func (s *Server) Wait(ctx context.Context) error {
	var err error
	werr := s.wait(ctx, func() bool {
		if len(s.results) > 0 {
			err = s.results[0]
			return true
		}
		return false
	})
	if werr != nil {
		return werr
	}
	return err
}

// Results returns the outcome of every finished replay, in order.
func (s *Server) Results() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.results...)
}

// Emit writes the messages, in one write, to every connection that logged
// in with events on: the way to push events in scriptable mode.
func (s *Server) Emit(msgs ...ami.Message) {
	var b []byte
	for _, m := range msgs {
		b = append(b, m.String()...)
	}
	s.EmitRaw(b)
}

// EmitRaw writes raw bytes to every connection that logged in with events
// on.
func (s *Server) EmitRaw(b []byte) {
	for _, c := range s.liveConns() {
		if c.authenticated() && c.eventsOn() {
			c.WriteRaw(b)
		}
	}
}

func (s *Server) liveConns() []*Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Conn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	return out
}

// DropConns closes every open connection, as a crashing Asterisk would;
// the server keeps accepting new ones.
func (s *Server) DropConns() {
	for _, c := range s.liveConns() {
		c.Close()
	}
}

// Restart closes the listener and every connection, then listens again on
// the same address: an Asterisk restart as the client sees it.
func (s *Server) Restart() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return net.ErrClosed
	}
	old := s.ln
	s.mu.Unlock()
	old.Close()
	s.DropConns()
	ln, err := s.listen(s.addr)
	if err != nil {
		return fmt.Errorf("amitest: restart: %w", err)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return net.ErrClosed
	}
	s.ln = ln
	s.wg.Add(1)
	s.mu.Unlock()
	go s.accept(ln)
	return nil
}

// Close stops the server, closes every connection and waits for its
// goroutines. It may be called more than once.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	ln := s.ln
	s.mu.Unlock()
	ln.Close()
	s.DropConns()
	s.wg.Wait()
}

func (s *Server) logf(format string, args ...any) {
	if s.cfg.Logf != nil {
		s.cfg.Logf(format, args...)
	}
}
