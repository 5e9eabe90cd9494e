package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/amigate/amigate"
)

// fakeCampaigns records what the handlers asked and answers from its
// fields.
type fakeCampaigns struct {
	mu      sync.Mutex
	created []amigate.CampaignRequest
	queries []amigate.ContactQuery
	calls   []string
	err     error
	page    amigate.ContactPage
}

var _ Campaigns = (*fakeCampaigns)(nil)

func (f *fakeCampaigns) note(s string) (amigate.Campaign, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
	return amigate.Campaign{ID: "c1", State: amigate.CampaignRunning}, f.err
}

func (f *fakeCampaigns) Create(_ context.Context, r amigate.CampaignRequest) (amigate.Campaign, error) {
	f.mu.Lock()
	f.created = append(f.created, r)
	f.mu.Unlock()
	return f.note("create")
}
func (f *fakeCampaigns) AddContacts(_ context.Context, id string, in []amigate.CampaignContact) (amigate.Campaign, error) {
	return f.note(fmt.Sprintf("add %s %d", id, len(in)))
}
func (f *fakeCampaigns) Get(_ context.Context, id string) (amigate.Campaign, error) {
	return f.note("get " + id)
}
func (f *fakeCampaigns) List(context.Context) ([]amigate.Campaign, error) {
	c, err := f.note("list")
	return []amigate.Campaign{c}, err
}
func (f *fakeCampaigns) Contacts(_ context.Context, id string, q amigate.ContactQuery) (amigate.ContactPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries = append(f.queries, q)
	return f.page, f.err
}
func (f *fakeCampaigns) Pause(_ context.Context, id string) (amigate.Campaign, error) {
	return f.note("pause " + id)
}
func (f *fakeCampaigns) Resume(_ context.Context, id string) (amigate.Campaign, error) {
	return f.note("resume " + id)
}
func (f *fakeCampaigns) Cancel(_ context.Context, id string) (amigate.Campaign, error) {
	return f.note("cancel " + id)
}
func (f *fakeCampaigns) Delete(_ context.Context, id string) error {
	_, err := f.note("delete " + id)
	return err
}

func TestCreateCampaign(t *testing.T) {
	f := newFixture(t, Options{})
	body := `{"name":"Reminders","mode":"progressive","contacts":[{"number":"+79001234567","name":"Ann","metadata":{"deal":1}}],
		"target":{"queue":"support"},"pacing":{"max_concurrent":4,"per_minute":120},
		"retry":{"busy":{"attempts":2,"delay_seconds":300},"no_answer":{"attempts":2,"delay_seconds":600}},"ring_timeout_seconds":25}`
	rec := f.do(t, request{Method: http.MethodPost, Path: "/v1/campaigns", Body: body, Token: token(t, "campaigns:write", "")})
	if rec.Code != http.StatusCreated || rec.Header().Get("Location") != "/v1/campaigns/c1" {
		t.Fatalf("got %d %q: %s", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	r := f.cmps.created[0]
	if r.Name != "Reminders" || r.Contacts[0].Number != "+79001234567" || r.Target.Queue != "support" || r.Pacing.PerMinute != 120 ||
		r.Retry.NoAnswer.DelaySeconds != 600 || r.RingTimeout.Seconds() != 25 || r.Caller != "crm" || string(r.Contacts[0].Metadata) != `{"deal":1}` {
		t.Fatalf("request %+v", r)
	}

	for _, tt := range []struct {
		name, scope, body string
		want              int
	}{
		{"read scope", "campaigns:read", body, http.StatusForbidden},
		{"unknown field", "campaigns:write", `{"name":"x","contacts":[],"target":{"context":"evil"}}`, http.StatusBadRequest},
		{"no name", "campaigns:write", `{"contacts":[{"number":"1"}],"target":{"queue":"q"}}`, http.StatusUnprocessableEntity},
	} {
		rec := f.do(t, request{Method: http.MethodPost, Path: "/v1/campaigns", Body: tt.body, Token: token(t, tt.scope, "")})
		if rec.Code != tt.want {
			t.Errorf("%s: got %d, want %d: %s", tt.name, rec.Code, tt.want, rec.Body)
		}
	}
}

// A campaign's contacts do not fit the 64 KiB of other bodies.
func TestCampaignBodyLimit(t *testing.T) {
	f := newFixture(t, Options{CampaignBodyLimit: 1 << 20})
	contacts := make([]amigate.CampaignContact, 5000)
	for i := range contacts {
		contacts[i].Number = fmt.Sprintf("7900%07d", i)
	}
	b, _ := json.Marshal(map[string]any{"name": "big", "contacts": contacts, "target": map[string]string{"queue": "q"}})
	if len(b) < 64<<10 {
		t.Fatalf("body of %d bytes is no test", len(b))
	}
	rec := f.do(t, request{Method: http.MethodPost, Path: "/v1/campaigns", Body: string(b), Token: token(t, "campaigns:write", "")})
	if rec.Code != http.StatusCreated || len(f.cmps.created[0].Contacts) != 5000 {
		t.Fatalf("got %d: %.200s", rec.Code, rec.Body)
	}
	big := `{"name":"x","contacts":[{"number":"` + strings.Repeat("1", 1<<20) + `"}]}`
	if rec := f.do(t, request{Method: http.MethodPost, Path: "/v1/campaigns", Body: big, Token: token(t, "campaigns:write", "")}); rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("over the limit: %d", rec.Code)
	}
	if rec := f.do(t, request{Method: http.MethodPost, Path: "/v1/calls", Body: string(b), Token: token(t, "calls:write", "")}); rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("other routes keep 64 KiB: %d", rec.Code)
	}
}

func TestCampaignActions(t *testing.T) {
	f := newFixture(t, Options{})
	w, r := token(t, "campaigns:write", ""), token(t, "campaigns:read", "")
	for _, tt := range []struct {
		method, path, tok string
		want              int
	}{
		{http.MethodGet, "/v1/campaigns", r, 200},
		{http.MethodGet, "/v1/campaigns/c1", r, 200},
		{http.MethodPost, "/v1/campaigns/c1/pause", w, 200},
		{http.MethodPost, "/v1/campaigns/c1/resume", w, 200},
		{http.MethodPost, "/v1/campaigns/c1/cancel", w, 200},
		{http.MethodDelete, "/v1/campaigns/c1", w, 204},
		{http.MethodPost, "/v1/campaigns/c1/pause", r, 403},
		{http.MethodDelete, "/v1/campaigns/c1", r, 403},
	} {
		if rec := f.do(t, request{Method: tt.method, Path: tt.path, Token: tt.tok}); rec.Code != tt.want {
			t.Errorf("%s %s: got %d, want %d: %s", tt.method, tt.path, rec.Code, tt.want, rec.Body)
		}
	}
	want := "list,get c1,pause c1,resume c1,cancel c1,delete c1"
	if got := strings.Join(f.cmps.calls, ","); got != want {
		t.Errorf("calls %s, want %s", got, want)
	}
	f.cmps.err = fmt.Errorf("campaign is canceled: %w", amigate.ErrConflict)
	if rec := f.do(t, request{Method: http.MethodPost, Path: "/v1/campaigns/c1/resume", Token: w}); rec.Code != http.StatusConflict {
		t.Errorf("conflict: got %d", rec.Code)
	}
}

func TestListContacts(t *testing.T) {
	f := newFixture(t, Options{})
	f.cmps.page = amigate.ContactPage{Contacts: []amigate.CampaignContactStatus{{Index: 3, Number: "1", State: "done", Attempts: []amigate.CampaignAttempt{}}}, Next: 4}
	rec := f.do(t, request{Method: http.MethodGet, Path: "/v1/campaigns/c1/contacts?state=done&outcome=busy&cursor=3&limit=1", Token: token(t, "campaigns:read", "")})
	if rec.Code != 200 || !strings.Contains(rec.Header().Get("Link"), "cursor=4") {
		t.Fatalf("got %d, Link %q: %s", rec.Code, rec.Header().Get("Link"), rec.Body)
	}
	if q := f.cmps.queries[0]; q != (amigate.ContactQuery{State: "done", Outcome: "busy", Cursor: 3, Limit: 1}) {
		t.Fatalf("query %+v", q)
	}
	if rec := f.do(t, request{Method: http.MethodGet, Path: "/v1/campaigns/c1/contacts?state=weird", Token: token(t, "campaigns:read", "")}); rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad state: %d", rec.Code)
	}
}
