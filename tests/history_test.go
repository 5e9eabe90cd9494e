package tests

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/amigate/amigate/internal/pbxsim"
)

// list is GET path on a, which must answer 200: the calls and the next
// page's path from the Link header ("" on the last page).
func (a *api) list(path string) ([]call, string) {
	a.t.Helper()
	r := a.do(http.MethodGet, path, nil)
	if r.Status != http.StatusOK {
		a.t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	var cs []call
	if err := json.Unmarshal(r.Body, &cs); err != nil {
		a.t.Fatalf("GET %s: %v in %s", path, err, r.Body)
	}
	next := ""
	if m := regexp.MustCompile(`^<([^>]+)>; rel="next"$`).FindStringSubmatch(r.Header.Get("Link")); m != nil {
		next = m[1]
	} else if h := r.Header.Get("Link"); h != "" {
		a.t.Fatalf("GET %s: Link %q is not a next link", path, h)
	}
	return cs, next
}

// TestCallHistoryOnTwoInstances: ended calls are listed by GET /v1/calls
// with the history filters, on both instances of one NATS cluster, also
// on an instance that started after the calls ended, and paging with the
// Link header walks them all once.
func TestCallHistoryOnTwoInstances(t *testing.T) {
	t.Parallel()
	natsURL := startNATS(t)
	p := startPBX(t, office())
	instance := func() *api {
		svc := startService(t, append(baseEnv(p.Addr, t.TempDir()), "AMIGATE_NATS_URL="+natsURL))
		a := newAPI(t, svc.URL, token(t, allScopes, ""))
		a.waitReady()
		return a
	}
	a := instance()
	since := time.Now().UTC().Add(-time.Second).Format(time.RFC3339)

	// Three incoming calls from two customers, one after the other.
	var linkedids []string
	for _, from := range []string{"79005550001", "79005550002", "79005550001"} {
		linkedid := p.incoming(t, pbxsim.Incoming{DID: "5550101", From: from, Name: "Ivan Petrov"})
		p.hangupOnceAnswered(t, a, linkedid)
		linkedids = append(linkedids, linkedid)
		p.waitIdle(t)
	}
	ended := "/v1/calls?state=ended&since=" + url.QueryEscape(since)
	eventually(t, 30*time.Second, "three ended calls listed", func() bool {
		cs, _ := a.list(ended)
		return len(cs) == 3
	})
	b := instance() // started after the calls ended: builds its history from the stream
	for name, inst := range map[string]*api{"a": a, "b (started later)": b} {
		eventually(t, 30*time.Second, "instance "+name+" lists the ended calls", func() bool {
			cs, _ := inst.list(ended)
			return len(cs) == 3
		})
		cs, _ := inst.list(ended)
		var got []string
		for _, c := range cs {
			got = append(got, c.Linkedid)
			if c.State != "ended" || c.Disposition != "answered" || c.Agent == nil || c.Agent.Extension != "101" {
				t.Errorf("instance %s: call %+v, want ended, answered by 101", name, c)
			}
		}
		want := slices.Clone(linkedids)
		slices.Reverse(want) // newest first
		if !slices.Equal(got, want) {
			t.Errorf("instance %s: linkedids %v, want %v", name, got, want)
		}

		// The customer in another format, and the extension.
		cs, _ = inst.list(ended + "&customer=" + url.QueryEscape("+7 (900) 555-00-01") + "&extension=101&direction=inbound")
		if len(cs) != 2 || cs[0].Linkedid != linkedids[2] || cs[1].Linkedid != linkedids[0] {
			t.Errorf("instance %s: customer filter listed %d calls %+v, want the 1st and 3rd", name, len(cs), cs)
		}
		if cs, _ := inst.list(ended + "&extension=102"); len(cs) != 0 {
			t.Errorf("instance %s: extension 102 lists %d calls, want none", name, len(cs))
		}

		// Pages of one, by the Link header.
		var paged []string
		path := ended + "&limit=1"
		for range 10 {
			cs, next := inst.list(path)
			for _, c := range cs {
				paged = append(paged, c.Linkedid)
			}
			if next == "" {
				break
			}
			path = next
		}
		if !slices.Equal(paged, want) {
			t.Errorf("instance %s: paged linkedids %v, want %v", name, paged, want)
		}
	}

	// A token of extension 102 sees none of them; the history answers
	// GET /v1/calls/{id} on the instance that never tracked the calls.
	if cs, _ := newAPI(t, b.base, token(t, scopeCallsRead, "102")).list(ended); len(cs) != 0 {
		t.Errorf("ext 102 token lists %d calls, want none", len(cs))
	}
	cs, _ := a.list(ended)
	if got := b.getCall(cs[0].ID); got.Linkedid != linkedids[2] || got.State != "ended" {
		t.Errorf("GET /v1/calls/%s on b: %+v", cs[0].ID, got)
	}
}
