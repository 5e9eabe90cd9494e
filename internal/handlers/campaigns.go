package handlers

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/amigate/amigate"
)

// Campaigns is the outbound dialer (campaign.Service).
type Campaigns interface {
	Create(ctx context.Context, r amigate.CampaignRequest) (amigate.Campaign, error)
	AddContacts(ctx context.Context, id string, in []amigate.CampaignContact) (amigate.Campaign, error)
	Get(ctx context.Context, id string) (amigate.Campaign, error)
	List(ctx context.Context) ([]amigate.Campaign, error)
	Contacts(ctx context.Context, id string, q amigate.ContactQuery) (amigate.ContactPage, error)
	Pause(ctx context.Context, id string) (amigate.Campaign, error)
	Resume(ctx context.Context, id string) (amigate.Campaign, error)
	Cancel(ctx context.Context, id string) (amigate.Campaign, error)
	Delete(ctx context.Context, id string) error
}

// CreateCampaignRequest is the body of POST /v1/campaigns.
type CreateCampaignRequest struct {
	Name string `json:"name" validate:"required" maxLength:"200" example:"December reminders"`
	// Mode is progressive (the default: the customer is dialled first,
	// while the target has a free agent) or preview (agent-first: a free
	// agent of the target is rung first, then the customer, as
	// click-to-call does).
	Mode string `json:"mode,omitempty" enums:"progressive,preview" example:"progressive"`
	// Contacts are the customers to call, at most 100000; more can be
	// appended later. Numbers pass the dial rules as in click-to-call;
	// variables follow the click-to-call rules (AMIGATE_DIAL_VARIABLE_PATTERN).
	Contacts []amigate.CampaignContact `json:"contacts" validate:"required" minItems:"1" maxItems:"100000"`
	// Target is where an answered customer goes: a queue (through the
	// configured AMIGATE_CAMPAIGN_CONTEXT) or an agent extension.
	Target amigate.CampaignTarget `json:"target"`
	// Pacing defaults to one call at a time, 60 new calls a minute.
	Pacing amigate.CampaignPacing `json:"pacing"`
	// Window is when calls may start; absent: any time.
	Window amigate.CampaignWindow `json:"window"`
	// Retry is per outcome; absent: no retries.
	Retry amigate.CampaignRetry `json:"retry"`
	// RingTimeoutSeconds is how long the customer's phone rings (5-120, default 30).
	RingTimeoutSeconds int `json:"ring_timeout_seconds,omitempty" minimum:"5" maximum:"120" example:"30"`
	// CallerID is the number shown to the customer: digits with an optional leading +.
	CallerID string `json:"caller_id,omitempty" example:"74950000000"`
	// Variables are channel variables set on every contact's call, under
	// the click-to-call rule (AMIGATE_DIAL_VARIABLE_PATTERN); a contact's
	// own variables win over these.
	Variables map[string]string `json:"variables,omitempty"`
} //	@name	CreateCampaignRequest

// AddContactsRequest is the body of POST /v1/campaigns/{id}/contacts.
type AddContactsRequest struct {
	Contacts []amigate.CampaignContact `json:"contacts" validate:"required" minItems:"1" maxItems:"100000"`
} //	@name	AddContactsRequest

// ListContactsQuery is the query of GET /v1/campaigns/{id}/contacts.
type ListContactsQuery struct {
	State   string `query:"state" validate:"omitempty,oneof=pending dialing done canceled"`
	Outcome string `query:"outcome" validate:"omitempty,oneof=answered abandoned busy no_answer failed canceled unknown"`
	Cursor  int    `query:"cursor" validate:"min=0"`
	Limit   int    `query:"limit" validate:"omitempty,min=1,max=1000"`
}

// createCampaign creates a campaign.
//
//	@Summary		Create a campaign
//	@Description	Stores a campaign and starts dialling its contacts within its pacing and calling window. Each attempt is stored before its Originate is sent, and an attempt whose outcome is unknown after a restart or a lost connection is never dialled again (its outcome is `unknown`). Instances sharing one NATS elect one that dials; any of them takes campaign requests and forwards them to it. Bodies may be up to 16 MiB.
//	@Tags			campaigns
//	@Accept			json
//	@Produce		json,application/problem+json
//	@Security		BearerAuth
//	@Param			request	body		CreateCampaignRequest	true	"the campaign"
//	@Success		201		{object}	amigate.Campaign
//	@Header			201		{string}	Location			"/v1/campaigns/{id}"
//	@Failure		400		{object}	Problem				"malformed JSON or unknown field"
//	@Failure		401		{object}	Problem				"missing or invalid token"
//	@Failure		403		{object}	Problem				"missing scope campaigns:write"
//	@Failure		413		{object}	Problem				"body over 16 MiB"
//	@Failure		415		{object}	Problem				"body not application/json"
//	@Failure		422		{object}	Problem				"invalid field, or a number denied by the dial rules"
//	@Failure		503		{object}	Problem				"campaigns-unavailable: the instance that dials the campaigns did not answer (another one takes over); retry after Retry-After"
//	@Header			401,403	{string}	WWW-Authenticate	"the Bearer challenge (RFC 6750)"
//	@Header			all		{string}	X-Request-ID		"the request's id, as in the log and in problem bodies"
//	@Router			/v1/campaigns [post]
func (s *server) createCampaign(c echo.Context) error {
	var req CreateCampaignRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	ctx, cancel := s.call(c)
	defer cancel()
	cmp, err := s.d.Campaigns.Create(ctx, amigate.CampaignRequest{
		Name: req.Name, Mode: req.Mode, Contacts: req.Contacts, Target: req.Target,
		Pacing: req.Pacing, Window: req.Window, Retry: req.Retry,
		RingTimeout: time.Duration(req.RingTimeoutSeconds) * time.Second, CallerID: req.CallerID,
		Variables: req.Variables, Caller: claimsOf(c).Subject,
	})
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/campaigns/"+cmp.ID)
	writeJSON(c, http.StatusCreated, echo.MIMEApplicationJSON, cmp)
	return nil
}

// addContacts appends contacts to a campaign.
//
//	@Summary		Add contacts to a campaign
//	@Description	Appends contacts (checked as at creation); a completed campaign runs again. A canceled campaign is 409.
//	@Tags			campaigns
//	@Accept			json
//	@Produce		json,application/problem+json
//	@Security		BearerAuth
//	@Param			id		path		string				true	"campaign id"
//	@Param			request	body		AddContactsRequest	true	"the contacts"
//	@Success		200		{object}	amigate.Campaign
//	@Failure		400		{object}	Problem				"malformed JSON or unknown field"
//	@Failure		401		{object}	Problem				"missing or invalid token"
//	@Failure		403		{object}	Problem				"missing scope campaigns:write"
//	@Failure		404		{object}	Problem				"unknown campaign"
//	@Failure		409		{object}	Problem				"the campaign is canceled"
//	@Failure		413		{object}	Problem				"body over 16 MiB"
//	@Failure		415		{object}	Problem				"body not application/json"
//	@Failure		422		{object}	Problem				"invalid field, or a number denied by the dial rules"
//	@Failure		503		{object}	Problem				"campaigns-unavailable: the instance that dials the campaigns did not answer (another one takes over); retry after Retry-After"
//	@Header			401,403	{string}	WWW-Authenticate	"the Bearer challenge (RFC 6750)"
//	@Header			all		{string}	X-Request-ID		"the request's id, as in the log and in problem bodies"
//	@Router			/v1/campaigns/{id}/contacts [post]
func (s *server) addContacts(c echo.Context) error {
	id := c.Param("id")
	if err := checkID("campaign", id); err != nil {
		return err
	}
	var req AddContactsRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	ctx, cancel := s.call(c)
	defer cancel()
	cmp, err := s.d.Campaigns.AddContacts(ctx, id, req.Contacts)
	if err != nil {
		return err
	}
	writeJSON(c, http.StatusOK, echo.MIMEApplicationJSON, cmp)
	return nil
}

// listCampaigns lists every campaign.
//
//	@Summary		List campaigns
//	@Description	Every campaign with its counts, oldest first.
//	@Tags			campaigns
//	@Produce		json,application/problem+json
//	@Security		BearerAuth
//	@Success		200		{array}		amigate.Campaign
//	@Failure		401		{object}	Problem				"missing or invalid token"
//	@Failure		403		{object}	Problem				"missing scope campaigns:read"
//	@Failure		503		{object}	Problem				"campaigns-unavailable: the instance that dials the campaigns did not answer (another one takes over); retry after Retry-After"
//	@Header			401,403	{string}	WWW-Authenticate	"the Bearer challenge (RFC 6750)"
//	@Header			all		{string}	X-Request-ID		"the request's id, as in the log and in problem bodies"
//	@Router			/v1/campaigns [get]
func (s *server) listCampaigns(c echo.Context) error {
	ctx, cancel := s.call(c)
	defer cancel()
	l, err := s.d.Campaigns.List(ctx)
	if err != nil {
		return err
	}
	writeJSON(c, http.StatusOK, echo.MIMEApplicationJSON, l)
	return nil
}

// getCampaign returns one campaign.
//
//	@Summary		Get a campaign
//	@Description	The campaign with its progress: contacts by state and by final outcome, attempts made.
//	@Tags			campaigns
//	@Produce		json,application/problem+json
//	@Security		BearerAuth
//	@Param			id		path		string	true	"campaign id"
//	@Success		200		{object}	amigate.Campaign
//	@Failure		401		{object}	Problem				"missing or invalid token"
//	@Failure		403		{object}	Problem				"missing scope campaigns:read"
//	@Failure		404		{object}	Problem				"unknown campaign"
//	@Failure		503		{object}	Problem				"campaigns-unavailable: the instance that dials the campaigns did not answer (another one takes over); retry after Retry-After"
//	@Header			401,403	{string}	WWW-Authenticate	"the Bearer challenge (RFC 6750)"
//	@Header			all		{string}	X-Request-ID		"the request's id, as in the log and in problem bodies"
//	@Router			/v1/campaigns/{id} [get]
func (s *server) getCampaign(c echo.Context) error {
	return s.campaignAction(c, http.StatusOK, s.d.Campaigns.Get)
}

// listContacts lists a campaign's contacts.
//
//	@Summary		List a campaign's contacts
//	@Description	Each contact with its state, final outcome and attempts (each attempt's call id and result), in the order given, a page at a time: when there are more, the `Link` header holds the next page's URL (`rel="next"`).
//	@Tags			campaigns
//	@Produce		json,application/problem+json
//	@Security		BearerAuth
//	@Param			id		path		string	true	"campaign id"
//	@Param			state	query		string	false	"only contacts in this state"	Enums(pending, dialing, done, canceled)
//	@Param			outcome	query		string	false	"only contacts with this final outcome"	Enums(answered, abandoned, busy, no_answer, failed, canceled, unknown)
//	@Param			cursor	query		integer	false	"the index of the contact the page starts at: from the Link header"	minimum(0)
//	@Param			limit	query		integer	false	"contacts per page"	minimum(1)	maximum(1000)	default(100)
//	@Success		200		{array}		amigate.CampaignContactStatus
//	@Header			200		{string}	Link				"the next page (rel=next) as a URL in angle brackets, when there is one"
//	@Failure		401		{object}	Problem				"missing or invalid token"
//	@Failure		403		{object}	Problem				"missing scope campaigns:read"
//	@Failure		404		{object}	Problem				"unknown campaign"
//	@Failure		422		{object}	Problem				"invalid query"
//	@Failure		503		{object}	Problem				"campaigns-unavailable: the instance that dials the campaigns did not answer (another one takes over); retry after Retry-After"
//	@Header			401,403	{string}	WWW-Authenticate	"the Bearer challenge (RFC 6750)"
//	@Header			all		{string}	X-Request-ID		"the request's id, as in the log and in problem bodies"
//	@Router			/v1/campaigns/{id}/contacts [get]
func (s *server) listContacts(c echo.Context) error {
	id := c.Param("id")
	if err := checkID("campaign", id); err != nil {
		return err
	}
	var q ListContactsQuery
	if err := (&echo.DefaultBinder{}).BindQueryParams(c, &q); err != nil {
		return errStatus(http.StatusBadRequest, "malformed query")
	}
	if err := validate.Struct(&q); err != nil {
		return err
	}
	ctx, cancel := s.call(c)
	defer cancel()
	page, err := s.d.Campaigns.Contacts(ctx, id, amigate.ContactQuery{State: q.State, Outcome: q.Outcome, Cursor: q.Cursor, Limit: q.Limit})
	if err != nil {
		return err
	}
	if page.Next > 0 {
		c.Response().Header().Set("Link", "<"+nextPage(c.Request().URL, strconv.Itoa(page.Next))+`>; rel="next"`)
	}
	writeJSON(c, http.StatusOK, echo.MIMEApplicationJSON, page.Contacts)
	return nil
}

// pauseCampaign stops new calls of a campaign.
//
//	@Summary		Pause a campaign
//	@Description	No new call starts; calls in progress go on. Pausing a paused campaign changes nothing; a completed or canceled one is 409.
//	@Tags			campaigns
//	@Produce		json,application/problem+json
//	@Security		BearerAuth
//	@Param			id		path		string	true	"campaign id"
//	@Success		200		{object}	amigate.Campaign
//	@Failure		401		{object}	Problem				"missing or invalid token"
//	@Failure		403		{object}	Problem				"missing scope campaigns:write"
//	@Failure		404		{object}	Problem				"unknown campaign"
//	@Failure		409		{object}	Problem				"the campaign is completed or canceled"
//	@Failure		503		{object}	Problem				"campaigns-unavailable: the instance that dials the campaigns did not answer (another one takes over); retry after Retry-After"
//	@Header			401,403	{string}	WWW-Authenticate	"the Bearer challenge (RFC 6750)"
//	@Header			all		{string}	X-Request-ID		"the request's id, as in the log and in problem bodies"
//	@Router			/v1/campaigns/{id}/pause [post]
func (s *server) pauseCampaign(c echo.Context) error {
	return s.campaignAction(c, http.StatusOK, s.d.Campaigns.Pause)
}

// resumeCampaign lets a paused campaign dial again.
//
//	@Summary		Resume a campaign
//	@Description	A paused campaign dials again. Resuming a running campaign changes nothing; any other state is 409.
//	@Tags			campaigns
//	@Produce		json,application/problem+json
//	@Security		BearerAuth
//	@Param			id		path		string	true	"campaign id"
//	@Success		200		{object}	amigate.Campaign
//	@Failure		401		{object}	Problem				"missing or invalid token"
//	@Failure		403		{object}	Problem				"missing scope campaigns:write"
//	@Failure		404		{object}	Problem				"unknown campaign"
//	@Failure		409		{object}	Problem				"the campaign is not paused"
//	@Failure		503		{object}	Problem				"campaigns-unavailable: the instance that dials the campaigns did not answer (another one takes over); retry after Retry-After"
//	@Header			401,403	{string}	WWW-Authenticate	"the Bearer challenge (RFC 6750)"
//	@Header			all		{string}	X-Request-ID		"the request's id, as in the log and in problem bodies"
//	@Router			/v1/campaigns/{id}/resume [post]
func (s *server) resumeCampaign(c echo.Context) error {
	return s.campaignAction(c, http.StatusOK, s.d.Campaigns.Resume)
}

// cancelCampaign ends a campaign.
//
//	@Summary		Cancel a campaign
//	@Description	No contact is dialled again; calls in progress go on and their outcomes are recorded. Contacts not done are `canceled`. A completed campaign is 409.
//	@Tags			campaigns
//	@Produce		json,application/problem+json
//	@Security		BearerAuth
//	@Param			id		path		string	true	"campaign id"
//	@Success		200		{object}	amigate.Campaign
//	@Failure		401		{object}	Problem				"missing or invalid token"
//	@Failure		403		{object}	Problem				"missing scope campaigns:write"
//	@Failure		404		{object}	Problem				"unknown campaign"
//	@Failure		409		{object}	Problem				"the campaign is completed"
//	@Failure		503		{object}	Problem				"campaigns-unavailable: the instance that dials the campaigns did not answer (another one takes over); retry after Retry-After"
//	@Header			401,403	{string}	WWW-Authenticate	"the Bearer challenge (RFC 6750)"
//	@Header			all		{string}	X-Request-ID		"the request's id, as in the log and in problem bodies"
//	@Router			/v1/campaigns/{id}/cancel [post]
func (s *server) cancelCampaign(c echo.Context) error {
	return s.campaignAction(c, http.StatusOK, s.d.Campaigns.Cancel)
}

// deleteCampaign forgets a campaign.
//
//	@Summary		Delete a campaign
//	@Description	Forgets a campaign and its contacts. A campaign that may still dial (scheduled or running), or has calls in progress, is 409: pause or cancel it first.
//	@Tags			campaigns
//	@Produce		application/problem+json
//	@Security		BearerAuth
//	@Param			id	path	string	true	"campaign id"
//	@Success		204
//	@Failure		401		{object}	Problem				"missing or invalid token"
//	@Failure		403		{object}	Problem				"missing scope campaigns:write"
//	@Failure		404		{object}	Problem				"unknown campaign"
//	@Failure		409		{object}	Problem				"the campaign may still dial, or has calls in progress"
//	@Failure		503		{object}	Problem				"campaigns-unavailable: the instance that dials the campaigns did not answer (another one takes over); retry after Retry-After"
//	@Header			401,403	{string}	WWW-Authenticate	"the Bearer challenge (RFC 6750)"
//	@Header			all		{string}	X-Request-ID		"the request's id, as in the log and in problem bodies"
//	@Router			/v1/campaigns/{id} [delete]
func (s *server) deleteCampaign(c echo.Context) error {
	id := c.Param("id")
	if err := checkID("campaign", id); err != nil {
		return err
	}
	ctx, cancel := s.call(c)
	defer cancel()
	if err := s.d.Campaigns.Delete(ctx, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// campaignAction is the handlers that take a campaign id and answer the
// campaign.
func (s *server) campaignAction(c echo.Context, status int, f func(context.Context, string) (amigate.Campaign, error)) error {
	id := c.Param("id")
	if err := checkID("campaign", id); err != nil {
		return err
	}
	ctx, cancel := s.call(c)
	defer cancel()
	cmp, err := f(ctx, id)
	if err != nil {
		return err
	}
	writeJSON(c, status, echo.MIMEApplicationJSON, cmp)
	return nil
}
