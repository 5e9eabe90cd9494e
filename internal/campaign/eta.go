package campaign

import (
	"time"

	"github.com/amigate/amigate"
)

// observe counts an ended attempt's duration into the campaign's average
// (an attempt of unknown outcome has none worth counting).
func (c *campaign) observe(a *amigate.CampaignAttempt) {
	if a.EndedAt == nil || a.Result == amigate.OutcomeUnknown || a.EndedAt.Before(a.StartedAt) {
		return
	}
	c.durSum += a.EndedAt.Sub(a.StartedAt)
	c.durN++
}

// maxETA bounds how far ahead an ETA is looked for: beyond it, or with a
// window that never opens, the ETA is unknown.
const maxETA = 400 * 24 * time.Hour

// eta estimates when a campaign that may still dial completes: the
// attempts left, started at the pace its pacing allows with calls of the
// observed average duration, counted only while its calling window is
// open, after the last retry due. Unknown (nil) before any attempt ended,
// and for a campaign that does not dial (paused, completed, canceled).
//
// Attempts left: one per contact waiting for a retry, and per fresh
// contact as many as the contacts done so far took on average (retries
// included). The pace assumes an agent for each of max_concurrent calls.
func (c *campaign) eta(now time.Time, v *amigate.Campaign) *time.Time {
	st := c.meta.State
	if st != amigate.CampaignScheduled && st != amigate.CampaignRunning || c.durN == 0 {
		return nil
	}
	w, err := compileWindow(c.meta.Window)
	if err != nil {
		return nil
	}
	avg := c.durSum / time.Duration(c.durN)
	perDone := 1.0
	doneAttempts, done := 0, 0
	for i := range c.contacts {
		if p := &c.contacts[i].p; p.State == amigate.ContactDone {
			doneAttempts += len(p.Attempts)
			done++
		}
	}
	if done > 0 {
		perDone = float64(doneAttempts) / float64(done)
	}
	fresh := v.Counts.Pending - len(c.waiting)
	left := float64(fresh)*perDone + float64(len(c.waiting))
	// Attempts per second: per_minute, or max_concurrent calls of avg.
	rate := float64(c.meta.Pacing.PerMinute) / 60
	if avg > 0 {
		rate = min(rate, float64(c.meta.Pacing.MaxConcurrent)/avg.Seconds())
	}
	dialling := time.Duration(left / rate * float64(time.Second))
	end, ok := w.after(now, dialling)
	if !ok {
		return nil
	}
	for _, i := range c.waiting {
		// A retry due later: the campaign ends after it at the earliest.
		if at := c.contacts[i].p.NextAt; at != nil && at.After(end) {
			if end, ok = w.after(*at, 0); !ok {
				return nil
			}
		}
	}
	if left > 0 || v.Counts.Dialing > 0 {
		end = end.Add(avg) // the last calls' own length
	}
	end = end.UTC().Truncate(time.Second)
	return &end
}

// after is the time at which d of open window has passed from t; false
// when that is beyond maxETA.
func (w window) after(t time.Time, d time.Duration) (time.Time, bool) {
	limit := t.Add(maxETA)
	for t.Before(limit) {
		next := w.boundary(t)
		if w.open(t) {
			if span := next.Sub(t); span >= d {
				return t.Add(d), true
			}
			d -= next.Sub(t)
		}
		t = next
	}
	return time.Time{}, false
}

// boundary is the first time after t at which the window may open or
// close: the next midnight, from or to in its time zone. Whether it is
// open does not change between t and it.
func (w window) boundary(t time.Time) time.Time {
	l := t.In(w.loc)
	y, m, d := l.Date()
	next := time.Date(y, m, d+1, 0, 0, 0, 0, w.loc)
	if w.from != w.to {
		for _, x := range []int{w.from, w.to} {
			b := time.Date(y, m, d, x/60, x%60, 0, 0, w.loc)
			if b.After(t) && b.Before(next) {
				next = b
			}
		}
	}
	if !next.After(t) { // a clock change folded the day
		next = t.Add(time.Hour)
	}
	return next
}
