package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/amigate/amigate"
)

// listAgents returns every agent with its live state.
//
//	@Summary		List agents
//	@Description	Every agent the PBX told of (device states, extension hints, queue memberships, calls), by extension: devices and their states, the agent's state, the calls it rings for or talks in, since when, and its queues (paused and why, calls taken, last call). `unknown` whenever the service cannot tell (no device state known since the last login, or one it does not recognise). With an `ext` claim, only that agent.
//	@Tags			agents
//	@Produce		json,application/problem+json
//	@Security		BearerAuth
//	@Success		200		{array}		amigate.AgentPresence
//	@Failure		401		{object}	Problem				"missing or invalid token"
//	@Failure		403		{object}	Problem				"missing scope agents:read (or queues:read)"
//	@Header			401,403	{string}	WWW-Authenticate	"the Bearer challenge (RFC 6750)"
//	@Header			all		{string}	X-Request-ID		"the request's id, as in the log and in problem bodies"
//	@Router			/v1/agents [get]
func (s *server) listAgents(c echo.Context) error {
	ctx, cancel := s.call(c)
	defer cancel()
	as, err := s.d.Agents.List(ctx)
	if err != nil {
		return err
	}
	out := make([]amigate.AgentPresence, 0, len(as))
	ext := claimsOf(c).Ext
	for _, a := range as {
		if ext == "" || a.Extension == ext {
			out = append(out, a)
		}
	}
	writeJSON(c, http.StatusOK, echo.MIMEApplicationJSON, out)
	return nil
}

// getAgent returns one agent.
//
//	@Summary		Get an agent
//	@Description	One agent's devices, state, calls and queues (see GET /v1/agents). With an `ext` claim, only that agent.
//	@Tags			agents
//	@Produce		json,application/problem+json
//	@Security		BearerAuth
//	@Param			ext		path		string	true	"the agent's extension"
//	@Success		200		{object}	amigate.AgentPresence
//	@Failure		401		{object}	Problem				"missing or invalid token"
//	@Failure		403		{object}	Problem				"missing scope agents:read (or queues:read), or another extension than the token's"
//	@Failure		404		{object}	Problem				"no such agent known"
//	@Failure		422		{object}	Problem				"not an extension"
//	@Header			401,403	{string}	WWW-Authenticate	"the Bearer challenge (RFC 6750)"
//	@Header			all		{string}	X-Request-ID		"the request's id, as in the log and in problem bodies"
//	@Router			/v1/agents/{ext} [get]
func (s *server) getAgent(c echo.Context) error {
	ext := c.Param("ext")
	if err := ownExtension(c, ext); err != nil {
		return err
	}
	ctx, cancel := s.call(c)
	defer cancel()
	a, err := s.d.Agents.Get(ctx, ext)
	if err != nil {
		return err
	}
	writeJSON(c, http.StatusOK, echo.MIMEApplicationJSON, a)
	return nil
}

// pauseAgent pauses an agent in its queues.
//
//	@Summary		Pause an agent
//	@Description	Pauses the agent in `queue`, or in every queue it is a member of when `queue` is absent: the service finds the member interfaces the queues know the agent by and sends one QueuePause for each. The body may be empty. `agent.paused` events follow as Asterisk confirms. With an `ext` claim, only that agent.
//	@Tags			agents
//	@Accept			json
//	@Produce		json,application/problem+json
//	@Security		BearerAuth
//	@Param			ext		path		string				true	"the agent's extension"
//	@Param			request	body		PauseAgentRequest	false	"the queue (default: all the agent's queues) and a reason"
//	@Success		202		{object}	amigate.AgentPresence	"the agent as known when the pauses were sent"
//	@Failure		400		{object}	Problem				"malformed JSON or unknown field"
//	@Failure		401		{object}	Problem				"missing or invalid token"
//	@Failure		403		{object}	Problem				"missing scope agents:write (or queues:write), or another extension than the token's"
//	@Failure		404		{object}	Problem				"no such agent known, or not a member of the queue"
//	@Failure		415		{object}	Problem				"body not application/json"
//	@Failure		422		{object}	Problem				"invalid field"
//	@Failure		502		{object}	Problem				"Asterisk refused the action"
//	@Failure		503		{object}	Problem				"Asterisk not connected"
//	@Failure		504		{object}	Problem				"Asterisk did not answer in time"
//	@Header			503		{integer}	Retry-After			"seconds to wait before retrying"
//	@Header			401,403	{string}	WWW-Authenticate	"the Bearer challenge (RFC 6750)"
//	@Header			all		{string}	X-Request-ID		"the request's id, as in the log and in problem bodies"
//	@Router			/v1/agents/{ext}/pause [post]
func (s *server) pauseAgent(c echo.Context) error { return s.setPaused(c, true) }

// unpauseAgent unpauses an agent in its queues.
//
//	@Summary		Unpause an agent
//	@Description	Unpauses the agent in `queue`, or in every queue it is a member of when `queue` is absent (a `reason` is ignored). The body may be empty. `agent.unpaused` events follow as Asterisk confirms. With an `ext` claim, only that agent.
//	@Tags			agents
//	@Accept			json
//	@Produce		json,application/problem+json
//	@Security		BearerAuth
//	@Param			ext		path		string				true	"the agent's extension"
//	@Param			request	body		PauseAgentRequest	false	"the queue (default: all the agent's queues)"
//	@Success		202		{object}	amigate.AgentPresence	"the agent as known when the unpauses were sent"
//	@Failure		400		{object}	Problem				"malformed JSON or unknown field"
//	@Failure		401		{object}	Problem				"missing or invalid token"
//	@Failure		403		{object}	Problem				"missing scope agents:write (or queues:write), or another extension than the token's"
//	@Failure		404		{object}	Problem				"no such agent known, or not a member of the queue"
//	@Failure		415		{object}	Problem				"body not application/json"
//	@Failure		422		{object}	Problem				"invalid field"
//	@Failure		502		{object}	Problem				"Asterisk refused the action"
//	@Failure		503		{object}	Problem				"Asterisk not connected"
//	@Failure		504		{object}	Problem				"Asterisk did not answer in time"
//	@Header			503		{integer}	Retry-After			"seconds to wait before retrying"
//	@Header			401,403	{string}	WWW-Authenticate	"the Bearer challenge (RFC 6750)"
//	@Header			all		{string}	X-Request-ID		"the request's id, as in the log and in problem bodies"
//	@Router			/v1/agents/{ext}/unpause [post]
func (s *server) unpauseAgent(c echo.Context) error { return s.setPaused(c, false) }

func (s *server) setPaused(c echo.Context, paused bool) error {
	var req PauseAgentRequest
	if c.Request().ContentLength != 0 {
		if err := s.bind(c, &req); err != nil {
			return err
		}
	}
	ext := c.Param("ext")
	if err := ownExtension(c, ext); err != nil {
		return err
	}
	ctx, cancel := s.call(c)
	defer cancel()
	a, err := s.d.Agents.Pause(ctx, ext, paused, req.domain())
	if err != nil {
		return err
	}
	writeJSON(c, http.StatusAccepted, echo.MIMEApplicationJSON, a)
	return nil
}

// ownExtension refuses a token tied to another extension.
func ownExtension(c echo.Context, ext string) error {
	if own := claimsOf(c).Ext; own != "" && own != ext {
		return &httpError{status: http.StatusForbidden, kind: kindExtension, detail: "the token of extension " + own + " may only see and pause that agent"}
	}
	return nil
}
