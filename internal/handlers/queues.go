package handlers

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/amigate/amigate"
)

// listQueues summarises every queue.
//
//	@Summary		List queues
//	@Description	One summary per queue (Asterisk's QueueSummary). With an `ext` claim, only the queues that extension's agent is a member of (as GET /v1/agents/{ext} lists them).
//	@Tags			queues
//	@Produce		json,application/problem+json
//	@Security		BearerAuth
//	@Success		200		{array}		amigate.QueueSummary
//	@Failure		401		{object}	Problem				"missing or invalid token"
//	@Failure		403		{object}	Problem				"missing scope queues:read"
//	@Failure		502		{object}	Problem				"Asterisk refused the action"
//	@Failure		503		{object}	Problem				"Asterisk not connected"
//	@Failure		504		{object}	Problem				"Asterisk did not answer in time"
//	@Header			503		{integer}	Retry-After			"seconds to wait before retrying"
//	@Header			401,403	{string}	WWW-Authenticate	"the Bearer challenge (RFC 6750)"
//	@Header			all		{string}	X-Request-ID		"the request's id, as in the log and in problem bodies"
//	@Router			/v1/queues [get]
func (s *server) listQueues(c echo.Context) error {
	ctx, cancel := s.call(c)
	defer cancel()
	member, err := s.memberOf(ctx, claimsOf(c).Ext)
	if err != nil {
		return err
	}
	qs, err := s.d.Queues.Queues(ctx)
	if err != nil {
		return err
	}
	if member != nil {
		qs = slices.DeleteFunc(qs, func(q amigate.QueueSummary) bool { return !member[q.Name] })
	}
	if qs == nil {
		qs = []amigate.QueueSummary{}
	}
	writeJSON(c, http.StatusOK, echo.MIMEApplicationJSON, qs)
	return nil
}

// getQueue returns one queue with its members and callers.
//
//	@Summary		Get a queue
//	@Description	Asterisk's QueueStatus for one queue: its members and the callers waiting. With an `ext` claim, only a queue that extension's agent is a member of.
//	@Tags			queues
//	@Produce		json,application/problem+json
//	@Security		BearerAuth
//	@Param			name	path		string	true	"queue name"
//	@Success		200		{object}	amigate.QueueStatus
//	@Failure		401		{object}	Problem				"missing or invalid token"
//	@Failure		403		{object}	Problem				"missing scope queues:read, or a queue the token's extension is not a member of"
//	@Failure		404		{object}	Problem				"unknown queue"
//	@Failure		502		{object}	Problem				"Asterisk refused the action"
//	@Failure		503		{object}	Problem				"Asterisk not connected"
//	@Failure		504		{object}	Problem				"Asterisk did not answer in time"
//	@Header			503		{integer}	Retry-After			"seconds to wait before retrying"
//	@Header			401,403	{string}	WWW-Authenticate	"the Bearer challenge (RFC 6750)"
//	@Header			all		{string}	X-Request-ID		"the request's id, as in the log and in problem bodies"
//	@Router			/v1/queues/{name} [get]
func (s *server) getQueue(c echo.Context) error {
	name := c.Param("name")
	if err := checkID("queue", name); err != nil {
		return err
	}
	ctx, cancel := s.call(c)
	defer cancel()
	if ext := claimsOf(c).Ext; ext != "" {
		member, err := s.memberOf(ctx, ext)
		if err != nil {
			return err
		}
		if !member[name] {
			return &httpError{status: http.StatusForbidden, kind: kindExtension, detail: "the token of extension " + ext + " may only read the queues that agent is a member of"}
		}
	}
	q, err := s.d.Queues.Queue(ctx, name)
	if err != nil {
		return err
	}
	writeJSON(c, http.StatusOK, echo.MIMEApplicationJSON, q)
	return nil
}

// pauseMember pauses or unpauses a queue member.
//
//	@Summary		Pause a queue member
//	@Description	Pauses (or unpauses) one member interface of the queue, so that it gets no queue calls. With an `ext` claim, only the token's own device may be paused.
//	@Tags			queues
//	@Accept			json
//	@Produce		json,application/problem+json
//	@Security		BearerAuth
//	@Param			name	path	string				true	"queue name"
//	@Param			request	body	PauseMemberRequest	true	"the member and its new state"
//	@Success		204		"paused or unpaused"
//	@Failure		400		{object}	Problem				"malformed JSON or unknown field"
//	@Failure		401		{object}	Problem				"missing or invalid token"
//	@Failure		403		{object}	Problem				"missing scope queues:write, or not the token's own device"
//	@Failure		404		{object}	Problem				"unknown queue or member"
//	@Failure		415		{object}	Problem				"body not application/json"
//	@Failure		422		{object}	Problem				"invalid field"
//	@Failure		502		{object}	Problem				"Asterisk refused the action"
//	@Failure		503		{object}	Problem				"Asterisk not connected"
//	@Failure		504		{object}	Problem				"Asterisk did not answer in time"
//	@Header			503		{integer}	Retry-After			"seconds to wait before retrying"
//	@Header			401,403	{string}	WWW-Authenticate	"the Bearer challenge (RFC 6750)"
//	@Header			all		{string}	X-Request-ID		"the request's id, as in the log and in problem bodies"
//	@Router			/v1/queues/{name}/pause [post]
func (s *server) pauseMember(c echo.Context) error {
	var req PauseMemberRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	name := c.Param("name")
	if err := checkID("queue", name); err != nil {
		return err
	}
	if ext := claimsOf(c).Ext; ext != "" {
		if !s.o.Devices.Owns(ext, req.Interface) {
			return &httpError{status: http.StatusForbidden, kind: kindExtension, detail: "the token of extension " + ext + " may only pause its own devices: " + strings.Join(s.o.Devices.Interfaces(ext), ", ")}
		}
	}
	ctx, cancel := s.call(c)
	defer cancel()
	if err := s.d.Queues.Pause(ctx, name, req.domain()); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// memberOf is the set of queues the agent of extension ext is a member of,
// as the presence model knows them (the agent's queues in GET
// /v1/agents/{ext}, kept by Asterisk's queue member events); nil for a
// token without an extension, which reads every queue. Without the agents
// model, or for an agent it does not know, an extension is a member of no
// queue.
func (s *server) memberOf(ctx context.Context, ext string) (map[string]bool, error) {
	if ext == "" {
		return nil, nil
	}
	member := map[string]bool{}
	if s.d.Agents == nil {
		return member, nil
	}
	a, err := s.d.Agents.Get(ctx, ext)
	if errors.Is(err, amigate.ErrNotFound) {
		return member, nil
	}
	if err != nil {
		return nil, err
	}
	for _, q := range a.Queues {
		member[q.Queue] = true
	}
	return member, nil
}
