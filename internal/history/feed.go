package history

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/amigate/amigate"
)

// FeedConfig says where the history comes from. JetStream, Source and
// Subject are required.
type FeedConfig struct {
	// JetStream is the connection to the store that holds the call-event
	// stream (embedded or a cluster shared by several instances).
	JetStream jetstream.JetStream
	// Source is the call-event stream; Subject its subjects of call.ended
	// events (a filter).
	Source, Subject string
	// Stream is the stream of ended calls the feed keeps: JetStream itself
	// copies every call.ended event of Source into it and keeps it for
	// Retention, so an instance that starts later, or with an empty
	// database, still builds the whole history. Default "AMIGATE_CALLS".
	Stream string
	// Retention is how long an ended call is kept, in the stream and in the
	// database. Default 30 days.
	Retention time.Duration
	// Normalize normalises customer numbers for the index (nil: digits).
	Normalize Normalizer
	// IndexVersion names the way calls are indexed (the normaliser, the
	// fields): when it changes, the database is rebuilt from the stream, so
	// that old and new calls are found the same way.
	IndexVersion string
	// PruneEvery is how often calls past the retention are deleted from
	// the database. Default 10 minutes.
	PruneEvery time.Duration
	// Batch bounds the calls written in one transaction. Default 500.
	Batch int
	// Logger receives the feed's problems; nil discards them.
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

func (c *FeedConfig) setDefaults() {
	if c.Stream == "" {
		c.Stream = "AMIGATE_CALLS"
	}
	if c.Retention <= 0 {
		c.Retention = 30 * 24 * time.Hour
	}
	if c.PruneEvery <= 0 {
		c.PruneEvery = 10 * time.Minute
	}
	if c.Batch <= 0 {
		c.Batch = 500
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Feed keeps a Store up to date from the stream of ended calls: one
// goroutine reads the stream in order from the store's position and writes
// what it reads, position included, in one transaction per batch.
type Feed struct {
	cfg    FeedConfig
	store  *Store
	stream jetstream.Stream
	cancel context.CancelFunc
	done   chan struct{}
}

// StartFeed makes sure the stream of ended calls exists (sourced from the
// call-event stream) and starts feeding store from it. Close stops it.
func StartFeed(ctx context.Context, cfg FeedConfig, store *Store) (*Feed, error) {
	cfg.setDefaults()
	if cfg.JetStream == nil || cfg.Source == "" || cfg.Subject == "" {
		return nil, errors.New("history: FeedConfig needs JetStream, Source and Subject")
	}
	st, err := cfg.JetStream.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        cfg.Stream,
		Description: "amigate ended calls, the source of the call history",
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		MaxAge:      cfg.Retention,
		Sources:     []*jetstream.StreamSource{{Name: cfg.Source, FilterSubject: cfg.Subject}},
	})
	if err != nil {
		return nil, fmt.Errorf("history: create stream %s: %w", cfg.Stream, err)
	}
	fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	f := &Feed{cfg: cfg, store: store, stream: st, cancel: cancel, done: make(chan struct{})}
	go f.run(fctx)
	return f, nil
}

// Close stops the feed and waits for it.
func (f *Feed) Close(ctx context.Context) error {
	f.cancel()
	select {
	case <-f.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run follows the stream until ctx ends; a failure (the store unreachable,
// the database refusing a write) is logged and retried with backoff.
func (f *Feed) run(ctx context.Context) {
	defer close(f.done)
	delay := 100 * time.Millisecond
	for {
		err := f.follow(ctx)
		if ctx.Err() != nil {
			return
		}
		f.cfg.Logger.Warn("call history feed failed; retrying", "retry_in", delay, "err", err)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		delay = min(2*delay, 30*time.Second)
	}
}

// follow reads the stream from the store's position until ctx ends or
// something fails.
func (f *Feed) follow(ctx context.Context) error {
	info, err := f.stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("stream info: %w", err)
	}
	// The stream's creation time identifies it: a stream deleted and made
	// again numbers its messages from 1, so the store starts over.
	ident := info.Created.UTC().Format(time.RFC3339Nano) + " " + f.cfg.IndexVersion
	pos, err := f.store.position(ctx)
	if err != nil {
		return err
	}
	if pos.stream != ident {
		if pos.stream != "" {
			f.cfg.Logger.Warn("call history stream is new or indexed anew; rebuilding the local history", "stream", f.cfg.Stream)
		}
		if err := f.store.reset(ctx, ident); err != nil {
			return err
		}
		pos = position{stream: ident}
	}
	cc := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	if pos.seq > 0 {
		cc.DeliverPolicy, cc.OptStartSeq = jetstream.DeliverByStartSequencePolicy, pos.seq+1
	}
	cons, err := f.stream.OrderedConsumer(ctx, cc)
	if err != nil {
		return fmt.Errorf("consumer: %w", err)
	}
	it, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("consumer: %w", err)
	}
	defer it.Stop()

	f.prune(ctx)
	nextPrune := f.cfg.Now().Add(f.cfg.PruneEvery)
	recs := make([]record, 0, f.cfg.Batch)
	for {
		wait, cancel := context.WithDeadline(ctx, nextPrune)
		msg, err := it.Next(jetstream.NextContext(wait))
		cancel()
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			f.prune(ctx)
			nextPrune = f.cfg.Now().Add(f.cfg.PruneEvery)
			continue
		}
		if err != nil {
			return fmt.Errorf("next: %w", err)
		}
		// Take what follows at once into the same transaction.
		recs = recs[:0]
		for {
			if seq, ok := f.decode(msg, &recs); ok {
				pos.seq = seq
			}
			if len(recs) == f.cfg.Batch {
				break
			}
			if msg, err = it.Next(jetstream.NextMaxWait(2 * time.Millisecond)); err != nil {
				if !errors.Is(err, nats.ErrTimeout) {
					f.cfg.Logger.Warn("call history feed: next", "err", err)
				}
				break
			}
		}
		if err := f.store.apply(ctx, pos, recs); err != nil {
			return err
		}
	}
}

// decode appends the ended call of msg to recs and returns msg's stream
// sequence. A message that is not an ended call is logged and skipped:
// the position moves past it.
func (f *Feed) decode(msg jetstream.Msg, recs *[]record) (uint64, bool) {
	md, err := msg.Metadata()
	if err != nil {
		f.cfg.Logger.Warn("call history feed: message without metadata", "subject", msg.Subject(), "err", err)
		return 0, false
	}
	var ev struct {
		ID   string          `json:"id"`
		Type string          `json:"type"`
		Call json.RawMessage `json:"call"`
	}
	if err := json.Unmarshal(msg.Data(), &ev); err != nil || ev.Type != amigate.EventCallEnded {
		f.cfg.Logger.Warn("call history feed: not a call.ended event; skipped", "seq", md.Sequence.Stream, "type", ev.Type, "err", err)
		return md.Sequence.Stream, true
	}
	r, err := recordOf(ev.Call, f.cfg.Normalize)
	if err != nil {
		f.cfg.Logger.Warn("call history feed: call not stored", "event", ev.ID, "seq", md.Sequence.Stream, "err", err)
		return md.Sequence.Stream, true
	}
	*recs = append(*recs, r)
	return md.Sequence.Stream, true
}

// prune deletes the calls past the retention.
func (f *Feed) prune(ctx context.Context) {
	n, err := f.store.Prune(ctx, f.cfg.Now().Add(-f.cfg.Retention))
	switch {
	case err != nil && ctx.Err() == nil:
		f.cfg.Logger.Warn("call history: pruning failed", "err", err)
	case n > 0:
		f.cfg.Logger.Info("call history: pruned calls past the retention", "calls", n)
	}
}
