package campaign

import (
	"context"
	"fmt"
	"slices"

	"github.com/amigate/amigate"
)

// Create validates and stores a campaign; it starts dialling when the
// calling window is open.
func (s *Service) Create(ctx context.Context, r amigate.CampaignRequest) (amigate.Campaign, error) {
	if err := checkRequest(&r); err != nil {
		return amigate.Campaign{}, err
	}
	if err := s.cfg.Dialer.CheckCampaign(&r); err != nil {
		return amigate.Campaign{}, err
	}
	if err := s.fenced(); err != nil {
		return amigate.Campaign{}, err
	}
	now := s.cfg.Now().UTC()
	c := newCampaign(meta{
		ID: s.cfg.NewID(), Name: r.Name, Mode: r.Mode, State: amigate.CampaignScheduled,
		Target: r.Target, Pacing: r.Pacing, Window: r.Window, Retry: r.Retry,
		RingTimeout: int(r.RingTimeout.Seconds()), CallerID: r.CallerID, Variables: r.Variables,
		Total: len(r.Contacts), CreatedAt: now, Reporting: true,
	})
	c.contacts = make([]contact, len(r.Contacts))
	for i, in := range r.Contacts {
		c.contacts[i] = contact{in: in, p: progress{State: amigate.ContactPending}}
	}
	// Contacts first, the meta record last: a campaign without its meta
	// record is not loaded, so a failure half way leaves nothing to dial.
	if err := s.putChunks(ctx, c.meta.ID, c.contacts, 0); err != nil {
		return amigate.Campaign{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fenced(); err != nil {
		// Its meta record is not written: the contacts stored are never
		// loaded.
		return amigate.Campaign{}, err
	}
	if err := s.putMeta(ctx, c); err != nil {
		return amigate.Campaign{}, err
	}
	s.campaigns[c.meta.ID] = c
	s.order = append(s.order, c.meta.ID)
	return s.show(c), nil
}

// AddContacts appends contacts to a campaign that is not canceled; a
// completed campaign runs again.
func (s *Service) AddContacts(ctx context.Context, id string, in []amigate.CampaignContact) (amigate.Campaign, error) {
	r := amigate.CampaignRequest{Contacts: in}
	if err := checkContacts(in); err != nil {
		return amigate.Campaign{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.find(id)
	if err != nil {
		return amigate.Campaign{}, err
	}
	if len(c.contacts)+len(in) > MaxContacts {
		return amigate.Campaign{}, &amigate.FieldError{Field: "contacts", Message: fmt.Sprintf("a campaign holds at most %d contacts", MaxContacts)}
	}
	if c.meta.State == amigate.CampaignCanceled {
		return amigate.Campaign{}, fmt.Errorf("campaign %q is canceled: %w", id, amigate.ErrConflict)
	}
	r.Target, r.CallerID, r.Variables = c.meta.Target, c.meta.CallerID, c.meta.Variables
	if err := s.cfg.Dialer.CheckCampaign(&r); err != nil {
		return amigate.Campaign{}, err
	}
	from := len(c.contacts)
	all := slices.Grow(c.contacts, len(in))
	for _, k := range in {
		all = append(all, contact{in: k, p: progress{State: amigate.ContactPending}})
	}
	if err := s.putChunks(ctx, id, all, from); err != nil {
		return amigate.Campaign{}, err
	}
	m := c.meta
	c.meta.Total = len(all)
	if c.meta.State == amigate.CampaignCompleted {
		c.meta.State, c.meta.EndedAt = amigate.CampaignRunning, nil
	}
	if err := s.putMeta(ctx, c); err != nil {
		c.meta = m
		return amigate.Campaign{}, err
	}
	c.contacts = all
	c.advanceFresh()
	return s.show(c), nil
}

// Get returns one campaign with its counts.
func (s *Service) Get(ctx context.Context, id string) (amigate.Campaign, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.find(id)
	if err != nil {
		return amigate.Campaign{}, err
	}
	return s.show(c), nil
}

// List returns every campaign, oldest first.
func (s *Service) List(ctx context.Context) ([]amigate.Campaign, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fenced(); err != nil {
		return nil, err
	}
	out := make([]amigate.Campaign, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.show(s.campaigns[id]))
	}
	return out, nil
}

// Contacts returns a page of a campaign's contacts.
func (s *Service) Contacts(ctx context.Context, id string, q amigate.ContactQuery) (amigate.ContactPage, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.find(id)
	if err != nil {
		return amigate.ContactPage{}, err
	}
	page := amigate.ContactPage{Contacts: []amigate.CampaignContactStatus{}}
	for i := max(q.Cursor, 0); i < len(c.contacts); i++ {
		st := c.status(i)
		if q.State != "" && st.State != q.State || q.Outcome != "" && st.Outcome != q.Outcome {
			continue
		}
		if len(page.Contacts) == q.Limit {
			page.Next = i
			break
		}
		page.Contacts = append(page.Contacts, st)
	}
	return page, nil
}

// Pause stops new attempts; calls in progress go on.
func (s *Service) Pause(ctx context.Context, id string) (amigate.Campaign, error) {
	return s.transition(ctx, id, amigate.CampaignPaused, amigate.CampaignScheduled, amigate.CampaignRunning)
}

// Resume lets a paused campaign dial again.
func (s *Service) Resume(ctx context.Context, id string) (amigate.Campaign, error) {
	return s.transition(ctx, id, amigate.CampaignRunning, amigate.CampaignPaused)
}

// Cancel ends a campaign: no contact is dialled again, calls in progress
// go on and their outcomes are recorded.
func (s *Service) Cancel(ctx context.Context, id string) (amigate.Campaign, error) {
	return s.transition(ctx, id, amigate.CampaignCanceled, amigate.CampaignScheduled, amigate.CampaignRunning, amigate.CampaignPaused)
}

func (s *Service) transition(ctx context.Context, id, to string, from ...string) (amigate.Campaign, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.find(id)
	if err != nil {
		return amigate.Campaign{}, err
	}
	if c.meta.State == to {
		return s.show(c), nil
	}
	if !slices.Contains(from, c.meta.State) {
		return amigate.Campaign{}, fmt.Errorf("campaign %q is %s: %w", id, c.meta.State, amigate.ErrConflict)
	}
	m := c.meta
	c.meta.State = to
	if to == amigate.CampaignCanceled {
		now := s.cfg.Now().UTC()
		c.meta.EndedAt = &now
	}
	if err := s.putMeta(ctx, c); err != nil {
		c.meta = m
		return amigate.Campaign{}, err
	}
	return s.show(c), nil
}

// Delete forgets a campaign that is not dialling: it must be paused,
// completed or canceled, with no call in progress.
func (s *Service) Delete(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.find(id)
	if err != nil {
		return err
	}
	if c.meta.State == amigate.CampaignRunning || c.meta.State == amigate.CampaignScheduled || len(c.inflight) > 0 {
		return fmt.Errorf("campaign %q is %s with %d calls in progress; pause or cancel it first: %w", id, c.meta.State, len(c.inflight), amigate.ErrConflict)
	}
	// The meta record first: without it the rest is never loaded.
	if err := s.cfg.KV.Delete(ctx, metaKey(id)); err != nil {
		return fmt.Errorf("campaign: delete: %w", err)
	}
	delete(s.campaigns, id)
	s.order = slices.DeleteFunc(s.order, func(x string) bool { return x == id })
	for n := 0; n*chunkSize < len(c.contacts); n++ {
		_ = s.cfg.KV.Delete(ctx, chunkKey(id, n))
	}
	for i := range c.contacts {
		if len(c.contacts[i].p.Attempts) > 0 {
			_ = s.cfg.KV.Delete(ctx, progressKey(id, i))
		}
	}
	return nil
}

// show is the campaign as the API shows it now, with its ETA.
func (s *Service) show(c *campaign) amigate.Campaign {
	v := c.view()
	v.ETA = c.eta(s.cfg.Now(), &v)
	return v
}

// view is the campaign with its counts.
func (c *campaign) view() amigate.Campaign {
	m := c.meta
	v := amigate.Campaign{
		ID: m.ID, Name: m.Name, Mode: m.Mode, State: m.State, Target: m.Target,
		Pacing: m.Pacing, Window: m.Window, Retry: m.Retry, RingTimeoutSeconds: m.RingTimeout,
		CallerID: m.CallerID, Variables: m.Variables, CreatedAt: m.CreatedAt, StartedAt: m.StartedAt, EndedAt: m.EndedAt,
		Counts: amigate.CampaignCounts{Total: len(c.contacts), Outcomes: map[string]int{}},
	}
	for i := range c.contacts {
		st := c.state(i)
		switch st {
		case amigate.ContactPending:
			v.Counts.Pending++
		case amigate.ContactDialing:
			v.Counts.Dialing++
		case amigate.ContactDone:
			v.Counts.Done++
			v.Counts.Outcomes[c.contacts[i].p.Outcome]++
		case amigate.ContactCanceled:
			v.Counts.Canceled++
		}
		v.Counts.Attempts += len(c.contacts[i].p.Attempts)
	}
	return v
}

// state is a contact's state as shown: a pending contact of a canceled
// campaign is canceled.
func (c *campaign) state(i int) string {
	st := c.contacts[i].p.State
	if st == amigate.ContactPending && c.meta.State == amigate.CampaignCanceled {
		return amigate.ContactCanceled
	}
	return st
}

func (c *campaign) status(i int) amigate.CampaignContactStatus {
	k := &c.contacts[i]
	st := amigate.CampaignContactStatus{
		Index: i, Number: k.in.Number, Name: k.in.Name, Metadata: k.in.Metadata,
		State: c.state(i), Outcome: k.p.Outcome, NextAt: k.p.NextAt,
		Attempts: append([]amigate.CampaignAttempt{}, k.p.Attempts...),
	}
	if n := len(k.p.Attempts); n > 0 {
		st.CallID = k.p.Attempts[n-1].CallID
	}
	return st
}
