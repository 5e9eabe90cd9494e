package handlers

import (
	"github.com/amigate/amigate/internal/agent"

	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/auth"
)

// Calls is the call control the API drives (control.Service), with the
// live calls and the call history behind Get and List (history.Service).
type Calls interface {
	Dial(ctx context.Context, r amigate.DialRequest) (amigate.Call, error)
	Transfer(ctx context.Context, id string, r amigate.TransferRequest) (amigate.Call, error)
	Hangup(ctx context.Context, id string) (amigate.Call, error)
	Get(ctx context.Context, id string) (amigate.Call, error)
	// List is a page of active and ended calls, newest first.
	List(ctx context.Context, q amigate.CallQuery) (amigate.CallPage, error)
}

// Queues reads queue state and pauses members.
type Queues interface {
	Queues(ctx context.Context) ([]amigate.QueueSummary, error)
	Queue(ctx context.Context, name string) (amigate.QueueStatus, error)
	Pause(ctx context.Context, queue string, r amigate.QueuePauseRequest) error
}

// Agents reads agents' presence and pauses them (control.Agents).
type Agents interface {
	List(ctx context.Context) ([]amigate.AgentPresence, error)
	Get(ctx context.Context, ext string) (amigate.AgentPresence, error)
	Pause(ctx context.Context, ext string, paused bool, r amigate.PauseRequest) (amigate.AgentPresence, error)
}

// Webhooks manages subscriptions and their deliveries, and is the source of
// the Server-Sent Events stream.
type Webhooks interface {
	Create(ctx context.Context, r amigate.SubscriptionRequest) (amigate.Subscription, error)
	List(ctx context.Context) ([]amigate.Subscription, error)
	Get(ctx context.Context, id string) (amigate.Subscription, error)
	Patch(ctx context.Context, id string, p amigate.SubscriptionPatch) (amigate.Subscription, error)
	Delete(ctx context.Context, id string) error
	// Test sends a signed webhook.test to the subscription now; the
	// receiver's answer is in the result.
	Test(ctx context.Context, id string) (amigate.WebhookTestResult, error)
	Deliveries(ctx context.Context, id string, q amigate.DeliveryQuery) (amigate.DeliveryPage, error)
	Retry(ctx context.Context, id, eventID string) error
	// Follow calls fn with every call event after lastEventID ("" for
	// events from now on) until ctx ends or fn returns an error, which
	// Follow then returns.
	Follow(ctx context.Context, lastEventID string, fn func(amigate.CallEvent) error) error
}

// Verifier checks a bearer token and returns what it grants.
type Verifier interface {
	Verify(token string) (*auth.Claims, error)
}

// HTTPMetrics records one served request by its route template, never by
// its raw path, so that ids do not explode the label set.
type HTTPMetrics interface {
	ObserveHTTP(method, route string, status int, d time.Duration)
}

// Deps are the services behind the routes. Calls, Queues, Webhooks and
// Verifier are required; the rest are optional.
type Deps struct {
	Calls    Calls
	Queues   Queues
	Webhooks Webhooks
	Verifier Verifier
	// Agents serves /v1/agents; nil leaves those routes out.
	Agents Agents
	// Campaigns serves /v1/campaigns; nil leaves those routes out.
	Campaigns Campaigns
	// CampaignsAt, when set, is the base URL of the instance that runs
	// the campaigns when it is another one (instances sharing one store):
	// /v1/campaigns requests are forwarded there. "" serves them here.
	CampaignsAt func() string

	// Ready reports why the service cannot take traffic (AMI not logged
	// in, event store not writable); nil makes /readyz always ready.
	Ready func(ctx context.Context) error
	// Metrics serves /metrics; nil leaves the route out.
	Metrics http.Handler
	// HTTPMetrics observes every request; nil observes nothing.
	HTTPMetrics HTTPMetrics
	// Logger receives the access log and the internal errors hidden from
	// clients; nil discards them.
	Logger *slog.Logger
}

// Options tune the HTTP layer. The zero value is the documented defaults.
type Options struct {
	// BodyLimit is the largest request body accepted (413 above it).
	// Default 64 KiB.
	BodyLimit int64
	// CampaignBodyLimit is the largest body of the routes that take a
	// campaign's contacts (up to 100000 of them). Default 16 MiB.
	CampaignBodyLimit int64
	// Timeout bounds each service call a request makes, so that no request
	// waits forever on the PBX. Default 15s. Not applied to /v1/events.
	Timeout time.Duration
	// RetryAfter is sent with 503 when Asterisk is not connected.
	// Default 5s.
	RetryAfter time.Duration
	// ReadyTimeout bounds Deps.Ready. Default 2s.
	ReadyTimeout time.Duration
	// KeepAlive is how often /v1/events sends a comment when idle, so that
	// proxies keep the stream open. Default 15s.
	KeepAlive time.Duration
	// SSERetry is the reconnection delay /v1/events suggests to clients.
	// Default 3s.
	SSERetry time.Duration
	// Devices tell which queue member interfaces belong to a token's ext
	// claim (AMIGATE_DIAL_AGENT_CHANNEL). Default agent.Default().
	Devices *agent.Devices
	// TokenCache is how many verified tokens are remembered until they
	// expire (at most 5 minutes), sparing a signature check per request.
	// Default 1024; negative disables the cache.
	TokenCache int
	// MaxStreams bounds the open /v1/events streams in all (503 past it,
	// AMIGATE_SSE_MAX_STREAMS; default 1000); MaxStreamsPerSubject per
	// token subject (429 past it, AMIGATE_SSE_MAX_STREAMS_PER_SUBJECT;
	// default 10).
	MaxStreams, MaxStreamsPerSubject int
	// StreamsDone, when closed, ends the open /v1/events streams:
	// http.Server.Shutdown does not cancel requests, so the caller closes
	// it from RegisterOnShutdown lest Shutdown wait on endless streams.
	StreamsDone <-chan struct{}
	// CORSOrigins are the browser origins allowed to call /v1 and read
	// the spec from another origin ("*" for any); none: no CORS.
	CORSOrigins []string
}

func (o Options) withDefaults() Options {
	if o.BodyLimit <= 0 {
		o.BodyLimit = 64 << 10
	}
	if o.CampaignBodyLimit <= 0 {
		o.CampaignBodyLimit = 16 << 20
	}
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	if o.RetryAfter <= 0 {
		o.RetryAfter = 5 * time.Second
	}
	if o.ReadyTimeout <= 0 {
		o.ReadyTimeout = 2 * time.Second
	}
	if o.KeepAlive <= 0 {
		o.KeepAlive = 15 * time.Second
	}
	if o.SSERetry <= 0 {
		o.SSERetry = 3 * time.Second
	}
	if o.MaxStreams <= 0 {
		o.MaxStreams = 1000
	}
	if o.MaxStreamsPerSubject <= 0 {
		o.MaxStreamsPerSubject = 10
	}
	if o.TokenCache == 0 {
		o.TokenCache = 1024
	}
	if o.Devices == nil {
		o.Devices = agent.Default()
	}
	return o
}

// server holds what the handlers share.
type server struct {
	d       Deps
	o       Options
	log     *slog.Logger
	streams *streams // open /v1/events streams
	ready   readiness
	tickets *tickets // unredeemed stream tickets
}

// New returns the API as an echo instance, ready to be served by an
// http.Server that the caller owns (and shuts down). It panics when a
// required dependency is nil: that is a wiring bug, not a runtime state.
func New(d Deps, o Options) *echo.Echo {
	if d.Calls == nil || d.Queues == nil || d.Webhooks == nil || d.Verifier == nil {
		panic("handlers: Deps.Calls, Queues, Webhooks and Verifier are required")
	}
	o = o.withDefaults()
	if o.TokenCache > 0 {
		d.Verifier = newTokenCache(d.Verifier, o.TokenCache, time.Now)
	}
	s := &server{d: d, o: o, log: d.Logger,
		streams: newStreams(o.MaxStreams, o.MaxStreamsPerSubject, int((o.SSERetry+999e6)/1e9)),
		tickets: newTickets(time.Now)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	// The access log records the peer; behind a proxy, set e.IPExtractor.
	e.IPExtractor = echo.ExtractIPDirect()
	e.Use(s.requestID, s.observe, s.recover, s.limitBody)
	if mw := cors(o.CORSOrigins); mw != nil {
		e.Use(mw)
	}

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	if d.Metrics != nil {
		e.GET("/metrics", echo.WrapHandler(d.Metrics))
	}
	e.GET("/openapi.yaml", s.openAPI)
	e.GET("/openapi.json", s.openAPIJSON)
	e.GET("/swagger", s.swaggerRedirect)
	// The UI reads /openapi.yaml; its default doc.json would need swag's
	// global registry, which this service does not fill.
	e.GET("/swagger/doc.json", s.specRedirect)
	e.GET("/swagger/*", swaggerUI())

	// Each /v1 route carries its middleware itself: a group's middleware
	// would also catch unknown methods and answer 404 instead of 405.
	v1 := func(method, path string, scope string, h echo.HandlerFunc, or ...string) {
		e.Add(method, "/v1"+path, h, s.authenticate, requireScope(append([]string{scope}, or...)...), s.requireJSON)
	}
	v1(http.MethodPost, "/calls", auth.ScopeCallsWrite, s.dial)
	v1(http.MethodGet, "/calls", auth.ScopeCallsRead, s.listCalls)
	v1(http.MethodGet, "/calls/:id", auth.ScopeCallsRead, s.getCall)
	v1(http.MethodPost, "/calls/:id/transfer", auth.ScopeCallsWrite, s.transfer)
	v1(http.MethodPost, "/calls/:id/hangup", auth.ScopeCallsWrite, s.hangup)
	v1(http.MethodPost, "/events/tickets", auth.ScopeCallsRead, s.createTicket)
	// A browser's EventSource cannot send a header: the stream also takes
	// a ticket from POST /v1/events/tickets.
	e.GET("/v1/events", s.events, s.authenticateStream, requireScope(auth.ScopeCallsRead))

	v1(http.MethodGet, "/queues", auth.ScopeQueuesRead, s.listQueues)
	v1(http.MethodGet, "/queues/:name", auth.ScopeQueuesRead, s.getQueue)
	v1(http.MethodPost, "/queues/:name/pause", auth.ScopeQueuesWrite, s.pauseMember)

	if d.Agents != nil {
		v1(http.MethodGet, "/agents", auth.ScopeAgentsRead, s.listAgents, auth.ScopeQueuesRead)
		v1(http.MethodGet, "/agents/:ext", auth.ScopeAgentsRead, s.getAgent, auth.ScopeQueuesRead)
		v1(http.MethodPost, "/agents/:ext/pause", auth.ScopeAgentsWrite, s.pauseAgent, auth.ScopeQueuesWrite)
		v1(http.MethodPost, "/agents/:ext/unpause", auth.ScopeAgentsWrite, s.unpauseAgent, auth.ScopeQueuesWrite)
	}

	if d.Campaigns != nil {
		// Checked here, then served where the campaigns run.
		cv1 := func(method, path string, scope string, h echo.HandlerFunc) {
			e.Add(method, "/v1"+path, h, s.authenticate, requireScope(scope), s.requireJSON, s.forwardCampaigns)
		}
		cv1(http.MethodPost, "/campaigns", auth.ScopeCampaignsWrite, s.createCampaign)
		cv1(http.MethodGet, "/campaigns", auth.ScopeCampaignsRead, s.listCampaigns)
		cv1(http.MethodGet, "/campaigns/:id", auth.ScopeCampaignsRead, s.getCampaign)
		cv1(http.MethodDelete, "/campaigns/:id", auth.ScopeCampaignsWrite, s.deleteCampaign)
		cv1(http.MethodGet, "/campaigns/:id/contacts", auth.ScopeCampaignsRead, s.listContacts)
		cv1(http.MethodPost, "/campaigns/:id/contacts", auth.ScopeCampaignsWrite, s.addContacts)
		cv1(http.MethodPost, "/campaigns/:id/pause", auth.ScopeCampaignsWrite, s.pauseCampaign)
		cv1(http.MethodPost, "/campaigns/:id/resume", auth.ScopeCampaignsWrite, s.resumeCampaign)
		cv1(http.MethodPost, "/campaigns/:id/cancel", auth.ScopeCampaignsWrite, s.cancelCampaign)
	}

	v1(http.MethodPost, "/webhooks", auth.ScopeWebhooksAdmin, s.createWebhook)
	v1(http.MethodGet, "/webhooks", auth.ScopeWebhooksAdmin, s.listWebhooks)
	v1(http.MethodGet, "/webhooks/:id", auth.ScopeWebhooksAdmin, s.getWebhook)
	v1(http.MethodPatch, "/webhooks/:id", auth.ScopeWebhooksAdmin, s.patchWebhook)
	v1(http.MethodDelete, "/webhooks/:id", auth.ScopeWebhooksAdmin, s.deleteWebhook)
	v1(http.MethodPost, "/webhooks/:id/test", auth.ScopeWebhooksAdmin, s.testWebhook)
	v1(http.MethodGet, "/webhooks/:id/deliveries", auth.ScopeWebhooksAdmin, s.listDeliveries)
	v1(http.MethodPost, "/webhooks/:id/deliveries/:event_id/retry", auth.ScopeWebhooksAdmin, s.retryDelivery)
	return e
}

// call bounds one service call by Options.Timeout.
func (s *server) call(c echo.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request().Context(), s.o.Timeout)
}
