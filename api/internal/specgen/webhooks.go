package specgen

import (
	"fmt"
	"strings"
)

// callEventSchema is the schema swag derives from amigate.CallEvent: the
// body of every webhook, and of each event of GET /v1/events.
const callEventSchema = "amigate.CallEvent"

// webhookEvents says when each event type is sent and which fields it
// always carries beyond the envelope's (as internal/calls and
// internal/presence fill them). The types themselves come from
// the CallEvent schema's enum (the Go type's), so that a new type without
// a line here stops generation instead of going undocumented.
var webhookEvents = map[string]struct {
	when     string
	required []string
}{
	"call.ringing":               {"An agent's device starts ringing for a call (inbound from a trunk or a queue, internal, or the agent leg of a click-to-call): one event per agent rung (in `agent`), so a ring-all queue of 3 agents gives 3. The CRM opens the customer's card.", []string{"call"}},
	"call.answered":              {"The customer and an agent are connected (bridged).", []string{"call"}},
	"call.transferred":           {"The customer was moved to another agent or number, blind or attended.", []string{"call", "transfer"}},
	"call.transfer_failed":       {"An attended transfer the API asked for did not start (`reason`: `no_transfer_feature` or `aborted`); the call is answered again.", []string{"call", "transfer", "reason"}},
	"call.ended":                 {"The last channel of the call hung up: `call.disposition`, durations and hangup cause are final.", []string{"call"}},
	"agent.state_changed":        {"An agent's state changed (`previous_state` → `presence.state`). Sent only to subscriptions that name it.", []string{"agent", "presence"}},
	"agent.queue_joined":         {"An agent became a member of `queue`. Sent only to subscriptions that name it.", []string{"agent", "presence", "queue"}},
	"agent.queue_left":           {"An agent stopped being a member of `queue`. Sent only to subscriptions that name it.", []string{"agent", "presence", "queue"}},
	"agent.paused":               {"An agent was paused in `queue`, with the pause `reason` if any. Sent only to subscriptions that name it.", []string{"agent", "presence", "queue"}},
	"agent.unpaused":             {"An agent was unpaused in `queue`. Sent only to subscriptions that name it.", []string{"agent", "presence", "queue"}},
	"campaign.started":           {"An outbound campaign is about to dial its first attempt (`campaign`, with its `counts`). Sent once, only to subscriptions that name it.", []string{"campaign"}},
	"campaign.contact_completed": {"A campaign's contact has its final outcome: `contact` with its `outcome`, `attempts` and last `call_id`. Sent once per contact, only to subscriptions that name it.", []string{"campaign", "contact"}},
	"campaign.completed":         {"Every contact of a campaign has its final outcome (`campaign`, with its `counts`); not sent for a canceled campaign. Sent once per completion, only to subscriptions that name it.", []string{"campaign"}},
}

// webhookTag groups the webhooks; "webhooks" is the subscriptions API.
const webhookTag = "webhook-events"

// envelope are the fields every event carries.
var envelope = []string{"id", "type", "occurred_at", "sequence"}

// addWebhooks describes the webhooks the service sends as OpenAPI 3.1's
// top-level webhooks, one per event type of the CallEvent schema: signed
// POSTs (Standard Webhooks) whose body is a CallEvent of that type.
func addWebhooks(doc map[string]any) error {
	schemas, _ := doc["components"].(map[string]any)["schemas"].(map[string]any)
	ev, _ := schemas[callEventSchema].(map[string]any)
	props, _ := ev["properties"].(map[string]any)
	typ, _ := props["type"].(map[string]any)
	types, _ := typ["enum"].([]any)
	if len(types) == 0 {
		return fmt.Errorf("specgen: no event types in the %s schema", callEventSchema)
	}
	hooks := map[string]any{}
	for _, t := range types {
		name := fmt.Sprint(t)
		info, ok := webhookEvents[name]
		if !ok {
			return fmt.Errorf("specgen: event type %q has no line in webhookEvents (api/internal/specgen/webhooks.go): say when it is sent", name)
		}
		for _, f := range info.required {
			if _, ok := props[f]; !ok {
				return fmt.Errorf("specgen: %s requires %q, which %s has not", name, f, callEventSchema)
			}
		}
		hooks[name] = map[string]any{"post": map[string]any{
			"operationId": "webhook-" + strings.ReplaceAll(name, ".", "-"),
			"summary":     name,
			"description": info.when + " The body is the event as GET /v1/events streams it; `id` is stable across retries, `sequence` orders the events of one call (or agent).",
			"tags":        []any{webhookTag},
			"security":    []any{},
			"parameters": []any{
				header("webhook-id", "The event's id (`evt_…`), the same on every retry: deduplicate on it.", "evt_01JD3Q8Y0M9T7ZKX5R2W4N6B8C"),
				header("webhook-timestamp", "Unix seconds of this attempt; reject it when more than 5 minutes off.", "1764669600"),
				header("webhook-signature", "`v1,` and the base64 HMAC-SHA256, keyed with the subscription's secret (base64 after `whsec_`), of `<webhook-id>.<webhook-timestamp>.<body>`; several space-separated during a secret rotation.", "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="),
			},
			"requestBody": map[string]any{
				"required": true,
				"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{
					"allOf": []any{
						map[string]any{"$ref": "#/components/schemas/" + callEventSchema},
						map[string]any{
							"type":       "object",
							"required":   toAny(append(append([]string{}, envelope...), info.required...)),
							"properties": map[string]any{"type": map[string]any{"const": name}},
						},
					},
				}}},
			},
			"responses": map[string]any{
				"2XX": map[string]any{"description": "Delivered. Anything else, a timeout or a connection error is retried with backoff for up to 24 hours."},
				"410": map[string]any{"description": "Gone: the subscription is disabled and nothing more is sent to it."},
			},
		}}
	}
	doc["webhooks"] = hooks
	tags, _ := doc["tags"].([]any)
	doc["tags"] = append(tags, map[string]any{"name": webhookTag, "description": "What the service POSTs to each subscription (POST /v1/webhooks, AMIGATE_WEBHOOK_URL), signed as Standard Webhooks specifies."})
	return nil
}

func header(name, desc, example string) map[string]any {
	return map[string]any{"name": name, "in": "header", "required": true, "description": desc,
		"schema": map[string]any{"type": "string"}, "example": example}
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
