package webhooks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/amigate/amigate"
)

// Page sizes of Deliveries.
const (
	DefaultDeliveries = 100
	MaxDeliveries     = 500
)

// maxScan bounds how many stream messages Deliveries reads past the oldest
// event a subscription has not finished with, to show what waits.
const maxScan = 2000

// Deliveries lists a page of a subscription's deliveries: first the events
// it has not finished with, in the order they go out (failing ones, those
// held behind a failing event of their call or by the subscription being
// disabled, and those queued), then the events attempted within the
// retention, most recently attempted first. The undelivered part is read
// from the store, so every instance lists the same; it covers the first
// maxScan events from the oldest undelivered one.
func (d *Dispatcher) Deliveries(ctx context.Context, id string, q amigate.DeliveryQuery) (amigate.DeliveryPage, error) {
	sub, err := d.record(ctx, id)
	if err != nil {
		return amigate.DeliveryPage{}, err
	}
	limit := q.Limit
	if limit == 0 {
		limit = DefaultDeliveries
	}
	if limit < 1 || limit > MaxDeliveries {
		return amigate.DeliveryPage{}, &amigate.FieldError{Field: "limit", Message: "must be 1 to " + strconv.Itoa(MaxDeliveries)}
	}
	if q.State != "" && !slices.Contains(amigate.DeliveryStates, q.State) {
		return amigate.DeliveryPage{}, &amigate.FieldError{Field: "state", Message: "must be one of " + strings.Join(amigate.DeliveryStates, ", ")}
	}
	cur, err := parseCursor(q.Cursor)
	if err != nil {
		return amigate.DeliveryPage{}, err
	}
	keep := func(dl amigate.Delivery) bool {
		return (q.State == "" || dl.State == q.State) && (q.CallID == "" || dl.CallID == q.CallID)
	}
	var page []listed
	waiting := make(map[string]bool) // event ids listed as not finished
	if q.State == "" || q.State == amigate.DeliveryQueued || q.State == amigate.DeliveryHeld || q.State == amigate.DeliveryFailing {
		pending, err := d.undelivered(ctx, sub)
		if err != nil {
			return amigate.DeliveryPage{}, err
		}
		for _, p := range pending {
			waiting[p.EventID] = true
			if keep(p.Delivery) && cur.before(p) {
				page = append(page, p)
			}
		}
	}
	if q.State != amigate.DeliveryQueued && q.State != amigate.DeliveryHeld && len(page) <= limit {
		done, err := d.attempted(ctx, id, limit+1-len(page), func(l listed) bool {
			return !waiting[l.EventID] && keep(l.Delivery) && cur.before(l)
		})
		if err != nil {
			return amigate.DeliveryPage{}, err
		}
		page = append(page, done...)
	}
	out := amigate.DeliveryPage{Deliveries: make([]amigate.Delivery, 0, min(len(page), limit))}
	for i, l := range page {
		if i == limit {
			out.Next = page[i-1].cursor()
			break
		}
		out.Deliveries = append(out.Deliveries, l.Delivery)
	}
	return out, nil
}

// listed is a delivery with its place in the listing: undelivered events
// by stream sequence, then attempted ones by time of the last attempt.
type listed struct {
	amigate.Delivery
	seq uint64 // set for undelivered events only
}

func (l listed) cursor() string {
	if l.seq > 0 {
		return "q" + strconv.FormatUint(l.seq, 10)
	}
	return "a" + strconv.FormatInt(l.UpdatedAt.UnixNano(), 10) + "." + l.EventID
}

// listCursor is where a page starts: after the undelivered event of stream
// sequence seq, or after the attempted event (at, id).
type listCursor struct {
	set bool
	seq uint64
	at  int64
	id  string
}

func parseCursor(s string) (listCursor, error) {
	bad := &amigate.FieldError{Field: "cursor", Message: "not a cursor of this listing: use the one from the Link header"}
	if s == "" {
		return listCursor{}, nil
	}
	switch s[0] {
	case 'q':
		n, err := strconv.ParseUint(s[1:], 10, 64)
		if err != nil || n == 0 {
			return listCursor{}, bad
		}
		return listCursor{set: true, seq: n}, nil
	case 'a':
		at, id, ok := strings.Cut(s[1:], ".")
		n, err := strconv.ParseInt(at, 10, 64)
		if !ok || err != nil || id == "" {
			return listCursor{}, bad
		}
		return listCursor{set: true, at: n, id: id}, nil
	}
	return listCursor{}, bad
}

// before reports whether l comes after the cursor, on the page it starts.
func (c listCursor) before(l listed) bool {
	switch {
	case !c.set:
		return true
	case c.seq > 0: // the cursor is among the undelivered events
		return l.seq == 0 || l.seq > c.seq
	case l.seq > 0: // past the undelivered events already
		return false
	}
	at := l.UpdatedAt.UnixNano()
	return at < c.at || at == c.at && l.EventID > c.id
}

// undelivered lists the subscription's events not delivered nor dead, in
// stream order, from the oldest its consumer has not acknowledged: the
// first failing event of a call holds the call's later ones.
func (d *Dispatcher) undelivered(ctx context.Context, sub subRecord) ([]listed, error) {
	cons, err := d.st.stream.Consumer(ctx, sub.ID)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil, nil // disabled before consumers were kept: nothing waits
	}
	if err != nil {
		return nil, fmt.Errorf("webhooks: list deliveries: %w", err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("webhooks: list deliveries: %w", err)
	}
	sinfo, err := d.st.stream.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("webhooks: list deliveries: %w", err)
	}
	from := max(info.AckFloor.Stream+1, sinfo.State.FirstSeq)
	to := min(sinfo.State.LastSeq, from+maxScan-1)
	var out []listed
	heads := make(map[string]string) // call → its first failing event
	for seq := from; seq <= to && seq >= from; seq++ {
		raw, err := d.st.stream.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("webhooks: list deliveries: %w", err)
		}
		if !amigate.Wants(sub.Events, subjectType(raw.Subject)) {
			continue
		}
		it := newItem(seq, raw.Subject, raw.Header, raw.Data, raw.Time)
		rec, found, err := d.loadDelivery(ctx, sub.ID, it.rec.EventID)
		if err != nil {
			return nil, err
		}
		if found && rec.final() {
			continue
		}
		dl := it.rec.Delivery
		if found {
			callID, seqNo := dl.CallID, dl.Sequence
			dl = rec.Delivery
			dl.CallID, dl.Sequence = callID, seqNo
		}
		switch {
		case heads[it.call] != "":
			dl.State, dl.BlockedBy = amigate.DeliveryHeld, heads[it.call]
		case found:
			dl.State = amigate.DeliveryFailing
			heads[it.call] = dl.EventID
		case sub.Disabled:
			dl.State = amigate.DeliveryHeld
		default:
			dl.State = amigate.DeliveryQueued
		}
		out = append(out, listed{Delivery: dl, seq: seq})
	}
	return out, nil
}

// attempted returns up to n delivery records that keep takes, most recent
// attempt first. It reads the records updated in the last hour, widening
// to a day and then to the whole retention only while fewer than n turn
// up, so a busy subscription does not make it read days of records.
func (d *Dispatcher) attempted(ctx context.Context, id string, n int, keep func(listed) bool) ([]listed, error) {
	var out []listed
	for _, window := range []time.Duration{time.Hour, 24 * time.Hour, d.cfg.Retention} {
		recs, err := d.deliveriesSince(ctx, id, d.cfg.Now().Add(-window))
		if err != nil {
			return nil, err
		}
		out = out[:0]
		for _, r := range recs {
			l := listed{Delivery: r}
			l.State = stateOf(r)
			if keep(l) {
				out = append(out, l)
			}
		}
		if len(out) >= n || window >= d.cfg.Retention {
			break
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].UpdatedAt.Equal(out[j].UpdatedAt) {
			return out[i].UpdatedAt.After(out[j].UpdatedAt)
		}
		return out[i].EventID < out[j].EventID
	})
	return out[:min(len(out), n)], nil
}

// stateOf is the state of an attempted event.
func stateOf(r amigate.Delivery) string {
	switch {
	case r.Delivered:
		return amigate.DeliveryDelivered
	case r.Dead:
		return amigate.DeliveryDead
	}
	return amigate.DeliveryFailing
}
