// Package campaign is the outbound dialer: it calls a list of customers
// through Originate within a campaign's pacing and calling window, retries
// per outcome, and never dials a contact twice for one attempt. Every
// attempt is stored (KV) before its Originate is sent; after a restart an
// attempt whose outcome is unknown is looked up by its call id (the
// channel's Uniqueid) and, when neither the PBX nor the call history knows
// it, ends as "unknown" and is not retried.
package campaign

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/amigate/amigate"
)

// Dialer is what the campaign needs of call control (control.Service):
// the checks of the dial rules and the Originate of one attempt.
type Dialer interface {
	// CheckCampaign checks what the request asks to dial: numbers against
	// the dial rules, variables, caller id, target.
	CheckCampaign(r *amigate.CampaignRequest) error
	// DialCampaign sends the Originate of one attempt; a nil error means
	// Asterisk accepted it. Errors wrap amigate's sentinels:
	// ErrUnavailable and ErrInvalid mean nothing was sent,
	// ErrPBXRefused that Asterisk refused it; any other error leaves
	// unknown whether Asterisk dials.
	DialCampaign(ctx context.Context, d amigate.CampaignDial) error
}

// Agents tells which agents could take a call now (presence.Tracker).
type Agents interface {
	// Free lists the extensions of the agents free for target: for a
	// queue, its members available and not paused in it; for an
	// extension, that agent when available.
	Free(target amigate.CampaignTarget) []string
}

// Calls finds a call by id: the live ones and the call history.
type Calls interface {
	Get(ctx context.Context, id string) (amigate.Call, error)
}

// Config configures the dialer.
type Config struct {
	KV     KV
	Dialer Dialer
	Calls  Calls
	// Events receives the campaign events; nil: none are sent.
	Events Events
	// Agents, when set, gates dialling: a campaign has at most one call
	// waiting for an agent per free agent of its target. Nil: pacing
	// alone bounds it.
	Agents Agents
	// Wake, when set, receives when an agent or a call may have changed:
	// Run steps at once rather than at the next Tick.
	Wake <-chan struct{}
	// Ready reports whether the PBX is connected and the calls resynced:
	// no attempt starts otherwise. Default: always.
	Ready func() bool
	// Holds reports whether this instance holds the dialer lease (Lease.Valid)
	// when instances share the store: checked before every Originate
	// and every change, so that an instance that lost the lease neither
	// dials nor writes over the holder's campaigns. Default: always (a
	// store of its own).
	Holds func() bool
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// NewID makes campaign and attempt ids. Default: random UUIDs.
	NewID func() string
	// Tick is how often Run steps the scheduler. Default 1s.
	Tick time.Duration
	// ResolveAfter is how long an attempt that the calls do not know (an
	// Originate lost in a crash or a disconnect) is looked for, counted
	// while the PBX is ready, before it ends as unknown. Default 2m.
	ResolveAfter time.Duration
	Logger       *slog.Logger
}

// Service is the dialer. Its API methods are safe for concurrent use; Run
// steps the scheduler.
type Service struct {
	cfg Config
	log *slog.Logger

	mu         sync.Mutex
	campaigns  map[string]*campaign
	order      []string  // ids by creation
	readySince time.Time // zero while not ready
}

// New returns the dialer with the campaigns stored in cfg.KV (with
// cfg.Holds, none until RunElected takes the lease).
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.KV == nil || cfg.Dialer == nil || cfg.Calls == nil {
		return nil, errors.New("campaign: KV, Dialer and Calls are required")
	}
	if cfg.Ready == nil {
		cfg.Ready = func() bool { return true }
	}
	// An elected dialer loads the campaigns when it takes the lease
	// (RunElected): loaded now, they could change before that.
	load := cfg.Holds == nil
	if load {
		cfg.Holds = func() bool { return true }
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = newUUID
	}
	if cfg.Tick <= 0 {
		cfg.Tick = time.Second
	}
	if cfg.ResolveAfter <= 0 {
		cfg.ResolveAfter = 2 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{cfg: cfg, log: cfg.Logger, campaigns: make(map[string]*campaign)}
	if load {
		if err := s.load(ctx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Run steps the scheduler every Tick (the clock of windows, retry delays
// and pacing), and at once when Wake says an agent or a call changed, until
// ctx ends.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			s.Step(ctx)
		case <-s.cfg.Wake: // nil: never
			s.Step(ctx)
		}
	}
}

func newUUID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// errNotHolder answers a request that reached an instance without the
// dialer lease: its campaigns in memory may be out of date.
var errNotHolder = amigate.Errorf(amigate.ErrNoDialer, "the campaigns are run by another instance, or are being taken over; retry")

// fenced is errNotHolder when this instance does not hold the lease.
func (s *Service) fenced() error {
	if !s.cfg.Holds() {
		return errNotHolder
	}
	return nil
}

// find returns the campaign with id, under s.mu, when this instance holds
// the lease.
func (s *Service) find(id string) (*campaign, error) {
	if err := s.fenced(); err != nil {
		return nil, err
	}
	c := s.campaigns[id]
	if c == nil {
		return nil, fmt.Errorf("campaign %q: %w", id, amigate.ErrNotFound)
	}
	return c, nil
}
