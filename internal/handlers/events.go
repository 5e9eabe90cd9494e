package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/auth"
)

// sseWriteTimeout bounds one write to an event stream, so that a client
// that stopped reading cannot hold the handler forever.
const sseWriteTimeout = 30 * time.Second

// events streams call events as Server-Sent Events.
//
//	@Summary		Stream call events (Server-Sent Events)
//	@Description	Every call event as it happens: `id` is the event id, `event` its type, `data` the event as JSON (the webhook body). A client that reconnects with `Last-Event-ID` (browsers do it by themselves) resumes after that event; when that event is no longer retained, a `gap` event says so and the stream goes on with live events. A comment line is sent when idle, to keep proxies from closing the stream. With an `ext` claim, only the events of calls that extension takes part in. Browsers, whose EventSource cannot send an Authorization header, open the stream with a ticket from POST /v1/events/tickets instead.
//	@Tags			calls
//	@Produce		text/event-stream,application/problem+json
//	@Security		BearerAuth
//	@Param			Last-Event-ID	header		string				false	"resume after this event id"
//	@Param			ticket			query		string				false	"a single-use stream ticket from POST /v1/events/tickets, in place of the Authorization header (for browsers' EventSource)"
//	@Param			last_event_id	query		string				false	"the same, for clients that cannot set headers"
//	@Param			events			query		string				false	"comma-separated event types; default * (every call event); agent events (agent.state_changed, agent.queue_joined, agent.queue_left, agent.paused, agent.unpaused) only when named, and only with scope agents:read or queues:read; campaign events (campaign.started, campaign.contact_completed, campaign.completed) only when named, and only with scope campaigns:read"
//	@Success		200				{object}	amigate.CallEvent	"a stream of events, each data line one of these"
//	@Failure		401				{object}	Problem				"missing or invalid token, or an unknown, used or expired ticket"
//	@Failure		403				{object}	Problem				"missing scope calls:read, agent events without agents:read or queues:read, or campaign events without campaigns:read"
//	@Failure		422				{object}	Problem				"malformed Last-Event-ID, or an unknown event type"
//	@Failure		429				{object}	Problem				"this token's subject has as many open streams as allowed (AMIGATE_SSE_MAX_STREAMS_PER_SUBJECT); Retry-After"
//	@Failure		503				{object}	Problem				"the service has as many open streams as allowed (AMIGATE_SSE_MAX_STREAMS); Retry-After"
//	@Header			401,403			{string}	WWW-Authenticate	"the Bearer challenge (RFC 6750)"
//	@Header			all				{string}	X-Request-ID		"the request's id, as in the log and in problem bodies"
//	@Header			429,503			{string}	Retry-After			"seconds to wait before opening another stream"
//	@Router			/v1/events [get]
func (s *server) events(c echo.Context) error {
	last := c.Request().Header.Get("Last-Event-ID")
	if last == "" {
		last = c.QueryParam("last_event_id")
	}
	if last != "" && !isID(last) {
		return &amigate.FieldError{Field: "Last-Event-ID", Message: ruleMessages["id"]}
	}
	filter, err := eventFilter(c)
	if err != nil {
		return err
	}
	ext := claimsOf(c).Ext
	release, err := s.streams.acquire(claimsOf(c).Subject)
	if err != nil {
		return err
	}
	defer release()

	ctx, cancel := context.WithCancel(c.Request().Context())
	// Buffered, so that the follower reads on while an event is written:
	// the events of one stored batch then go out in one write.
	evs := make(chan amigate.CallEvent, sseBatch)
	gap := make(chan string, 1)
	done := make(chan error, 1)
	go func() { // owned by this handler: cancelled and waited for below
		var sent atomic.Bool
		fn := func(ev amigate.CallEvent) error {
			sent.Store(true)
			if !amigate.Wants(filter, ev.Type) || ext != "" && !concerns(&ev, ext) {
				return nil
			}
			select {
			case evs <- ev:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		err := s.d.Webhooks.Follow(ctx, last, fn)
		if last != "" && !sent.Load() && errors.Is(err, amigate.ErrNotFound) {
			// The event to resume after is no longer retained: say so,
			// and follow live events rather than fail for good.
			gap <- last
			err = s.d.Webhooks.Follow(ctx, "", fn)
		}
		done <- err
	}()
	followDone := false
	defer func() {
		cancel()
		if !followDone {
			<-done
		}
	}()

	w := &sseWriter{res: c.Response(), rc: http.NewResponseController(c.Response().Writer)}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/event-stream; charset=utf-8")
	h.Set(echo.HeaderCacheControl, "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	c.Response().WriteHeader(http.StatusOK)
	if w.write("retry: "+strconv.FormatInt(s.o.SSERetry.Milliseconds(), 10)+"\n\n") != nil {
		return nil
	}

	keepAlive := time.NewTicker(s.o.KeepAlive)
	defer keepAlive.Stop()
	for {
		var err error
		select {
		case ev := <-evs:
			err = w.events(&ev, evs)
		case id := <-gap:
			err = w.write("event: gap\ndata: {\"last_event_id\":" + strconv.Quote(id) +
				",\"detail\":\"events after this one are no longer retained; following live events\"}\n\n")
		case <-keepAlive.C:
			err = w.write(": keep-alive\n\n")
		case err = <-done:
			followDone = true
			if err != nil && ctx.Err() == nil {
				s.log.LogAttrs(ctx, slog.LevelError, "event stream failed",
					slog.String("request_id", h.Get(echo.HeaderXRequestID)), slog.String("error", err.Error()))
				_ = w.write("event: error\ndata: {\"detail\":\"the event stream failed; reconnect\"}\n\n")
			}
			return nil
		case <-ctx.Done():
			return nil
		case <-s.o.StreamsDone:
			return nil
		}
		if err != nil { // the client is gone
			return nil
		}
	}
}

// maxEventFilter bounds the types an events query may name.
const maxEventFilter = 16

// eventFilter reads the events query: call event types, "*", agent event
// types for a token that may read agents, campaign event types for one
// that may read campaigns.
func eventFilter(c echo.Context) ([]string, error) {
	q := c.QueryParam("events")
	if q == "" {
		return []string{"*"}, nil
	}
	filter := strings.Split(q, ",")
	if len(filter) > maxEventFilter {
		return nil, &amigate.FieldError{Field: "events", Message: "too many event types"}
	}
	cl := claimsOf(c)
	for i, e := range filter {
		e = strings.TrimSpace(e)
		filter[i] = e
		switch {
		case e == "*" || slices.Contains(amigate.EventTypes, e):
		case amigate.IsAgentEvent(e):
			if !cl.HasScope(auth.ScopeAgentsRead) && !cl.HasScope(auth.ScopeQueuesRead) {
				return nil, errStatus(http.StatusForbidden, "agent events need the scope agents:read or queues:read")
			}
		case amigate.IsCampaignEvent(e):
			if !cl.HasScope(auth.ScopeCampaignsRead) {
				return nil, errStatus(http.StatusForbidden, "campaign events need the scope campaigns:read")
			}
		default:
			return nil, &amigate.FieldError{Field: "events", Message: "unknown event type " + quoteShort(e)}
		}
	}
	return filter, nil
}

// concerns reports whether a call event is about extension ext.
func concerns(ev *amigate.CallEvent, ext string) bool {
	if ev.Call.HasExtension(ext) || (ev.Agent != nil && ev.Agent.Extension == ext) {
		return true
	}
	return ev.Transfer != nil && (ev.Transfer.FromExtension == ext || ev.Transfer.ToExtension == ext)
}

// sseBatch bounds the events written before one flush.
const sseBatch = 64

// sseWriter frames and flushes Server-Sent Events.
type sseWriter struct {
	res *echo.Response
	rc  *http.ResponseController
	buf []byte
}

// events writes ev and the events already waiting behind it (up to
// sseBatch), then flushes once: no event waits for a later one, and a burst
// (the call and agent events of one AMI event) reaches the client in one
// piece rather than one network write each.
func (w *sseWriter) events(ev *amigate.CallEvent, more <-chan amigate.CallEvent) error {
	w.buf = w.buf[:0]
	if err := w.frame(ev); err != nil {
		return err
	}
	for n := 1; n < sseBatch; n++ {
		var next amigate.CallEvent
		select {
		case next = <-more:
		default:
			return w.flush(w.buf)
		}
		if err := w.frame(&next); err != nil {
			return err
		}
	}
	return w.flush(w.buf)
}

// frame appends one event frame to the buffer. The JSON is compact, so one
// data line; an id with a line break (never from our store) would break
// the framing and is left out.
func (w *sseWriter) frame(ev *amigate.CallEvent) error {
	data, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	b := w.buf
	if ev.ID != "" && !strings.ContainsAny(ev.ID, "\r\n") {
		b = append(append(append(b, "id: "...), ev.ID...), '\n')
	}
	if ev.Type != "" && !strings.ContainsAny(ev.Type, "\r\n") {
		b = append(append(append(b, "event: "...), ev.Type...), '\n')
	}
	w.buf = append(append(append(b, "data: "...), data...), "\n\n"...)
	return nil
}

func (w *sseWriter) write(s string) error { return w.flush([]byte(s)) }

func (w *sseWriter) flush(b []byte) error {
	// The server's WriteTimeout would end a long stream: each write gets
	// its own deadline instead (unsupported writers ignore it).
	_ = w.rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout))
	if _, err := w.res.Write(b); err != nil {
		return err
	}
	return w.rc.Flush()
}
