package handlers

import (
	"github.com/amigate/amigate/internal/agent"

	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/amigate/amigate"
)

func TestDial(t *testing.T) {
	f := newFixture(t, Options{})
	var got amigate.DialRequest
	f.calls.DialFn = func(_ context.Context, r amigate.DialRequest) (amigate.Call, error) {
		got = r
		return amigate.Call{ID: "c-1", State: amigate.StateDialing, Agent: &amigate.Agent{Extension: r.From}, Channels: []amigate.Channel{}}, nil
	}
	rec := f.do(t, request{Method: "POST", Path: "/v1/calls", Token: token(t, "calls:write", ""),
		Header: map[string]string{"Idempotency-Key": "crm-req-42"},
		Body: `{"from":"101","to":"+7 (900) 123-45-67","caller_id":"Deal 42","timeout_seconds":30,
			"variables":{"CRM_DEAL_ID":"42"},"metadata":{"deal":42}}`})
	if rec.Code != http.StatusAccepted {
		t.Fatalf("got %d, want 202; body %s", rec.Code, rec.Body)
	}
	if loc := rec.Header().Get("Location"); loc != "/v1/calls/c-1" {
		t.Fatalf("Location %q, want /v1/calls/c-1", loc)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	want := amigate.DialRequest{From: "101", To: "+7 (900) 123-45-67", CallerID: "Deal 42", Timeout: 30 * time.Second,
		Variables: map[string]string{"CRM_DEAL_ID": "42"}, Metadata: json.RawMessage(`{"deal":42}`), IdempotencyKey: "crm-req-42", Caller: "crm"}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("DialRequest (-want +got):\n%s", d)
	}
	var call amigate.Call
	if err := json.Unmarshal(rec.Body.Bytes(), &call); err != nil || call.ID != "c-1" || call.State != "dialing" {
		t.Fatalf("body %s: %v", rec.Body, err)
	}
}

// TestValidation covers bind and validate: each bad body is refused before
// the service is called, with the status and fields api.md fixes.
func TestValidation(t *testing.T) {
	const good = `"from":"101","to":"79001234567"`
	tests := []struct {
		name       string
		path, body string
		header     map[string]string
		wantStatus int
		wantFields []ProblemField
	}{
		{"unknown field", "/v1/calls", `{` + good + `,"context":"admin"}`, nil, 400,
			[]ProblemField{{Field: "context", Message: "unknown field"}}},
		{"malformed", "/v1/calls", `{"from":"101",`, nil, 400, nil},
		{"syntax error", "/v1/calls", `{"from" "101"}`, nil, 400, nil},
		{"trailing data", "/v1/calls", `{` + good + `}{}`, nil, 400, nil},
		{"empty body", "/v1/calls", ``, nil, 400, nil},
		{"array body", "/v1/calls", `[]`, nil, 400, nil},
		{"wrong type", "/v1/calls", `{` + good + `,"timeout_seconds":"30"}`, nil, 422,
			[]ProblemField{{Field: "timeout_seconds", Message: "must be an integer"}}},
		{"missing fields", "/v1/calls", `{}`, nil, 422,
			[]ProblemField{{Field: "from", Message: "is required"}, {Field: "to", Message: "is required"}}},
		{"extension with a slash", "/v1/calls", `{"from":"101/x","to":"79001234567"}`, nil, 422,
			[]ProblemField{{Field: "from", Message: ruleMessages["ext"]}}},
		{"letters in number", "/v1/calls", `{"from":"101","to":"7900abc"}`, nil, 422,
			[]ProblemField{{Field: "to", Message: ruleMessages["phone"]}}},
		{"plus inside number", "/v1/calls", `{"from":"101","to":"79+001"}`, nil, 422,
			[]ProblemField{{Field: "to", Message: ruleMessages["phone"]}}},
		{"CRLF in number", "/v1/calls", `{"from":"101","to":"7900\r\nAction: Command"}`, nil, 422,
			[]ProblemField{{Field: "to", Message: ruleMessages["phone"]}}},
		{"function as variable", "/v1/calls", `{` + good + `,"variables":{"FILE(/etc/asterisk/x)":"y"}}`, nil, 422,
			[]ProblemField{{Field: "variables[FILE(/etc/asterisk/x)]", Message: ruleMessages["varname"]}}},
		{"inherited variable", "/v1/calls", `{` + good + `,"variables":{"__MONITOR_EXEC":"/bin/sh"}}`, nil, 422,
			[]ProblemField{{Field: "variables[__MONITOR_EXEC]", Message: ruleMessages["varname"]}}},
		{"reserved variable", "/v1/calls", `{` + good + `,"variables":{"amigate_call_id":"y"}}`, nil, 422,
			[]ProblemField{{Field: "variables[amigate_call_id]", Message: ruleMessages["varname"]}}},
		{"transfer to a context", "/v1/calls/c1/transfer", `{"to":"102@admin"}`, nil, 422,
			[]ProblemField{{Field: "to", Message: ruleMessages["ext|phone"]}}},
		{"transfer to a number with a letter", "/v1/calls/c1/transfer", `{"to":"+7 (900) 123-45-6x"}`, nil, 422,
			[]ProblemField{{Field: "to", Message: ruleMessages["ext|phone"]}}},
		{"webhook url", "/v1/webhooks", `{"url":"ftp://x"}`, nil, 422,
			[]ProblemField{{Field: "url", Message: ruleMessages["http_url"]}}},
		{"webhook event", "/v1/webhooks", `{"url":"https://crm.example/h","events":["call.ringing","call.exploded"]}`, nil, 422,
			[]ProblemField{{Field: "events[1]", Message: "must be one of: *, call.ringing, call.answered, call.transferred, call.transfer_failed, call.ended, agent.state_changed, agent.queue_joined, agent.queue_left, agent.paused, agent.unpaused, campaign.started, campaign.contact_completed, campaign.completed"}}},
		{"webhook secret", "/v1/webhooks", `{"url":"https://crm.example/h","secret":"hunter2"}`, nil, 422,
			[]ProblemField{{Field: "secret", Message: "must start with whsec_"}}},
		{"pause without paused", "/v1/queues/support/pause", `{"interface":"PJSIP/101"}`, nil, 422,
			[]ProblemField{{Field: "paused", Message: "is required"}}},
	}
	f := newFixture(t, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.do(t, request{Method: "POST", Path: tt.path, Body: tt.body, Token: token(t, allScopes, ""), Header: tt.header})
			if rec.Code != tt.wantStatus {
				t.Fatalf("got %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			p := problemOf(t, rec)
			if d := cmp.Diff(tt.wantFields, p.Errors); d != "" {
				t.Fatalf("errors (-want +got):\n%s", d)
			}
		})
	}
}

func TestListCalls(t *testing.T) {
	calls := []amigate.Call{{ID: "a"}, {ID: "b"}}
	day := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		query, ext string
		next       string
		wantQuery  amigate.CallQuery
		wantStatus int
		wantLink   string
		badField   string
	}{
		{name: "all", wantQuery: amigate.CallQuery{}, wantStatus: 200},
		{name: "every filter passed on",
			query:      "?state=ended&extension=103&since=2026-11-30T00:00:00Z&until=2026-12-01T03:00:00%2B03:00&direction=inbound&disposition=no_answer&queue=support&customer=%2B7+(900)+123-45-67&campaign=cmp_1&limit=500&cursor=abc",
			wantQuery:  amigate.CallQuery{CallFilter: amigate.CallFilter{State: "ended", Extension: "103"}, Since: day, Until: day.Add(24 * time.Hour), Direction: "inbound", Disposition: "no_answer", Queue: "support", Customer: "+7 (900) 123-45-67", Campaign: "cmp_1", Limit: 500, Cursor: "abc"},
			wantStatus: 200},
		{name: "ext claim scopes", ext: "101", query: "?extension=103", wantQuery: amigate.CallQuery{CallFilter: amigate.CallFilter{Extension: "103"}, Scope: "101"}, wantStatus: 200},
		{name: "next page linked", query: "?queue=support&limit=2", next: "c2", wantQuery: amigate.CallQuery{Queue: "support", Limit: 2}, wantStatus: 200,
			wantLink: `</v1/calls?cursor=c2&limit=2&queue=support>; rel="next"`},
		{name: "bad state", query: "?state=exploded", wantStatus: 422, badField: "state"},
		{name: "bad since", query: "?since=yesterday", wantStatus: 422, badField: "since"},
		{name: "bad direction", query: "?direction=sideways", wantStatus: 422, badField: "direction"},
		{name: "limit too big", query: "?limit=1001", wantStatus: 422, badField: "limit"},
		{name: "limit zero", query: "?limit=0", wantStatus: 422, badField: "limit"},
		{name: "limit not a number", query: "?limit=ten", wantStatus: 422, badField: "limit"},
		{name: "customer not a number", query: "?customer=ivan", wantStatus: 422, badField: "customer"},
		{name: "cursor with a space", query: "?cursor=a%20b", wantStatus: 422, badField: "cursor"},
		{name: "queue with a CR", query: "?queue=a%0Db", wantStatus: 422, badField: "queue"},
	}
	f := newFixture(t, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotQuery *amigate.CallQuery
			f.calls.ListFn = func(_ context.Context, q amigate.CallQuery) (amigate.CallPage, error) {
				gotQuery = &q
				return amigate.CallPage{Calls: append([]amigate.Call(nil), calls...), Next: tt.next}, nil
			}
			rec := f.do(t, request{Method: "GET", Path: "/v1/calls" + tt.query, Token: token(t, "calls:read", tt.ext)})
			if rec.Code != tt.wantStatus {
				t.Fatalf("got %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if rec.Code != 200 {
				if gotQuery != nil {
					t.Errorf("a refused query reached the service: %+v", gotQuery)
				}
				if !strings.Contains(rec.Body.String(), `"field":"`+tt.badField+`"`) {
					t.Errorf("problem does not name %s: %s", tt.badField, rec.Body)
				}
				return
			}
			if d := cmp.Diff(tt.wantQuery, *gotQuery); d != "" {
				t.Fatalf("query (-want +got):\n%s", d)
			}
			if got := rec.Header().Get("Link"); got != tt.wantLink {
				t.Errorf("Link = %q, want %q", got, tt.wantLink)
			}
			var got []amigate.Call
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(calls) {
				t.Errorf("got %d calls, want %d", len(got), len(calls))
			}
		})
	}
}

// TestExtClaim checks that a token tied to an extension acts only for it,
// and that a refused action never reaches the service.
func TestExtClaim(t *testing.T) {
	mine := amigate.Call{ID: "mine", State: "answered", Agent: &amigate.Agent{Extension: "101"}}
	theirs := amigate.Call{ID: "theirs", State: "answered", Agent: &amigate.Agent{Extension: "102"}}
	f := newFixture(t, Options{Devices: agent.MustNew([]string{"PJSIP/{ext}", "Local/{ext}@from-queue/n"}, "")})
	var acted []string
	f.calls.GetFn = func(_ context.Context, id string) (amigate.Call, error) {
		switch id {
		case "mine":
			return mine, nil
		case "theirs":
			return theirs, nil
		}
		return amigate.Call{}, amigate.ErrNotFound
	}
	f.calls.DialFn = func(_ context.Context, r amigate.DialRequest) (amigate.Call, error) {
		acted = append(acted, "dial "+r.From)
		return amigate.Call{ID: "new"}, nil
	}
	f.calls.HangupFn = func(_ context.Context, id string) (amigate.Call, error) {
		acted = append(acted, "hangup "+id)
		return amigate.Call{ID: id}, nil
	}
	f.calls.TransferFn = func(_ context.Context, id string, r amigate.TransferRequest) (amigate.Call, error) {
		acted = append(acted, "transfer "+id+" "+r.Mode)
		return amigate.Call{ID: id}, nil
	}
	f.queues.PauseFn = func(_ context.Context, q string, r amigate.QueuePauseRequest) error {
		acted = append(acted, "pause "+r.Interface)
		return nil
	}
	tests := []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/v1/calls", `{"from":"101","to":"79001234567"}`, 202},
		{"POST", "/v1/calls", `{"from":"102","to":"79001234567"}`, 403},
		{"GET", "/v1/calls/mine", ``, 200},
		{"GET", "/v1/calls/theirs", ``, 403},
		{"GET", "/v1/calls/nobody", ``, 404},
		{"POST", "/v1/calls/mine/hangup", ``, 202},
		{"POST", "/v1/calls/theirs/hangup", ``, 403},
		{"POST", "/v1/calls/mine/transfer", `{"to":"103"}`, 202},
		{"POST", "/v1/calls/theirs/transfer", `{"to":"103"}`, 403},
		{"POST", "/v1/queues/support/pause", `{"interface":"pjsip/101","paused":true}`, 204},
		{"POST", "/v1/queues/support/pause", `{"interface":"PJSIP/102","paused":true}`, 403},
		{"POST", "/v1/queues/fpq/pause", `{"interface":"Local/101@from-queue/n","paused":true}`, 204},
		{"POST", "/v1/queues/fpq/pause", `{"interface":"Local/102@from-queue/n","paused":true}`, 403},
		{"POST", "/v1/queues/fpq/pause", `{"interface":"Local/101@phones/n","paused":true}`, 403},
		{"GET", "/v1/webhooks", ``, 403},
		{"POST", "/v1/webhooks", `{"url":"https://crm.example/h"}`, 403},
	}
	tok := token(t, allScopes, "101")
	for _, tt := range tests {
		rec := f.do(t, request{Method: tt.method, Path: tt.path, Body: tt.body, Token: tok})
		if rec.Code != tt.want {
			t.Errorf("%s %s %s: got %d, want %d; body %s", tt.method, tt.path, tt.body, rec.Code, tt.want, rec.Body)
		}
		if rec.Code == 403 {
			if p := problemOf(t, rec); !strings.Contains(p.Detail, "101") {
				t.Errorf("%s %s: detail %q does not name the token's extension", tt.method, tt.path, p.Detail)
			}
		}
	}
	want := []string{"dial 101", "hangup mine", "transfer mine ", "pause pjsip/101", "pause Local/101@from-queue/n"}
	if d := cmp.Diff(want, acted); d != "" {
		t.Fatalf("service calls (-want +got):\n%s", d)
	}
}

// TestActionsWithoutExt checks the plain paths: the id goes to the service
// as is, with no lookup first.
func TestActionsWithoutExt(t *testing.T) {
	f := newFixture(t, Options{})
	var got []string
	f.calls.HangupFn = func(_ context.Context, id string) (amigate.Call, error) {
		got = append(got, "hangup "+id)
		return amigate.Call{ID: id, State: "ended"}, nil
	}
	f.calls.TransferFn = func(_ context.Context, id string, r amigate.TransferRequest) (amigate.Call, error) {
		got = append(got, "transfer "+id+" "+r.To+" "+r.Mode)
		return amigate.Call{ID: id}, nil
	}
	tok := token(t, "calls:write", "")
	for _, r := range []request{
		{Method: "POST", Path: "/v1/calls/1700000000.12/hangup", Token: tok},
		{Method: "POST", Path: "/v1/calls/c-2/transfer", Body: `{"to":"102","mode":"attended"}`, Token: tok},
		// An outside number goes as typed: call control reads it.
		{Method: "POST", Path: "/v1/calls/c-3/transfer", Body: `{"to":"+7 (900) 123-45-67"}`, Token: tok},
		{Method: "POST", Path: "/v1/calls/c%0Ax/hangup", Token: tok}, // never reaches the service
	} {
		f.do(t, r)
	}
	want := []string{"hangup 1700000000.12", "transfer c-2 102 attended", "transfer c-3 +7 (900) 123-45-67 "}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("service calls (-want +got):\n%s", d)
	}
}
