package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/amigate/amigate"
)

// Follow streams call events to fn, for Server-Sent Events. With an empty
// lastEventID it starts with the next event stored (live only); with the id
// of a retained event it first replays every event stored after that one
// (the SSE Last-Event-ID resume), then follows live ones. An id that is not
// retained is ErrNotFound before fn is called, so a handler can answer it
// or start live. Follow returns when ctx ends (ctx.Err()) or fn fails (its
// error). Events of every type are passed; filtering is the caller's.
func (d *Dispatcher) Follow(ctx context.Context, lastEventID string, fn func(amigate.CallEvent) error) error {
	cfg := jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{subjectPrefix + ".>"},
		DeliverPolicy:  jetstream.DeliverNewPolicy,
	}
	if lastEventID != "" {
		raw, err := d.st.stream.GetLastMsgForSubject(ctx, subjectPrefix+".*.*."+token(lastEventID))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return amigate.Errorf(amigate.ErrNotFound, "event %q is not retained", lastEventID)
		}
		if err != nil {
			return fmt.Errorf("webhooks: find event %q: %w", lastEventID, err)
		}
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, raw.Sequence+1
	}
	cons, err := d.st.stream.OrderedConsumer(ctx, cfg)
	if err != nil {
		return fmt.Errorf("webhooks: follow: %w", err)
	}
	it, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("webhooks: follow: %w", err)
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	for {
		msg, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("webhooks: follow: %w", err)
		}
		var ev amigate.CallEvent
		if err := json.Unmarshal(msg.Data(), &ev); err != nil {
			continue
		}
		md, _ := msg.Metadata()
		if md != nil {
			ev.ReadAt = readAt(msg.Headers().Get(hdrReadAt), md.Timestamp)
		}
		if err := fn(ev); err != nil {
			return err
		}
	}
}
