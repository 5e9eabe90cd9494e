package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/amigate/amigate"
)

// createWebhook adds a subscription.
//
//	@Summary		Create a webhook subscription
//	@Description	The response carries the signing secret (generated when absent): it is shown this once; the service stores it encrypted with its AMIGATE_SECRETS_KEY, and a service configured without one refuses the request (409). URLs on loopback, link-local or private addresses are 422 unless the configuration allows them. Credentials in the URL (`user:pass@`, `token`, `key`, `secret`, `sig` and similar query parameters) are shown as `xxxxx` in every response; deliveries use the URL as given.
//	@Tags			webhooks
//	@Accept			json
//	@Produce		json,application/problem+json
//	@Security		BearerAuth
//	@Param			request	body		CreateWebhookRequest	true	"the receiver and the events it wants"
//	@Success		201		{object}	amigate.Subscription
//	@Header			201		{string}	Location			"/v1/webhooks/{id}"
//	@Failure		400		{object}	Problem				"malformed JSON or unknown field"
//	@Failure		401		{object}	Problem				"missing or invalid token"
//	@Failure		403		{object}	Problem				"missing scope webhooks:admin, or a token tied to an extension"
//	@Failure		409		{object}	Problem				"the service has no AMIGATE_SECRETS_KEY to store the secret with"
//	@Failure		415		{object}	Problem				"body not application/json"
//	@Failure		422		{object}	Problem				"invalid field or a private address"
//	@Header			401,403	{string}	WWW-Authenticate	"the Bearer challenge (RFC 6750)"
//	@Header			all		{string}	X-Request-ID		"the request's id, as in the log and in problem bodies"
//	@Router			/v1/webhooks [post]
func (s *server) createWebhook(c echo.Context) error {
	var req CreateWebhookRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	ctx, cancel := s.call(c)
	defer cancel()
	sub, err := s.d.Webhooks.Create(ctx, req.domain())
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/webhooks/"+sub.ID)
	writeJSON(c, http.StatusCreated, echo.MIMEApplicationJSON, sub)
	return nil
}

// listWebhooks lists the subscriptions, from the API and from configuration.
//
//	@Summary	List webhook subscriptions
//	@Tags		webhooks
//	@Produce	json,application/problem+json
//	@Security	BearerAuth
//	@Success	200		{array}		amigate.Subscription
//	@Failure	401		{object}	Problem				"missing or invalid token"
//	@Failure	403		{object}	Problem				"missing scope webhooks:admin, or a token tied to an extension"
//	@Header		401,403	{string}	WWW-Authenticate	"the Bearer challenge (RFC 6750)"
//	@Header		all		{string}	X-Request-ID		"the request's id, as in the log and in problem bodies"
//	@Router		/v1/webhooks [get]
func (s *server) listWebhooks(c echo.Context) error {
	ctx, cancel := s.call(c)
	defer cancel()
	subs, err := s.d.Webhooks.List(ctx)
	if err != nil {
		return err
	}
	if subs == nil {
		subs = []amigate.Subscription{}
	}
	writeJSON(c, http.StatusOK, echo.MIMEApplicationJSON, subs)
	return nil
}

// getWebhook returns one subscription, without its secret.
//
//	@Summary	Get a webhook subscription
//	@Tags		webhooks
//	@Produce	json,application/problem+json
//	@Security	BearerAuth
//	@Param		id		path		string	true	"subscription id"
//	@Success	200		{object}	amigate.Subscription
//	@Failure	401		{object}	Problem				"missing or invalid token"
//	@Failure	403		{object}	Problem				"missing scope webhooks:admin, or a token tied to an extension"
//	@Failure	404		{object}	Problem				"unknown subscription"
//	@Header		401,403	{string}	WWW-Authenticate	"the Bearer challenge (RFC 6750)"
//	@Header		all		{string}	X-Request-ID		"the request's id, as in the log and in problem bodies"
//	@Router		/v1/webhooks/{id} [get]
func (s *server) getWebhook(c echo.Context) error {
	id := c.Param("id")
	if err := checkID("webhook", id); err != nil {
		return err
	}
	ctx, cancel := s.call(c)
	defer cancel()
	sub, err := s.d.Webhooks.Get(ctx, id)
	if err != nil {
		return err
	}
	writeJSON(c, http.StatusOK, echo.MIMEApplicationJSON, sub)
	return nil
}

// patchWebhook changes a subscription made through the API.
//
//	@Summary		Change a webhook subscription
//	@Description	A JSON merge patch (RFC 7396; `application/json` or `application/merge-patch+json`): fields left out or null stay as they are, at least one is needed. `url` and `events` are checked as at creation. `enabled: false` stops deliveries — events keep queueing in the store (within its retention, 72 h by default) and are listed as `held`; `enabled: true` resumes them where they stopped, each call's in order, starting with the event the receiver refused — also after a `410 Gone` disabled the subscription. `rotate_secret: true` generates a new secret, returned in this response only; for `secret_grace_seconds` (default 86400, at most 604800) every delivery carries two signatures, the new secret's and the previous one's, so the receiver can switch at its own pace; `0` drops the previous secret at once. Changes reach every instance within a moment. Subscriptions from configuration cannot be changed (409).
//	@Tags			webhooks
//	@Accept			json,application/merge-patch+json
//	@Produce		json,application/problem+json
//	@Security		BearerAuth
//	@Param			id		path		string				true	"subscription id"
//	@Param			request	body		PatchWebhookRequest	true	"the fields to change"
//	@Success		200		{object}	amigate.Subscription	"the subscription; `secret` only after a rotation"
//	@Failure		400		{object}	Problem					"malformed JSON or unknown field"
//	@Failure		401		{object}	Problem					"missing or invalid token"
//	@Failure		403		{object}	Problem					"missing scope webhooks:admin, or a token tied to an extension"
//	@Failure		404		{object}	Problem					"unknown subscription"
//	@Failure		409		{object}	Problem					"a subscription from configuration"
//	@Failure		415		{object}	Problem					"body not JSON"
//	@Failure		422		{object}	Problem					"invalid field, a private address, or nothing to change"
//	@Header			401,403	{string}	WWW-Authenticate		"the Bearer challenge (RFC 6750)"
//	@Header			all		{string}	X-Request-ID			"the request's id, as in the log and in problem bodies"
//	@Router			/v1/webhooks/{id} [patch]
func (s *server) patchWebhook(c echo.Context) error {
	id := c.Param("id")
	if err := checkID("webhook", id); err != nil {
		return err
	}
	var req PatchWebhookRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	ctx, cancel := s.call(c)
	defer cancel()
	sub, err := s.d.Webhooks.Patch(ctx, id, req.domain())
	if err != nil {
		return err
	}
	writeJSON(c, http.StatusOK, echo.MIMEApplicationJSON, sub)
	return nil
}

// testWebhook sends a signed webhook.test event to a subscription now.
//
//	@Summary		Send a test event
//	@Description	POSTs a `webhook.test` event (`{"id":"evt_test_…","type":"webhook.test","occurred_at":"…","subscription_id":"…"}`), signed as every delivery is (both secrets during a rotation's grace period), to the subscription's URL now and answers what the receiver did: `delivered` (2xx), `status_code`, `latency_ms`, `error`. The ping goes beside the subscription's queue — it waits for no event and holds none up — whatever its event filter, and to a disabled subscription too: check a receiver's fix before enabling it again. It is not retried nor listed in the deliveries, and a `410` to it disables nothing. The answer is `200` whatever the receiver said; it takes at most the delivery timeout (10 s).
//	@Tags			webhooks
//	@Produce		json,application/problem+json
//	@Security		BearerAuth
//	@Param			id		path		string	true	"subscription id"
//	@Success		200		{object}	amigate.WebhookTestResult
//	@Failure		401		{object}	Problem				"missing or invalid token"
//	@Failure		403		{object}	Problem				"missing scope webhooks:admin, or a token tied to an extension"
//	@Failure		404		{object}	Problem				"unknown subscription"
//	@Failure		409		{object}	Problem				"a subscription from another instance's configuration, whose secret this instance lacks"
//	@Header			401,403	{string}	WWW-Authenticate	"the Bearer challenge (RFC 6750)"
//	@Header			all		{string}	X-Request-ID		"the request's id, as in the log and in problem bodies"
//	@Router			/v1/webhooks/{id}/test [post]
func (s *server) testWebhook(c echo.Context) error {
	id := c.Param("id")
	if err := checkID("webhook", id); err != nil {
		return err
	}
	ctx, cancel := s.call(c)
	defer cancel()
	res, err := s.d.Webhooks.Test(ctx, id)
	if err != nil {
		return err
	}
	writeJSON(c, http.StatusOK, echo.MIMEApplicationJSON, res)
	return nil
}

// deleteWebhook removes a subscription made through the API.
//
//	@Summary		Delete a webhook subscription
//	@Description	Subscriptions from configuration cannot be deleted (409).
//	@Tags			webhooks
//	@Produce		application/problem+json
//	@Security		BearerAuth
//	@Param			id		path	string	true	"subscription id"
//	@Success		204		"deleted"
//	@Failure		401		{object}	Problem				"missing or invalid token"
//	@Failure		403		{object}	Problem				"missing scope webhooks:admin, or a token tied to an extension"
//	@Failure		404		{object}	Problem				"unknown subscription"
//	@Failure		409		{object}	Problem				"a subscription from configuration"
//	@Header			401,403	{string}	WWW-Authenticate	"the Bearer challenge (RFC 6750)"
//	@Header			all		{string}	X-Request-ID		"the request's id, as in the log and in problem bodies"
//	@Router			/v1/webhooks/{id} [delete]
func (s *server) deleteWebhook(c echo.Context) error {
	id := c.Param("id")
	if err := checkID("webhook", id); err != nil {
		return err
	}
	ctx, cancel := s.call(c)
	defer cancel()
	if err := s.d.Webhooks.Delete(ctx, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// listDeliveries shows a subscription's deliveries, undelivered first.
//
//	@Summary		List deliveries
//	@Description	A page of the subscription's deliveries. First the events not delivered yet, in the order they go out: `failing` (attempted and refused or unanswered; retried at `next_retry_at`), `held` (waiting behind an earlier event of the same call that is failing — `blocked_by` names it — or because the subscription is disabled), `queued` (about to go out). The first 2000 events from the oldest undelivered one are looked at. Then the attempted events within the retention (72 h by default), most recent attempt first: `delivered`, `dead` (retries exhausted; retry by hand). Each names its `call_id` and `sequence` (agent events: no call). A page has `limit` deliveries; when there are more, the `Link` header holds the next page's URL (`rel="next"`).
//	@Tags			webhooks
//	@Produce		json,application/problem+json
//	@Security		BearerAuth
//	@Param			id		path		string	true	"subscription id"
//	@Param			state	query		string	false	"only deliveries in this state"	Enums(queued, held, failing, delivered, dead)
//	@Param			call_id	query		string	false	"only the events of this call"
//	@Param			cursor	query		string	false	"where the page starts: from the Link header of the previous page"	maxlength(512)
//	@Param			limit	query		integer	false	"deliveries per page"	minimum(1)	maximum(500)	default(100)
//	@Success		200		{array}		amigate.Delivery
//	@Header			200		{string}	Link				"the next page (rel=next) as a URL in angle brackets, when there is one"
//	@Failure		401		{object}	Problem				"missing or invalid token"
//	@Failure		403		{object}	Problem				"missing scope webhooks:admin, or a token tied to an extension"
//	@Failure		404		{object}	Problem				"unknown subscription"
//	@Failure		422		{object}	Problem				"invalid query"
//	@Header			401,403	{string}	WWW-Authenticate	"the Bearer challenge (RFC 6750)"
//	@Header			all		{string}	X-Request-ID		"the request's id, as in the log and in problem bodies"
//	@Router			/v1/webhooks/{id}/deliveries [get]
func (s *server) listDeliveries(c echo.Context) error {
	id := c.Param("id")
	if err := checkID("webhook", id); err != nil {
		return err
	}
	var q ListDeliveriesQuery
	if err := (&echo.DefaultBinder{}).BindQueryParams(c, &q); err != nil {
		return errStatus(http.StatusBadRequest, "malformed query")
	}
	if err := validate.Struct(&q); err != nil {
		return err
	}
	query, err := q.domain()
	if err != nil {
		return err
	}
	ctx, cancel := s.call(c)
	defer cancel()
	page, err := s.d.Webhooks.Deliveries(ctx, id, query)
	if err != nil {
		return err
	}
	if page.Next != "" {
		c.Response().Header().Set("Link", "<"+nextPage(c.Request().URL, page.Next)+`>; rel="next"`)
	}
	if page.Deliveries == nil {
		page.Deliveries = []amigate.Delivery{}
	}
	writeJSON(c, http.StatusOK, echo.MIMEApplicationJSON, page.Deliveries)
	return nil
}

// retryDelivery sends one event to a subscription again, now.
//
//	@Summary		Retry a delivery
//	@Description	Sends the event to the subscription again now, even when its delivery is dead.
//	@Tags			webhooks
//	@Produce		application/problem+json
//	@Security		BearerAuth
//	@Param			id			path	string	true	"subscription id"
//	@Param			event_id	path	string	true	"event id"
//	@Success		202			"queued for delivery"
//	@Failure		401			{object}	Problem				"missing or invalid token"
//	@Failure		403			{object}	Problem				"missing scope webhooks:admin, or a token tied to an extension"
//	@Failure		404			{object}	Problem				"unknown subscription or event"
//	@Header			401,403		{string}	WWW-Authenticate	"the Bearer challenge (RFC 6750)"
//	@Header			all			{string}	X-Request-ID		"the request's id, as in the log and in problem bodies"
//	@Router			/v1/webhooks/{id}/deliveries/{event_id}/retry [post]
func (s *server) retryDelivery(c echo.Context) error {
	id, eventID := c.Param("id"), c.Param("event_id")
	if err := checkID("webhook", id); err != nil {
		return err
	}
	if err := checkID("event", eventID); err != nil {
		return err
	}
	ctx, cancel := s.call(c)
	defer cancel()
	if err := s.d.Webhooks.Retry(ctx, id, eventID); err != nil {
		return err
	}
	return c.NoContent(http.StatusAccepted)
}
