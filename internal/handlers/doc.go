// Package handlers is the HTTP API of amigate: echo routes that bind and
// validate a request, make one call to a service, and encode the answer.
// Errors become application/problem+json in one place (the error handler),
// so every route answers failures the same way. The swag annotations here
// generate api/openapi.yaml (go generate ./api).
//
//	@title						amigate API
//	@version					1.0
//	@description				Click-to-call, transfer, hangup, queue status and signed call-event webhooks for an Asterisk PBX, over its Manager Interface (AMI).
//	@description				Every /v1 route takes `Authorization: Bearer <JWT>`; errors are application/problem+json (RFC 9457).
//	@servers.url				/
//	@tag.name					calls
//	@tag.description			Click-to-call, transfer, hangup, and the live call list and event stream.
//	@tag.name					queues
//	@tag.description			Queue summaries, members and waiting callers.
//	@tag.name					agents
//	@tag.description			Each agent's devices, state, calls and queues; pausing an agent in its queues.
//	@tag.name					campaigns
//	@tag.description			Outbound campaigns: contacts dialled and connected to a queue or an agent.
//	@tag.name					webhooks
//	@tag.description			Subscriptions to signed call-event webhooks and their deliveries.
//	@tag.name					operations
//	@tag.description			Health, readiness and the spec (no token).
//
//	@securityDefinitions.bearerauth	BearerAuth
//	@bearerFormat					JWT
//	@description					A JWT signed with the configured key: paste the bare token (for example from `amigate token --sub me --scope "calls:read calls:write queues:read"`), without "Bearer ".
package handlers
