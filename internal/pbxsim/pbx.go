package pbxsim

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand"
	"net"
	"sync"
	"time"

	"github.com/amigate/amigate/internal/ami"
)

// ErrClosed is returned by every method of a closed PBX.
var ErrClosed = errors.New("pbxsim: closed")

// PBX is a simulated Asterisk 22: an AMI server over TCP and, behind it, the
// small office of the recordings in testdata/ami. Its zero value is not
// usable; make one with New and stop it with Close.
type PBX struct {
	office Office
	users  []User
	log    *slog.Logger
	clock  func() time.Time
	maxQ   int

	ctx    context.Context // cancelled by Close: every goroutine watches it
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu         sync.Mutex // guards everything below and the emission order of events
	closed     bool
	chans      map[string]*channel
	sessions   map[*session]struct{}
	listeners  map[net.Listener]struct{}
	queues     map[string]*queueState
	devUse     map[string]int    // live Local ;2 channels per device
	devState   map[string]string // last DeviceStateChange per device
	hintStatus map[string]int    // last ExtensionStatus Status per hinted extension
	idle       chan struct{}     // closed when the last channel hangs up
	seq        int64
	localSeq   int64
	uuidSeq    uint64
	boot       int64
	started    time.Time
	rnd        *rand.Rand
	// originates counts the Originate actions accepted, by Channel.
	originates map[string]int
}

// New returns a running PBX with no listener: call Serve or Start to accept
// AMI connections. Calls can be placed (IncomingCall) before any listener.
func New(cfg Config) *PBX {
	if cfg.Users == nil {
		cfg.Users = DefaultUsers()
	}
	if cfg.Office.Agents == nil && cfg.Office.DIDs == nil && cfg.Office.Queues == nil {
		cfg.Office = DefaultOffice()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	if cfg.MaxQueued <= 0 {
		cfg.MaxQueued = 1 << 20
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &PBX{
		office: cfg.Office, users: cfg.Users, log: cfg.Logger, clock: cfg.Now, maxQ: cfg.MaxQueued,
		ctx: ctx, cancel: cancel,
		chans: map[string]*channel{}, sessions: map[*session]struct{}{},
		listeners: map[net.Listener]struct{}{}, queues: map[string]*queueState{}, devUse: map[string]int{},
		devState: map[string]string{}, hintStatus: map[string]int{},
		rnd: rand.New(rand.NewSource(cfg.Seed)),
	}
	p.started = p.now()
	p.boot = p.started.Unix()
	for _, q := range p.office.Queues {
		p.queues[q.Name] = newQueueState(q, p.boot)
	}
	return p
}

func (p *PBX) now() time.Time { return p.clock() }

// Serve accepts AMI connections on ln until ctx is cancelled or the PBX is
// closed; it closes ln and returns nil then, or the accept error. Each
// connection is served by goroutines that Close stops and waits for.
func (p *PBX) Serve(ctx context.Context, ln net.Listener) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		ln.Close()
		return ErrClosed
	}
	p.listeners[ln] = struct{}{}
	p.wg.Add(1)
	p.mu.Unlock()
	stop := make(chan struct{})
	go func() { // closes the listener on cancel so that Accept returns
		defer p.wg.Done()
		select {
		case <-ctx.Done():
		case <-p.ctx.Done():
		case <-stop:
		}
		ln.Close()
	}()
	defer func() {
		close(stop)
		p.mu.Lock()
		delete(p.listeners, ln)
		p.mu.Unlock()
	}()
	for {
		conn, err := ln.Accept()
		if err != nil {
			p.mu.Lock()
			closed := p.closed
			p.mu.Unlock()
			if closed || ctx.Err() != nil || p.ctx.Err() != nil {
				return nil
			}
			return err
		}
		if !p.startSession(conn) {
			conn.Close()
			return nil
		}
	}
}

// Start listens on addr ("127.0.0.1:0" picks a port) and serves AMI in a
// goroutine that Close stops. It returns the address actually bound.
func (p *PBX) Start(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	if !p.spawn(func(ctx context.Context) {
		if err := p.Serve(ctx, ln); err != nil && !errors.Is(err, ErrClosed) {
			p.log.Error("pbxsim: serve", "err", err)
		}
	}) {
		ln.Close()
		return "", ErrClosed
	}
	return ln.Addr().String(), nil
}

// Close stops accepting, closes every AMI connection, ends every call
// without emitting more events and waits for all goroutines. A second Close
// returns ErrClosed.
func (p *PBX) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	p.closed = true
	for ln := range p.listeners {
		ln.Close()
	}
	for s := range p.sessions {
		s.closeLocked()
	}
	p.mu.Unlock()
	p.cancel()
	p.wg.Wait()
	return nil
}

// DropConnections closes every AMI connection at once, as a restart of
// Asterisk or a network cut would; calls go on, listeners keep accepting.
func (p *PBX) DropConnections() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for s := range p.sessions {
		s.closeLocked()
	}
}

// Connections returns the number of open AMI connections.
func (p *PBX) Connections() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.sessions)
}

// ActiveChannels returns the number of channels up, ringing or dialling.
func (p *PBX) ActiveChannels() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.chans)
}

// Originates returns how many Originate actions the PBX accepted for the
// channel (as the action named it, e.g. "Local/79001234567@from-internal"):
// what a test counts to prove that nobody was dialled twice.
func (p *PBX) Originates(channel string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.originates[channel]
}

// WaitIdle waits until no channel is left (every call ended) or ctx ends.
func (p *PBX) WaitIdle(ctx context.Context) error {
	p.mu.Lock()
	if len(p.chans) == 0 {
		p.mu.Unlock()
		return nil
	}
	if p.idle == nil {
		p.idle = make(chan struct{})
	}
	idle := p.idle
	p.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// spawn runs f in a goroutine owned by the PBX; false when closed.
func (p *PBX) spawn(f func(ctx context.Context)) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.spawnLocked(f)
}

func (p *PBX) spawnLocked(f func(ctx context.Context)) bool {
	if p.closed {
		return false
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		f(p.ctx)
	}()
	return true
}

// emitLocked sends an event to every logged-in session whose read classes,
// event mask and filters let it through. Order is global: callers hold mu.
func (p *PBX) emitLocked(m *ami.Message) {
	if len(p.sessions) == 0 {
		return
	}
	class := eventClass(m)
	var wire []byte
	for s := range p.sessions {
		if !s.wants(class) {
			continue
		}
		if wire == nil {
			wire = []byte(m.String())
		}
		if s.filtered(wire) {
			continue
		}
		s.queueLocked(wire)
	}
}

// sleep waits for d (forever when d < 0), a wake-up or the end of the PBX.
// It returns false only when the PBX is closing.
func (p *PBX) sleep(ctx context.Context, wake <-chan struct{}, d time.Duration) bool {
	var timeout <-chan time.Time
	if d >= 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-ctx.Done():
		return false
	case <-wake:
	case <-timeout:
	}
	return true
}
