package specgen

import (
	"net/http"
	"strconv"
	"strings"
)

// problemTypeBase is handlers.ProblemTypeBase (handlers embeds this spec, so
// it cannot be imported here); TestSpecProblemExamples in handlers holds
// every example to the kinds the handlers answer.
const problemTypeBase = "https://github.com/amigate/amigate/blob/main/docs/problems.md#"

// problem is an example problem body of one kind.
func problem(status int, kind, detail string, fields ...map[string]any) map[string]any {
	p := map[string]any{
		"type":       problemTypeBase + kind,
		"title":      http.StatusText(status),
		"status":     status,
		"detail":     detail,
		"request_id": "3f2a9c0e5b7d41e8a6c4b2d0e9f8a7b6",
	}
	if len(fields) > 0 {
		l := make([]any, len(fields))
		for i, f := range fields {
			l[i] = f
		}
		p["errors"] = l
	}
	return p
}

// statusExamples is the usual problem of each status.
var statusExamples = map[int]map[string]any{
	400: problem(400, "malformed-request", `unknown field "context"`),
	401: problem(401, "token-expired", "the token has expired"),
	403: problem(403, "insufficient-scope", "the token lacks the scope calls:write"),
	404: problem(404, "not-found", `call "01JD3Q8Y0M9T7ZKX5R2W4N6B8C" not found`),
	409: problem(409, "conflict", "the request conflicts with the resource's state"),
	413: problem(413, "body-too-large", "request body larger than 65536 bytes"),
	415: problem(415, "unsupported-media-type", "the request body must be application/json"),
	422: problem(422, "invalid-request", "the request has invalid fields",
		map[string]any{"field": "from", "message": "is required"}),
	429: problem(429, "too-many-streams", "this token's subject has too many open event streams"),
	502: problem(502, "asterisk-refused", "asterisk refused Originate: Extension does not exist."),
	503: problem(503, "asterisk-unavailable", "asterisk is not connected; retry later"),
	504: problem(504, "asterisk-timeout", "asterisk did not answer in time"),
}

// opExamples are the problems of one operation that differ from the usual
// ones of their status: "METHOD path status".
var opExamples = map[string]map[string]any{
	"post /v1/calls 409": problem(409, "idempotency-key-reused", "the Idempotency-Key was used with another request"),
	"post /v1/calls 422": problem(422, "dial-denied", "the request has invalid fields",
		map[string]any{"field": "to", "message": "is a premium-rate number, a type the dial rules deny (premium_rate)", "rule": "type"}),
	"post /v1/calls/{id}/transfer 409":     problem(409, "not-answered", `call "01JD3Q8Y0M9T7ZKX5R2W4N6B8C" is ringing, not answered`),
	"post /v1/calls/{id}/hangup 409":       problem(409, "call-ended", `call "01JD3Q8Y0M9T7ZKX5R2W4N6B8C" has ended`),
	"delete /v1/webhooks/{id} 409":         problem(409, "configured-subscription", "webhook subscription cfg_1 comes from configuration: change it there"),
	"get /readyz 503":                      problem(503, "not-ready", "not ready: asterisk: authentication failed"),
	"get /v1/events 503":                   problem(503, "too-many-streams", "too many open event streams; retry later"),
	"post /v1/queues/{name}/pause 404":     problem(404, "not-found", `queue "support" has no member "PJSIP/105"`),
	"post /v1/agents/{ext}/pause 404":      problem(404, "not-found", `agent 105 is in no queue`),
	"post /v1/agents/{ext}/unpause 404":    problem(404, "not-found", `agent 105 is in no queue`),
	"get /v1/webhooks/{id} 404":            problem(404, "not-found", `webhook subscription "wh_1" not found`),
	"delete /v1/webhooks/{id} 404":         problem(404, "not-found", `webhook subscription "wh_1" not found`),
	"get /v1/webhooks/{id}/deliveries 404": problem(404, "not-found", `webhook subscription "wh_1" not found`),
	"get /v1/webhooks/{id}/deliveries 422": problem(422, "invalid-request", "the request has invalid fields",
		map[string]any{"field": "state", "message": "must be one of: queued, held, failing, delivered, dead"}),
	"patch /v1/webhooks/{id} 404": problem(404, "not-found", `webhook subscription "wh_1" not found`),
	"patch /v1/webhooks/{id} 409": problem(409, "configured-subscription", "webhook subscription cfg_1 comes from configuration: change it there"),
	"patch /v1/webhooks/{id} 422": problem(422, "invalid-request", "the request has invalid fields",
		map[string]any{"field": "url", "message": `host "crm.internal" resolves to a private address; set AMIGATE_WEBHOOK_ALLOW_PRIVATE=true to allow it`}),
	"post /v1/webhooks/{id}/test 404": problem(404, "not-found", `webhook subscription "wh_1" not found`),
	"post /v1/webhooks/{id}/test 409": problem(409, "configured-subscription", "webhook subscription cfg_1 comes from another instance's configuration: its secret is not known here"),

	"post /v1/campaigns 503":               noDialer,
	"get /v1/campaigns 503":                noDialer,
	"get /v1/campaigns/{id} 503":           noDialer,
	"delete /v1/campaigns/{id} 503":        noDialer,
	"get /v1/campaigns/{id}/contacts 503":  noDialer,
	"post /v1/campaigns/{id}/contacts 503": noDialer,
	"post /v1/campaigns/{id}/pause 503":    noDialer,
	"post /v1/campaigns/{id}/resume 503":   noDialer,
	"post /v1/campaigns/{id}/cancel 503":   noDialer,
}

// noDialer is the campaign routes' 503: instances sharing one NATS forward
// them to the one that dials, which stopped.
var noDialer = problem(503, "campaigns-unavailable", "the instance that runs the campaigns did not answer; retry")

// fixResponses gives every error response one problem+json content with a
// realistic example of its kind, and success responses JSON only (swag
// lists every produced type on every response).
func fixResponses(doc map[string]any) {
	paths, _ := doc["paths"].(map[string]any)
	for path, item := range paths {
		ops, _ := item.(map[string]any)
		for method, op := range ops {
			o, _ := op.(map[string]any)
			resps, _ := o["responses"].(map[string]any)
			for code, r := range resps {
				resp, _ := r.(map[string]any)
				content, _ := resp["content"].(map[string]any)
				if content == nil {
					continue
				}
				status, _ := strconv.Atoi(code)
				if status < 400 {
					if len(content) > 1 {
						delete(content, "application/problem+json")
					}
					continue
				}
				media, _ := content["application/problem+json"].(map[string]any)
				if media == nil {
					media, _ = content["application/json"].(map[string]any)
				}
				if media == nil {
					continue
				}
				ex := opExamples[strings.ToLower(method)+" "+path+" "+code]
				if ex == nil {
					ex = statusExamples[status]
				}
				if ex != nil {
					media["example"] = ex
				}
				resp["content"] = map[string]any{"application/problem+json": media}
			}
		}
	}
}
