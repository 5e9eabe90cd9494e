// Package control is call control: it turns the API's requests (click-to-call,
// transfer, hangup, queue status) into AMI actions. Everything that decides
// what runs on the PBX (channel template, contexts, dial rules) comes from its
// Config; a request only supplies numbers, extensions and variables, each
// checked before anything is sent.
package control

import (
	"time"

	"context"
	"fmt"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amiclient"
)

// AMI is what call control needs of the AMI client (amiclient.Client
// implements it): one typed method per action, each with its one encoder in
// the client. Errors are told apart by behaviour (see pbxError), not by the
// client's sentinels.
type AMI interface {
	Originate(ctx context.Context, p amiclient.OriginateParams) (ami.Message, error)
	Hangup(ctx context.Context, p amiclient.HangupParams) error
	Redirect(ctx context.Context, p amiclient.RedirectParams) error
	BlindTransfer(ctx context.Context, p amiclient.TransferParams) error
	Atxfer(ctx context.Context, p amiclient.TransferParams) error
	QueueSummary(ctx context.Context, p amiclient.QueueSummaryParams) ([]ami.Message, error)
	QueueStatus(ctx context.Context, p amiclient.QueueStatusParams) ([]ami.Message, error)
	QueuePause(ctx context.Context, p amiclient.QueuePauseParams) error
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

// AtxferWatcher is implemented by a Calls that reports an attended transfer
// that does not start (calls.Tracker does): Asterisk accepts an Atxfer even
// when the bridge has no transfer feature, and nothing else would tell the
// CRM. It is told after Asterisk accepted the Atxfer.
type AtxferWatcher interface {
	ExpectAtxfer(id, channel, to string, now time.Time)
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
		return amigate.Call{}, amigate.Errorf(amigate.ErrNotFound, "call %q not found", id)
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
