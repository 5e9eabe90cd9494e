package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/calls"
	"github.com/amigate/amigate/internal/config"
	"github.com/amigate/amigate/internal/control"
	"github.com/amigate/amigate/internal/control/dialrules"
	"github.com/amigate/amigate/internal/history"
	"github.com/amigate/amigate/internal/webhooks"
)

var (
	_ history.Live = (*calls.Tracker)(nil)
)

// callsAPI is the calls side of the API: call control, with lookups and
// listings answered from the live calls and the call history together.
type callsAPI struct {
	*control.Service
	history *history.Service
}

func (a callsAPI) Get(ctx context.Context, id string) (amigate.Call, error) {
	return a.history.Get(ctx, id)
}

func (a callsAPI) List(ctx context.Context, q amigate.CallQuery) (amigate.CallPage, error) {
	return a.history.List(ctx, q)
}

// openHistory opens this instance's history database under the data
// directory and starts feeding it from the store's call events.
func openHistory(ctx context.Context, cfg config.Config, store *webhooks.Dispatcher, log *slog.Logger) (*history.Store, *history.Feed, error) {
	if err := os.MkdirAll(cfg.Store.DataDir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("AMIGATE_DATA_DIR: %w", err)
	}
	db, err := history.Open(filepath.Join(cfg.Store.DataDir, "history.db"))
	if err != nil {
		return nil, nil, fmt.Errorf("call history (AMIGATE_DATA_DIR): %w", err)
	}
	feed, err := history.StartFeed(ctx, history.FeedConfig{
		JetStream: store.JetStream(),
		Source:    webhooks.EventStream,
		Subject:   webhooks.EventSubject(amigate.EventCallEnded),
		Retention: cfg.History.Retention,
		Normalize: customerNormalizer(cfg),
		// Changes with the home region: the history is then indexed anew.
		IndexVersion: "e164:" + cfg.Phone.Region,
		Logger:       log.With("component", "history"),
	}, db)
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("call history: %w", err)
	}
	return db, feed, nil
}

// customerNormalizer is how the call history writes customer numbers for
// its index and for the customer filter: E.164 read in the home region (the
// dial rules' reading, the one customer.e164 has), so that a call is found
// whatever format the PBX or the CRM used.
func customerNormalizer(cfg config.Config) history.Normalizer {
	r, err := dialrules.Compile(dialrules.Config{Region: cfg.Phone.Region})
	if err != nil {
		// controlConfig refused this region at start-up already.
		return nil
	}
	return r.E164
}
