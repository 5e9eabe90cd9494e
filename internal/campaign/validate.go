package campaign

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/amigate/amigate"
)

// What a campaign may hold. The numbers, variables, caller id and target
// are checked by the Dialer (call control's dial rules).
const (
	MaxContacts      = 100_000
	MaxName          = 200
	MaxConcurrent    = 100
	MaxPerMinute     = 6000
	MaxRetries       = 10
	MaxRetryDelay    = 7 * 24 * time.Hour
	MinRingTimeout   = 5 * time.Second
	MaxRingTimeout   = 120 * time.Second
	DefaultRing      = 30 * time.Second
	DefaultPerMinute = 60
	MaxContactName   = 200
)

var weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func fieldErr(field, format string, args ...any) error {
	return &amigate.FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// checkRequest checks what the dialer itself decides and fills defaults.
func checkRequest(r *amigate.CampaignRequest) error {
	r.Name = strings.TrimSpace(r.Name)
	switch {
	case r.Name == "":
		return fieldErr("name", "is required")
	case utf8.RuneCountInString(r.Name) > MaxName || !amigate.PlainText(r.Name):
		return fieldErr("name", "must be at most %d characters without control characters", MaxName)
	}
	if r.Mode == "" {
		r.Mode = amigate.CampaignModeProgressive
	}
	if r.Mode != amigate.CampaignModeProgressive && r.Mode != amigate.CampaignModePreview {
		return fieldErr("mode", "must be progressive or preview")
	}
	if len(r.Contacts) == 0 {
		return fieldErr("contacts", "at least one contact is required")
	}
	if err := checkContacts(r.Contacts); err != nil {
		return err
	}
	if (r.Target.Queue == "") == (r.Target.Extension == "") {
		return fieldErr("target", "must name either a queue or an extension")
	}
	p := &r.Pacing
	if p.MaxConcurrent == 0 {
		p.MaxConcurrent = 1
	}
	if p.PerMinute == 0 {
		p.PerMinute = DefaultPerMinute
	}
	if p.MaxConcurrent < 1 || p.MaxConcurrent > MaxConcurrent {
		return fieldErr("pacing.max_concurrent", "must be between 1 and %d", MaxConcurrent)
	}
	if p.PerMinute < 1 || p.PerMinute > MaxPerMinute {
		return fieldErr("pacing.per_minute", "must be between 1 and %d", MaxPerMinute)
	}
	if _, err := compileWindow(r.Window); err != nil {
		return err
	}
	for _, x := range []struct {
		name string
		r    amigate.RetryRule
	}{{"busy", r.Retry.Busy}, {"no_answer", r.Retry.NoAnswer}, {"failed", r.Retry.Failed}} {
		if x.r.Attempts < 0 || x.r.Attempts > MaxRetries {
			return fieldErr("retry."+x.name+".attempts", "must be between 0 and %d", MaxRetries)
		}
		if x.r.DelaySeconds < 0 || time.Duration(x.r.DelaySeconds)*time.Second > MaxRetryDelay {
			return fieldErr("retry."+x.name+".delay_seconds", "must be between 0 and %d", int(MaxRetryDelay/time.Second))
		}
	}
	switch {
	case r.RingTimeout == 0:
		r.RingTimeout = DefaultRing
	case r.RingTimeout < MinRingTimeout || r.RingTimeout > MaxRingTimeout:
		return fieldErr("ring_timeout_seconds", "must be between %d and %d", int(MinRingTimeout/time.Second), int(MaxRingTimeout/time.Second))
	}
	return nil
}

// checkContacts bounds the contacts; their numbers and variables are the
// Dialer's to check.
func checkContacts(in []amigate.CampaignContact) error {
	if len(in) > MaxContacts {
		return fieldErr("contacts", "at most %d contacts", MaxContacts)
	}
	for i, k := range in {
		if utf8.RuneCountInString(k.Name) > MaxContactName || !amigate.PlainText(k.Name) {
			return fieldErr(fmt.Sprintf("contacts[%d].name", i), "must be at most %d characters without control characters", MaxContactName)
		}
	}
	return nil
}

// window is a compiled calling window.
type window struct {
	loc      *time.Location
	days     [7]bool
	from, to int // minutes of the day; from == to means all day
}

func compileWindow(w amigate.CampaignWindow) (window, error) {
	c := window{loc: time.UTC}
	if w.TimeZone != "" {
		loc, err := time.LoadLocation(w.TimeZone)
		if err != nil || strings.ContainsAny(w.TimeZone, "\\") || strings.HasPrefix(w.TimeZone, "/") || strings.Contains(w.TimeZone, "..") {
			return c, fieldErr("window.time_zone", "is not an IANA time zone")
		}
		c.loc = loc
	}
	if len(w.Days) == 0 {
		c.days = [7]bool{true, true, true, true, true, true, true}
	}
	for _, d := range w.Days {
		i := slices.Index(weekdays, strings.ToLower(d))
		if i < 0 {
			return c, fieldErr("window.days", "%q is not one of %s", d, strings.Join(weekdays, ", "))
		}
		c.days[i] = true
	}
	var err error
	if c.from, err = minutes("window.from", w.From); err != nil {
		return c, err
	}
	if c.to, err = minutes("window.to", w.To); err != nil {
		return c, err
	}
	if (w.From == "") != (w.To == "") {
		return c, fieldErr("window", "from and to go together")
	}
	return c, nil
}

func minutes(field, s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fieldErr(field, "must be HH:MM")
	}
	return t.Hour()*60 + t.Minute(), nil
}

// open reports whether t is inside the window. A window whose to is
// before its from spans midnight; its night belongs to the day it starts.
func (w window) open(t time.Time) bool {
	t = t.In(w.loc)
	m := t.Hour()*60 + t.Minute()
	day := int(t.Weekday())
	switch {
	case w.from == w.to:
		return w.days[day]
	case w.from < w.to:
		return w.days[day] && m >= w.from && m < w.to
	case m >= w.from:
		return w.days[day]
	case m < w.to:
		return w.days[(day+6)%7]
	}
	return false
}

// rule is the retry rule of an outcome; false for outcomes never retried.
func retryRule(r amigate.CampaignRetry, outcome string) (amigate.RetryRule, bool) {
	switch outcome {
	case amigate.OutcomeBusy:
		return r.Busy, true
	case amigate.OutcomeNoAnswer:
		return r.NoAnswer, true
	case amigate.OutcomeFailed:
		return r.Failed, true
	}
	return amigate.RetryRule{}, false
}
