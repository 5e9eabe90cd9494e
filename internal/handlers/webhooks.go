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

// listDeliveries shows the recent delivery attempts of a subscription.
//
//	@Summary		List deliveries
//	@Description	Recent deliveries of the subscription: attempts, last status code or error, next retry, delivered or dead.
//	@Tags			webhooks
//	@Produce		json,application/problem+json
//	@Security		BearerAuth
//	@Param			id		path		string	true	"subscription id"
//	@Success		200		{array}		amigate.Delivery
//	@Failure		401		{object}	Problem				"missing or invalid token"
//	@Failure		403		{object}	Problem				"missing scope webhooks:admin, or a token tied to an extension"
//	@Failure		404		{object}	Problem				"unknown subscription"
//	@Header			401,403	{string}	WWW-Authenticate	"the Bearer challenge (RFC 6750)"
//	@Header			all		{string}	X-Request-ID		"the request's id, as in the log and in problem bodies"
//	@Router			/v1/webhooks/{id}/deliveries [get]
func (s *server) listDeliveries(c echo.Context) error {
	id := c.Param("id")
	if err := checkID("webhook", id); err != nil {
		return err
	}
	ctx, cancel := s.call(c)
	defer cancel()
	ds, err := s.d.Webhooks.Deliveries(ctx, id)
	if err != nil {
		return err
	}
	if ds == nil {
		ds = []amigate.Delivery{}
	}
	writeJSON(c, http.StatusOK, echo.MIMEApplicationJSON, ds)
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
