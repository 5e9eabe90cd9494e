package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/amigate/amigate"
)

// Publish stores call events; they are durable when it returns nil (every
// one acknowledged by JetStream). The calls they leave open are recorded
// behind it (OpenCalls reads back from the stream what a killed process
// left unrecorded). An event whose id was stored within the
// dedup window is dropped by the store, so two instances watching one
// Asterisk send each webhook once.
func (d *Dispatcher) Publish(ctx context.Context, evs []amigate.CallEvent) error {
	if d.ctx.Err() != nil {
		return ErrClosed
	}
	if len(evs) == 0 {
		return nil
	}
	futures := make([]jetstream.PubAckFuture, 0, len(evs))
	for i := range evs {
		ev := &evs[i]
		if err := checkEvent(ev); err != nil {
			return err
		}
		body, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("webhooks: encode event %s: %w", ev.ID, err)
		}
		m := &nats.Msg{Subject: eventSubject(ev.Type, ev.ID), Data: body, Header: make(nats.Header, 4)}
		m.Header.Set(hdrCallID, token(callKey(ev)))
		m.Header.Set(hdrReadAt, ev.ReadAt.UTC().Format(time.RFC3339Nano))
		if ev.Call.ID != "" {
			m.Header.Set(hdrCall, ev.Call.ID)
		}
		m.Header.Set(hdrSequence, strconv.FormatInt(ev.Sequence, 10))
		f, err := d.st.js.PublishMsgAsync(m, jetstream.WithMsgID(ev.ID), jetstream.WithExpectStream(streamName))
		if err != nil {
			return d.publishFailed(fmt.Errorf("webhooks: publish %s: %w", ev.ID, err))
		}
		futures = append(futures, f)
	}
	var last uint64 // the highest stream sequence of the batch
	for _, f := range futures {
		select {
		case ack := <-f.Ok():
			last = max(last, ack.Sequence)
		case err := <-f.Err():
			return d.publishFailed(fmt.Errorf("webhooks: publish %s: %w", f.Msg().Header.Get(jetstream.MsgIDHeader), err))
		case <-ctx.Done():
			return fmt.Errorf("webhooks: publish: %w", ctx.Err())
		}
	}
	d.noteOpen(evs, last)
	d.storeErr.Store(nil)
	return nil
}

func (d *Dispatcher) publishFailed(err error) error {
	d.storeErr.Store(&err)
	return err
}

// maxEventID bounds an event id, which travels in NATS and HTTP headers.
const maxEventID = 200

// checkEvent refuses events the store cannot file: no id, an id that could
// not travel in a header (control characters, spaces, too long), or an
// unknown type.
func checkEvent(ev *amigate.CallEvent) error {
	if ev.ID == "" || len(ev.ID) > maxEventID || strings.IndexFunc(ev.ID, func(r rune) bool { return r <= ' ' || r >= 0x7f }) >= 0 {
		return fmt.Errorf("webhooks: event id %q: %w", ev.ID, amigate.ErrInvalid)
	}
	if !slices.Contains(amigate.EventTypes, ev.Type) && !amigate.IsAgentEvent(ev.Type) && !amigate.IsCampaignEvent(ev.Type) {
		return fmt.Errorf("webhooks: event %s has unknown type %q: %w", ev.ID, ev.Type, amigate.ErrInvalid)
	}
	return nil
}

// callKey is what orders deliveries: the call, the agent of an agent
// event, the campaign of a campaign event, or the event itself when it
// names none.
func callKey(ev *amigate.CallEvent) string {
	switch {
	case ev.Call.ID != "":
		return ev.Call.ID
	case amigate.IsAgentEvent(ev.Type) && ev.Agent != nil:
		return "agent-" + ev.Agent.Extension
	case amigate.IsCampaignEvent(ev.Type) && ev.Campaign != nil:
		return "campaign-" + ev.Campaign.ID
	}
	return ev.ID
}

// Stored reports whether the event with id is in the store: a producer
// that recorded a change before publishing its event (the campaigns) asks
// after a restart, so that an event published before a crash is not
// published again once the dedup window has passed.
func (d *Dispatcher) Stored(ctx context.Context, id string) (bool, error) {
	_, err := d.st.stream.GetLastMsgForSubject(ctx, subjectPrefix+".*.*."+token(id))
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("webhooks: find event %q: %w", id, err)
	}
	return true, nil
}
