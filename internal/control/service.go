// Package control is call control: it turns the API's requests (click-to-call,
// transfer, hangup, queue status) into AMI actions. Everything that decides
// what runs on the PBX (channel template, contexts, dial rules) comes from its
// Config; a request only supplies numbers, extensions and variables, each
// checked before anything is sent.
package control

import (
	"context"
	"fmt"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
)

// AMI is what call control needs of the AMI client (amiclient.Client): one
// action and its response, or a list action and its events. An action's ID,
// when set, is sent as its ActionID.
type AMI interface {
	Send(ctx context.Context, a *ami.Action) (ami.Message, error)
	SendList(ctx context.Context, a *ami.Action) (ami.Message, []ami.Message, error)
}

// Calls is what call control needs of the correlator (calls.Tracker).
type Calls interface {
	// Expect announces a call about to be originated, before the Originate
	// is sent, so that its events and a failed OriginateResponse (matched by
	// actionID) are attributed to it.
	Expect(c amigate.Call, actionID string)
	Get(id string) (amigate.Call, bool)
	List(f amigate.CallFilter) []amigate.Call
}

// Unexpecter is implemented by a Calls that can drop an expected call whose
// Originate Asterisk refused outright (calls.Tracker does): no
// OriginateResponse will ever come for it, so it must not stay "dialing".
// Without it the correlator has to expire such calls itself.
type Unexpecter interface {
	Unexpect(id string)
}

// Service is call control. It is safe for concurrent use and starts no
// goroutines.
type Service struct {
	cfg   Config
	c     compiled
	ami   AMI
	calls Calls
	idem  *idempotency
}

// New returns the service. cfg takes defaults for zero fields; it must pass
// Config.Validate (cmd/api calls Validate at start-up to report a bad
// configuration by name), otherwise New panics.
func New(cfg Config, a AMI, calls Calls) *Service {
	cfg.setDefaults()
	c, err := cfg.compile()
	if err != nil {
		panic(fmt.Sprintf("control.New: invalid configuration: %v", err))
	}
	return &Service{
		cfg:   cfg,
		c:     c,
		ami:   a,
		calls: calls,
		idem:  newIdempotency(cfg.IdempotencyTTL, cfg.IdempotencyMaxKeys, cfg.Now),
	}
}

// Get returns the call with the given id from the correlator.
func (s *Service) Get(ctx context.Context, id string) (amigate.Call, error) {
	if err := ctx.Err(); err != nil {
		return amigate.Call{}, err
	}
	c, ok := s.calls.Get(id)
	if !ok {
		return amigate.Call{}, fmt.Errorf("call %q: %w", id, amigate.ErrNotFound)
	}
	return c, nil
}

// List returns the calls the correlator knows that match f.
func (s *Service) List(ctx context.Context, f amigate.CallFilter) ([]amigate.Call, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	calls := s.calls.List(f)
	if calls == nil {
		calls = []amigate.Call{}
	}
	return calls, nil
}
