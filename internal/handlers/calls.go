package handlers

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/amigate/amigate"
)

// dial places a click-to-call.
//
//	@Summary		Click-to-call
//	@Description	Rings the agent's phone (`from`), then dials the customer (`to`) from it. The number is read in the home region (AMIGATE_PHONE_REGION) whatever its formatting, checked by the dial rules (number type, country, prefixes: a refused number is 422 naming the rule and why) and dialled in the configured dial format (AMIGATE_PHONE_DIAL_FORMAT, by default as a phone in the home region dials it: no `+`). The call's `customer.number` is the number as dialled, `customer.e164` its E.164 form. With an `ext` claim, `from` must be the token's extension. The same `Idempotency-Key` from the same token subject with the same body within 24 h returns the first call and dials nothing; with another body it is 409.
//	@Tags			calls
//	@Accept			json
//	@Produce		json,application/problem+json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string				false	"makes a retried request safe: at most one call per key"	maxlength(255)
//	@Param			request			body		CreateCallRequest	true	"the call to place"
//	@Success		202				{object}	amigate.Call		"the call, state dialing"
//	@Header			202				{string}	Location			"/v1/calls/{id}"
//	@Failure		400				{object}	Problem				"malformed JSON or unknown field"
//	@Failure		401				{object}	Problem				"missing or invalid token"
//	@Failure		403				{object}	Problem				"missing scope calls:write, or from is not the token's extension"
//	@Failure		409				{object}	Problem				"Idempotency-Key reused with another body"
//	@Failure		413				{object}	Problem				"body over 64 KiB"
//	@Failure		415				{object}	Problem				"body not application/json"
//	@Failure		422				{object}	Problem				"invalid field or number denied by the dial rules"
//	@Failure		502				{object}	Problem				"Asterisk refused the Originate"
//	@Failure		503				{object}	Problem				"Asterisk not connected"
//	@Failure		504				{object}	Problem				"Asterisk did not answer in time"
//	@Header			503				{integer}	Retry-After			"seconds to wait before retrying"
//	@Header			401,403			{string}	WWW-Authenticate	"the Bearer challenge (RFC 6750)"
//	@Header			all				{string}	X-Request-ID		"the request's id, as in the log and in problem bodies"
//	@Router			/v1/calls [post]
func (s *server) dial(c echo.Context) error {
	var req CreateCallRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	key := c.Request().Header.Get("Idempotency-Key")
	cl := claimsOf(c)
	if cl.Ext != "" && req.From != cl.Ext {
		return &httpError{status: http.StatusForbidden, kind: kindExtension, detail: "the token of extension " + cl.Ext + " may only place calls from it"}
	}
	ctx, cancel := s.call(c)
	defer cancel()
	call, err := s.d.Calls.Dial(ctx, req.domain(key, cl.Subject))
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/calls/"+call.ID)
	writeJSON(c, http.StatusAccepted, echo.MIMEApplicationJSON, call)
	return nil
}

// listCalls lists calls in progress and ended ones.
//
//	@Summary		List calls
//	@Description	Calls in progress and the call history (ended calls are kept 30 days by default, AMIGATE_HISTORY_RETENTION), newest start first, merged in one order. Filters combine. `state=ended` lists only the history; another state only calls in progress; a `disposition` only ended calls. A page has `limit` calls; when there are more, the `Link` header holds the next page's URL (`rel="next"`) with a `cursor` — a call that ends meanwhile keeps its place, so paging neither repeats nor skips calls. With an `ext` claim, only the calls that extension takes part in.
//	@Tags			calls
//	@Produce		json,application/problem+json
//	@Security		BearerAuth
//	@Param			state		query		string	false	"only calls in this state"	Enums(dialing, ringing, answered, on_hold, transferring, ended)
//	@Param			extension	query		string	false	"only calls this agent extension takes part in (as the agent, or rung, or transferred to)"
//	@Param			since		query		string	false	"only calls started at or after this time (RFC 3339)"	format(date-time)
//	@Param			until		query		string	false	"only calls started before this time (RFC 3339)"	format(date-time)
//	@Param			direction	query		string	false	"only calls in this direction"	Enums(inbound, outbound, internal)
//	@Param			disposition	query		string	false	"only ended calls with this outcome"	Enums(answered, no_answer, busy, failed, canceled, abandoned)
//	@Param			queue		query		string	false	"only calls through this queue"	maxlength(80)
//	@Param			customer	query		string	false	"only calls with this customer number, in any format (+7 (900) 123-45-67, 79001234567, ...)"
//	@Param			campaign	query		string	false	"only calls of this campaign"
//	@Param			cursor		query		string	false	"where the page starts: from the Link header of the previous page"	maxlength(512)
//	@Param			limit		query		integer	false	"calls per page"	minimum(1)	maximum(1000)	default(100)
//	@Success		200			{array}		amigate.Call
//	@Header			200			{string}	Link				"the next page (rel=next) as a URL in angle brackets, when there is one"
//	@Failure		401			{object}	Problem				"missing or invalid token"
//	@Failure		403			{object}	Problem				"missing scope calls:read"
//	@Failure		422			{object}	Problem				"invalid query"
//	@Header			401,403		{string}	WWW-Authenticate	"the Bearer challenge (RFC 6750)"
//	@Header			all			{string}	X-Request-ID		"the request's id, as in the log and in problem bodies"
//	@Router			/v1/calls [get]
func (s *server) listCalls(c echo.Context) error {
	var q ListCallsQuery
	if err := (&echo.DefaultBinder{}).BindQueryParams(c, &q); err != nil {
		return errStatus(http.StatusBadRequest, "malformed query")
	}
	if err := validate.Struct(&q); err != nil {
		return err
	}
	query, err := q.domain(claimsOf(c).Ext)
	if err != nil {
		return err
	}
	ctx, cancel := s.call(c)
	defer cancel()
	page, err := s.d.Calls.List(ctx, query)
	if err != nil {
		return err
	}
	if page.Next != "" {
		c.Response().Header().Set("Link", "<"+nextPage(c.Request().URL, page.Next)+`>; rel="next"`)
	}
	if page.Calls == nil {
		page.Calls = []amigate.Call{}
	}
	writeJSON(c, http.StatusOK, echo.MIMEApplicationJSON, page.Calls)
	return nil
}

// nextPage is the request's path and query with the cursor of the next
// page.
func nextPage(u *url.URL, cursor string) string {
	q := u.Query()
	q.Set("cursor", cursor)
	return u.Path + "?" + q.Encode()
}

// getCall returns one call.
//
//	@Summary		Get a call
//	@Description	An active call, or an ended one from the call history (30 days by default).
//	@Tags			calls
//	@Produce		json,application/problem+json
//	@Security		BearerAuth
//	@Param			id		path		string	true	"call id"
//	@Success		200		{object}	amigate.Call
//	@Failure		401		{object}	Problem				"missing or invalid token"
//	@Failure		403		{object}	Problem				"missing scope calls:read, or the token's extension is not in the call"
//	@Failure		404		{object}	Problem				"unknown call"
//	@Header			401,403	{string}	WWW-Authenticate	"the Bearer challenge (RFC 6750)"
//	@Header			all		{string}	X-Request-ID		"the request's id, as in the log and in problem bodies"
//	@Router			/v1/calls/{id} [get]
func (s *server) getCall(c echo.Context) error {
	call, err := s.ownCall(c)
	if err != nil {
		return err
	}
	writeJSON(c, http.StatusOK, echo.MIMEApplicationJSON, call)
	return nil
}

// ownCall fetches the call of the path's id and checks the ext claim.
func (s *server) ownCall(c echo.Context) (amigate.Call, error) {
	id := c.Param("id")
	if err := checkID("call", id); err != nil {
		return amigate.Call{}, err
	}
	ctx, cancel := s.call(c)
	defer cancel()
	call, err := s.d.Calls.Get(ctx, id)
	if err != nil {
		return amigate.Call{}, err
	}
	return call, mayAccess(claimsOf(c), &call)
}

// actionable returns the path's call id once the token may act on the
// call; only a token with an ext claim costs a lookup.
func (s *server) actionable(c echo.Context) (string, error) {
	if claimsOf(c).Ext == "" {
		id := c.Param("id")
		return id, checkID("call", id)
	}
	call, err := s.ownCall(c)
	return call.ID, err
}

// transfer moves the customer of a call to another extension.
//
//	@Summary		Transfer a call
//	@Description	`to` is an agent extension, or an outside number in any format, which is read and checked by the dial rules as `POST /v1/calls`' `to` is (422 naming the rule that refused it) and dialled in the dial format. Blind: the customer's channel is redirected to `to` in the transfer context. Attended: Atxfer on the agent's channel, which needs the `atxfer` feature code in Asterisk's features.conf (502 with Asterisk's message otherwise).
//	@Tags			calls
//	@Accept			json
//	@Produce		json,application/problem+json
//	@Security		BearerAuth
//	@Param			id		path		string				true	"call id"
//	@Param			request	body		TransferCallRequest	true	"where to"
//	@Success		202		{object}	amigate.Call
//	@Failure		400		{object}	Problem				"malformed JSON or unknown field"
//	@Failure		401		{object}	Problem				"missing or invalid token"
//	@Failure		403		{object}	Problem				"missing scope calls:write, or the token's extension is not in the call"
//	@Failure		404		{object}	Problem				"unknown call"
//	@Failure		409		{object}	Problem				"the call is not answered"
//	@Failure		415		{object}	Problem				"body not application/json"
//	@Failure		422		{object}	Problem				"invalid field or number refused by the dial rules"
//	@Failure		502		{object}	Problem				"Asterisk refused the transfer"
//	@Failure		503		{object}	Problem				"Asterisk not connected"
//	@Failure		504		{object}	Problem				"Asterisk did not answer in time"
//	@Header			503		{integer}	Retry-After			"seconds to wait before retrying"
//	@Header			401,403	{string}	WWW-Authenticate	"the Bearer challenge (RFC 6750)"
//	@Header			all		{string}	X-Request-ID		"the request's id, as in the log and in problem bodies"
//	@Router			/v1/calls/{id}/transfer [post]
func (s *server) transfer(c echo.Context) error {
	var req TransferCallRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	id, err := s.actionable(c)
	if err != nil {
		return err
	}
	ctx, cancel := s.call(c)
	defer cancel()
	call, err := s.d.Calls.Transfer(ctx, id, req.domain())
	if err != nil {
		return err
	}
	writeJSON(c, http.StatusAccepted, echo.MIMEApplicationJSON, call)
	return nil
}

// hangup ends a call.
//
//	@Summary		Hang up a call
//	@Description	Hangs up every channel of the call by its exact name.
//	@Tags			calls
//	@Produce		json,application/problem+json
//	@Security		BearerAuth
//	@Param			id		path		string	true	"call id"
//	@Success		202		{object}	amigate.Call
//	@Failure		401		{object}	Problem				"missing or invalid token"
//	@Failure		403		{object}	Problem				"missing scope calls:write, or the token's extension is not in the call"
//	@Failure		404		{object}	Problem				"unknown call"
//	@Failure		409		{object}	Problem				"the call has already ended"
//	@Failure		502		{object}	Problem				"Asterisk refused the hangup"
//	@Failure		503		{object}	Problem				"Asterisk not connected"
//	@Failure		504		{object}	Problem				"Asterisk did not answer in time"
//	@Header			503		{integer}	Retry-After			"seconds to wait before retrying"
//	@Header			401,403	{string}	WWW-Authenticate	"the Bearer challenge (RFC 6750)"
//	@Header			all		{string}	X-Request-ID		"the request's id, as in the log and in problem bodies"
//	@Router			/v1/calls/{id}/hangup [post]
func (s *server) hangup(c echo.Context) error {
	id, err := s.actionable(c)
	if err != nil {
		return err
	}
	ctx, cancel := s.call(c)
	defer cancel()
	call, err := s.d.Calls.Hangup(ctx, id)
	if err != nil {
		return err
	}
	writeJSON(c, http.StatusAccepted, echo.MIMEApplicationJSON, call)
	return nil
}
