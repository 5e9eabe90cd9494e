package handlers

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/amigate/amigate/internal/auth"
)

// Stream tickets let a browser open /v1/events: EventSource cannot send an
// Authorization header, and a long-lived token in a URL ends up in access
// logs, proxies and the browser's history. A ticket is minted with the
// bearer token, carries that token's grants, opens one stream, and expires
// within seconds; a reconnecting page asks for a new one.
const (
	// ticketTTL is how long a ticket may wait to be redeemed.
	ticketTTL = 30 * time.Second
	// maxTickets bounds the unredeemed tickets held, in all.
	maxTickets = 10000
	// maxTicketsPerSubject bounds one token subject's unredeemed tickets.
	maxTicketsPerSubject = 20
)

// tickets holds the unredeemed stream tickets.
type tickets struct {
	now func() time.Time

	mu sync.Mutex
	m  map[string]ticket
}

type ticket struct {
	claims  auth.Claims
	expires time.Time
}

func newTickets(now func() time.Time) *tickets {
	return &tickets{now: now, m: map[string]ticket{}}
}

// issue mints a ticket carrying cl's grants, valid until the earlier of the
// ticket's lifetime and the token's own expiry.
func (t *tickets) issue(cl *auth.Claims) (string, time.Time, error) {
	now := t.now()
	exp := now.Add(ticketTTL)
	if !cl.ExpiresAt.IsZero() && cl.ExpiresAt.Before(exp) {
		exp = cl.ExpiresAt
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	own := 0
	for id, tk := range t.m {
		if !now.Before(tk.expires) {
			delete(t.m, id)
		} else if tk.claims.Subject == cl.Subject {
			own++
		}
	}
	retry := http.Header{"Retry-After": []string{strconv.Itoa(int(ticketTTL / time.Second))}}
	switch {
	case own >= maxTicketsPerSubject:
		return "", time.Time{}, &httpError{status: http.StatusTooManyRequests, header: retry,
			detail: "this token's subject holds " + strconv.Itoa(maxTicketsPerSubject) + " unused stream tickets; use one or let them expire"}
	case len(t.m) >= maxTickets:
		return "", time.Time{}, &httpError{status: http.StatusServiceUnavailable, header: retry,
			detail: "too many unused stream tickets; retry later"}
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	id := base64.RawURLEncoding.EncodeToString(b)
	c := *cl
	c.Scopes = slices.Clone(cl.Scopes)
	t.m[id] = ticket{claims: c, expires: exp}
	return id, exp, nil
}

// redeem returns a ticket's grants once: the ticket is gone afterwards,
// whether it was valid or not.
func (t *tickets) redeem(id string) (*auth.Claims, bool) {
	t.mu.Lock()
	tk, ok := t.m[id]
	delete(t.m, id)
	t.mu.Unlock()
	if !ok || !t.now().Before(tk.expires) {
		return nil, false
	}
	return &tk.claims, true
}

// StreamTicket is a single-use ticket that opens one event stream.
type StreamTicket struct {
	// Ticket goes in the query of GET /v1/events?ticket=...
	Ticket string `json:"ticket"`
	// ExpiresAt is when the ticket stops opening streams if unused.
	ExpiresAt time.Time `json:"expires_at" format:"date-time"`
}

// createTicket mints a stream ticket.
//
//	@Summary		Get a ticket to open an event stream
//	@Description	For browsers, whose EventSource cannot send an Authorization header: a random ticket that opens one stream with `GET /v1/events?ticket=...` (no Authorization header then), with this token's scopes and ext claim. It is single-use and expires 30 s after issue (or with the token, if sooner), so no long-lived token ever sits in a URL. A page whose stream drops asks for a new ticket and reconnects with `last_event_id` in the query. A token subject holds at most 20 unused tickets (429 past that).
//	@Tags			calls
//	@Produce		json,application/problem+json
//	@Security		BearerAuth
//	@Success		201		{object}	StreamTicket
//	@Failure		401		{object}	Problem				"missing or invalid token"
//	@Failure		403		{object}	Problem				"missing scope calls:read"
//	@Failure		429		{object}	Problem				"this token's subject holds 20 unused tickets; Retry-After"
//	@Failure		503		{object}	Problem				"the service holds too many unused tickets; Retry-After"
//	@Header			401,403	{string}	WWW-Authenticate	"the Bearer challenge (RFC 6750)"
//	@Header			all		{string}	X-Request-ID		"the request's id, as in the log and in problem bodies"
//	@Router			/v1/events/tickets [post]
func (s *server) createTicket(c echo.Context) error {
	id, exp, err := s.tickets.issue(claimsOf(c))
	if err != nil {
		return err
	}
	writeJSON(c, http.StatusCreated, echo.MIMEApplicationJSON, StreamTicket{Ticket: id, ExpiresAt: exp.UTC()})
	return nil
}

// authenticateStream authenticates /v1/events by its bearer token or, when
// the request has no Authorization header, by a stream ticket.
func (s *server) authenticateStream(next echo.HandlerFunc) echo.HandlerFunc {
	withToken := s.authenticate(next)
	return func(c echo.Context) error {
		id := c.QueryParam("ticket")
		if id == "" || c.Request().Header.Get(echo.HeaderAuthorization) != "" {
			return withToken(c)
		}
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		claims, ok := s.tickets.redeem(id)
		if !ok {
			return unauthorized(kindTokenInvalid, `Bearer realm="amigate", error="invalid_token", error_description="the stream ticket is unknown, used or expired"`,
				"the stream ticket is unknown, used or expired; get a new one with POST /v1/events/tickets")
		}
		c.Set(claimsKey, claims)
		return next(c)
	}
}
