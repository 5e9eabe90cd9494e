package history

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/amigate/amigate"
)

// Normalizer returns a customer number, written in any format, in E.164
// ("+" and digits), or "" when it cannot tell. The history compares
// customer numbers in that form, so that "+7 (900) 123-45-67",
// "8 900 123 45 67" and "79001234567" find the same calls.
type Normalizer func(number string) string

// customerKey is the form a customer number is indexed and searched in:
// the digits of its E.164 form, or the digits as written when norm cannot
// tell (or there is no norm).
func customerKey(number string, norm Normalizer) string {
	if norm != nil {
		if e := norm(number); e != "" {
			return digits(e)
		}
	}
	return digits(number)
}

func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// extras are the call fields the history indexes that amigate.Call may not
// carry yet: customer.e164 and campaign. Read from the stored JSON, they
// are indexed as soon as the events carry them.
type extras struct {
	Customer *struct {
		E164 string `json:"e164"`
	} `json:"customer"`
	Campaign json.RawMessage `json:"campaign"`
}

// campaign is the campaign's id: the field is either the id or an object
// with one.
func (x *extras) campaign() string {
	if len(x.Campaign) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(x.Campaign, &s) == nil {
		return s
	}
	var o struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(x.Campaign, &o) == nil {
		return o.ID
	}
	return ""
}

// errNotEnded is a call.ended event whose call is not ended: the history
// keeps ended calls only.
var errNotEnded = errors.New("call not ended")

// recordOf makes the stored form of an ended call from its JSON (the call
// object of a call.ended event).
func recordOf(raw json.RawMessage, norm Normalizer) (record, error) {
	var c amigate.Call
	if err := json.Unmarshal(raw, &c); err != nil {
		return record{}, fmt.Errorf("decode call: %w", err)
	}
	var x extras
	if err := json.Unmarshal(raw, &x); err != nil {
		return record{}, fmt.Errorf("decode call: %w", err)
	}
	if c.ID == "" || c.StartedAt.IsZero() {
		return record{}, errors.New("call without id or start time")
	}
	if c.State != amigate.StateEnded || c.EndedAt == nil {
		return record{}, fmt.Errorf("call %s: %w", c.ID, errNotEnded)
	}
	r := record{
		id:          c.ID,
		startedAt:   c.StartedAt,
		endedAt:     *c.EndedAt,
		direction:   c.Direction,
		disposition: c.Disposition,
		queue:       c.Queue,
		customer:    callCustomer(&c, &x, norm),
		campaign:    x.campaign(),
		exts:        extensions(&c),
		body:        raw,
	}
	return r, nil
}

// callCustomer is the customerKey of a call's customer: its E.164 form when
// the call carries one.
func callCustomer(c *amigate.Call, x *extras, norm Normalizer) string {
	if x.Customer != nil && x.Customer.E164 != "" {
		return digits(x.Customer.E164)
	}
	if c.Customer == nil {
		return ""
	}
	return customerKey(c.Customer.Number, norm)
}

// extensions are the agent extensions that took part in c, each once: what
// the extension filter and the ext claim match (amigate.Call.HasExtension).
func extensions(c *amigate.Call) []string {
	var out []string
	if c.Agent != nil && c.Agent.Extension != "" {
		out = append(out, c.Agent.Extension)
	}
	for _, e := range c.Extensions {
		if e != "" && !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out
}

// matches reports whether the call c (of the live model) passes f: the
// same filter the store applies in SQL, for the calls not stored yet.
func (f *filter) matches(c *amigate.Call, norm Normalizer) bool {
	switch {
	case f.direction != "" && c.Direction != f.direction,
		f.disposition != "" && c.Disposition != f.disposition,
		f.queue != "" && c.Queue != f.queue,
		!f.since.IsZero() && c.StartedAt.Before(f.since),
		!f.until.IsZero() && !c.StartedAt.Before(f.until),
		f.after != nil && !f.after.before(keyOf(c)):
		return false
	}
	for _, e := range f.exts {
		if !c.HasExtension(e) {
			return false
		}
	}
	if f.customer != "" || f.campaign != "" {
		raw, err := json.Marshal(c)
		if err != nil {
			return false
		}
		var x extras
		_ = json.Unmarshal(raw, &x)
		if f.customer != "" && callCustomer(c, &x, norm) != f.customer {
			return false
		}
		if f.campaign != "" && x.campaign() != f.campaign {
			return false
		}
	}
	return true
}
