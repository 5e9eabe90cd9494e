package history

import (
	"context"
	"slices"

	"github.com/amigate/amigate"
)

// Live is the live call model (calls.Tracker): the calls in progress, and
// recently ended ones by id.
type Live interface {
	Get(id string) (amigate.Call, bool)
	List(f amigate.CallFilter) []amigate.Call
}

// Page sizes of a listing.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Service answers the call listing and lookups from the live model and the
// history together. It is safe for concurrent use and starts no goroutines.
type Service struct {
	live  Live
	store *Store
	norm  Normalizer
}

// NewService returns the service over live and store; norm (nil: digits
// only) normalises customer numbers as the feed does.
func NewService(live Live, store *Store, norm Normalizer) *Service {
	return &Service{live: live, store: store, norm: norm}
}

// Get returns a call: from the live model while it knows it, then from the
// history.
func (s *Service) Get(ctx context.Context, id string) (amigate.Call, error) {
	if err := ctx.Err(); err != nil {
		return amigate.Call{}, err
	}
	if c, ok := s.live.Get(id); ok {
		return c, nil
	}
	return s.store.Get(ctx, id)
}

// List returns one page of calls, newest start first: the live model's
// calls in progress and the history's ended calls merged in one order. A
// call that ends between two pages keeps its place (its start time and id
// do not change), so paging neither repeats nor skips it. A call that just
// ended is listed once the feed has applied its call.ended event, normally
// within milliseconds.
func (s *Service) List(ctx context.Context, q amigate.CallQuery) (amigate.CallPage, error) {
	f, err := s.filter(q)
	if err != nil {
		return amigate.CallPage{}, err
	}
	n := q.Limit
	if n <= 0 {
		n = DefaultLimit
	}
	n = min(n, MaxLimit)

	var live, hist []amigate.Call
	if q.State != amigate.StateEnded {
		live = s.active(q, f)
	}
	if q.State == "" || q.State == amigate.StateEnded {
		if hist, err = s.store.query(ctx, f, n+1); err != nil {
			return amigate.CallPage{}, err
		}
	}
	calls := merge(live, hist)
	page := amigate.CallPage{Calls: calls}
	if len(calls) > n {
		page.Calls = calls[:n:n]
		page.Next = keyOf(&page.Calls[n-1]).encode()
	}
	return page, nil
}

// active returns the live model's calls in progress that pass f, in
// listing order.
func (s *Service) active(q amigate.CallQuery, f *filter) []amigate.Call {
	lf := amigate.CallFilter{State: q.State}
	if len(f.exts) > 0 {
		lf.Extension = f.exts[0]
	}
	var out []amigate.Call
	for _, c := range s.live.List(lf) {
		if c.State != amigate.StateEnded && f.matches(&c, s.norm) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b amigate.Call) int {
		ka, kb := keyOf(&a), keyOf(&b)
		switch {
		case ka == kb:
			return 0
		case ka.before(kb):
			return -1
		}
		return 1
	})
	return out
}

// merge merges two lists in listing order into one; a call in both (it
// ended on another instance before this one's live model saw it end) is
// listed once, as the history has it.
func merge(live, hist []amigate.Call) []amigate.Call {
	if len(live) == 0 {
		return hist
	}
	stored := make(map[string]bool, len(hist))
	for i := range hist {
		stored[hist[i].ID] = true
	}
	out := make([]amigate.Call, 0, len(live)+len(hist))
	i, j := 0, 0
	for i < len(live) || j < len(hist) {
		if i < len(live) && stored[live[i].ID] {
			i++
			continue
		}
		if j == len(hist) || (i < len(live) && keyOf(&live[i]).before(keyOf(&hist[j]))) {
			out = append(out, live[i])
			i++
		} else {
			out = append(out, hist[j])
			j++
		}
	}
	return out
}

// filter turns a query into the filter both sources apply.
func (s *Service) filter(q amigate.CallQuery) (*filter, error) {
	f := &filter{
		since:       q.Since,
		until:       q.Until,
		direction:   q.Direction,
		disposition: q.Disposition,
		queue:       q.Queue,
		campaign:    q.Campaign,
	}
	if q.Customer != "" {
		if f.customer = customerKey(q.Customer, s.norm); f.customer == "" {
			return nil, &amigate.FieldError{Field: "customer", Message: "has no digits"}
		}
	}
	for _, e := range []string{q.Scope, q.Extension} {
		if e != "" && !slices.Contains(f.exts, e) {
			f.exts = append(f.exts, e)
		}
	}
	if q.Cursor != "" {
		k, err := decodeCursor(q.Cursor)
		if err != nil {
			return nil, err
		}
		f.after = &k
	}
	if !f.since.IsZero() && !f.until.IsZero() && !f.since.Before(f.until) {
		return nil, &amigate.FieldError{Field: "until", Message: "must be after since"}
	}
	return f, nil
}
