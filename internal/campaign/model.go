package campaign

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/amigate/amigate"
)

// campaign is one campaign in memory; the KV holds the same.
type campaign struct {
	meta     meta
	contacts []contact
	// fresh is the first contact that may never have been dialled: every
	// one before it has attempts.
	fresh int
	// waiting are contacts with attempts that wait for a retry.
	waiting []int
	// inflight are contacts with an attempt in progress.
	inflight map[int]bool
	// agentOf is the agent rung first for a preview attempt in progress.
	agentOf map[int]string
	// unmatched is how many of them no agent has taken or rings for yet
	// (as of the last step): each holds one free agent.
	unmatched int
	// dials are the start times of the last minute's attempts (pacing).
	dials []time.Time
	// durSum and durN are the ended attempts' total duration and number
	// (the ETA's average call).
	durSum time.Duration
	durN   int
	// seq is the last campaign event sequence given.
	seq int64
	// unreported are done contacts whose campaign.contact_completed is
	// not known to be in the event store.
	unreported []int
	// recheck: the events not known to be stored may have been published
	// by an earlier process that stopped before recording it.
	recheck bool
}

type contact struct {
	in amigate.CampaignContact
	p  progress
}

func newCampaign(m meta) *campaign {
	return &campaign{meta: m, inflight: make(map[int]bool), agentOf: make(map[int]string)}
}

// index rebuilds fresh, waiting, inflight and the events to report from
// the contacts.
func (c *campaign) index() {
	c.fresh, c.waiting, c.unreported = 0, nil, nil
	clear(c.inflight)
	m := &c.meta
	if !m.Reporting {
		// Stored before campaign events existed: what happened then is
		// not reported now.
		m.Reporting, m.StartedSent, m.CompletedSent = true, m.StartedAt != nil, true
	}
	c.seq = m.CompletedSeq
	if m.StartedAt != nil {
		c.seq = max(c.seq, m.StartedAt.UnixMicro())
	}
	c.recheck = true
	c.durSum, c.durN = 0, 0
	for i := range c.contacts {
		p := &c.contacts[i].p
		c.seq = max(c.seq, p.Seq)
		for j := range p.Attempts {
			c.observe(&p.Attempts[j])
		}
		if p.State == amigate.ContactDone && p.Seq != 0 && !p.Reported {
			c.unreported = append(c.unreported, i)
		}
		switch {
		case p.State == amigate.ContactDialing:
			c.inflight[i] = true
		case p.State == amigate.ContactPending && len(p.Attempts) > 0:
			c.waiting = append(c.waiting, i)
		}
	}
	// Reported in the order they happened.
	slices.SortFunc(c.unreported, func(a, b int) int { return cmp.Compare(c.contacts[a].p.Seq, c.contacts[b].p.Seq) })
	c.advanceFresh()
}

func (c *campaign) advanceFresh() {
	for c.fresh < len(c.contacts) && !c.contacts[c.fresh].isFresh() {
		c.fresh++
	}
}

func (k *contact) isFresh() bool {
	return k.p.State == amigate.ContactPending && len(k.p.Attempts) == 0
}

// load reads every campaign from the KV.
func (s *Service) load(ctx context.Context) error {
	keys, err := s.cfg.KV.Keys(ctx, keyPrefix)
	if err != nil {
		return fmt.Errorf("campaign: list: %w", err)
	}
	type parts struct {
		meta     bool
		chunks   []int
		progress []int
	}
	byID := make(map[string]*parts)
	for _, k := range keys {
		id, kind, n, ok := parseKey(k)
		if !ok {
			continue
		}
		p := byID[id]
		if p == nil {
			p = &parts{}
			byID[id] = p
		}
		switch kind {
		case "meta":
			p.meta = true
		case "list":
			p.chunks = append(p.chunks, n)
		case "c":
			p.progress = append(p.progress, n)
		}
	}
	for id, p := range byID {
		if !p.meta {
			continue // a campaign whose deletion stopped half way
		}
		c, err := s.loadOne(ctx, id, p.chunks, p.progress)
		if err != nil {
			return err
		}
		s.campaigns[id] = c
		s.order = append(s.order, id)
	}
	slices.SortFunc(s.order, func(a, b string) int {
		return s.campaigns[a].meta.CreatedAt.Compare(s.campaigns[b].meta.CreatedAt)
	})
	return nil
}

func (s *Service) loadOne(ctx context.Context, id string, chunks, progs []int) (*campaign, error) {
	var m meta
	if err := s.getJSON(ctx, metaKey(id), &m); err != nil {
		return nil, err
	}
	c := newCampaign(m)
	c.contacts = make([]contact, m.Total)
	slices.Sort(chunks)
	for _, n := range chunks {
		var list []amigate.CampaignContact
		if err := s.getJSON(ctx, chunkKey(id, n), &list); err != nil {
			return nil, err
		}
		for j, in := range list {
			if i := n*chunkSize + j; i < len(c.contacts) {
				c.contacts[i].in = in
			}
		}
	}
	for i := range c.contacts {
		c.contacts[i].p.State = amigate.ContactPending
	}
	for _, i := range progs {
		if i >= len(c.contacts) {
			continue
		}
		if err := s.getJSON(ctx, progressKey(id, i), &c.contacts[i].p); err != nil {
			return nil, err
		}
	}
	c.index()
	return c, nil
}

func (s *Service) getJSON(ctx context.Context, key string, v any) error {
	b, err := s.cfg.KV.Get(ctx, key)
	if err != nil {
		if errors.Is(err, ErrNoKey) {
			return fmt.Errorf("campaign: %s missing: %w", key, err)
		}
		return fmt.Errorf("campaign: read %s: %w", key, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("campaign: read %s: %w", key, err)
	}
	return nil
}

// putMeta stores the campaign's meta record.
func (s *Service) putMeta(ctx context.Context, c *campaign) error {
	if err := s.cfg.KV.Put(ctx, metaKey(c.meta.ID), encode(c.meta)); err != nil {
		return fmt.Errorf("campaign: store: %w", err)
	}
	return nil
}

// putProgress stores one contact's progress.
func (s *Service) putProgress(ctx context.Context, c *campaign, i int) error {
	if err := s.cfg.KV.Put(ctx, progressKey(c.meta.ID, i), encode(c.contacts[i].p)); err != nil {
		return fmt.Errorf("campaign: store contact %d: %w", i, err)
	}
	return nil
}

// putChunks stores the contacts from index from on (rewriting the chunk
// that holds from).
func (s *Service) putChunks(ctx context.Context, id string, contacts []contact, from int) error {
	for n := from / chunkSize; n*chunkSize < len(contacts); n++ {
		end := min((n+1)*chunkSize, len(contacts))
		list := make([]amigate.CampaignContact, 0, end-n*chunkSize)
		for _, k := range contacts[n*chunkSize : end] {
			list = append(list, k.in)
		}
		if err := s.cfg.KV.Put(ctx, chunkKey(id, n), encode(list)); err != nil {
			return fmt.Errorf("campaign: store contacts: %w", err)
		}
	}
	return nil
}
