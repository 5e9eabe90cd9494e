package history

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/amigate/amigate"
)

func TestListFilters(t *testing.T) {
	s := openStore(t)
	put(t, s,
		ended("a", t0, nil),
		ended("b", t0.Add(time.Minute), func(c *amigate.Call) {
			c.Direction, c.Queue, c.Disposition = amigate.DirectionOutbound, "", amigate.DispositionBusy
			c.Customer = &amigate.Party{Number: "+7 (900) 765-43-21"}
			c.Agent, c.Extensions = &amigate.Agent{Extension: "102"}, []string{"102"}
		}),
		ended("c", t0.Add(2*time.Minute), func(c *amigate.Call) {
			c.Queue, c.Disposition = "sales", amigate.DispositionAbandoned
			c.Agent, c.Extensions = nil, nil
		}),
		ended("d", t0.Add(3*time.Minute), func(c *amigate.Call) {
			c.Direction, c.Customer = amigate.DirectionInternal, nil
			c.Agent, c.Extensions = &amigate.Agent{Extension: "102"}, []string{"101", "102"}
		}),
	)
	svc := NewService(newLive(), s, nil)
	tests := []struct {
		name string
		q    amigate.CallQuery
		want []string
	}{
		{"all, newest first", amigate.CallQuery{}, []string{"d", "c", "b", "a"}},
		{"state ended", amigate.CallQuery{CallFilter: amigate.CallFilter{State: amigate.StateEnded}}, []string{"d", "c", "b", "a"}},
		{"state answered has no ended calls", amigate.CallQuery{CallFilter: amigate.CallFilter{State: amigate.StateAnswered}}, nil},
		{"since is inclusive", amigate.CallQuery{Since: t0.Add(2 * time.Minute)}, []string{"d", "c"}},
		{"until is exclusive", amigate.CallQuery{Until: t0.Add(2 * time.Minute)}, []string{"b", "a"}},
		{"since and until", amigate.CallQuery{Since: t0.Add(time.Minute), Until: t0.Add(3 * time.Minute)}, []string{"c", "b"}},
		{"direction", amigate.CallQuery{Direction: amigate.DirectionOutbound}, []string{"b"}},
		{"disposition", amigate.CallQuery{Disposition: amigate.DispositionAbandoned}, []string{"c"}},
		{"queue", amigate.CallQuery{Queue: "support"}, []string{"d", "a"}},
		{"extension: agent or any that took part", amigate.CallQuery{CallFilter: amigate.CallFilter{Extension: "101"}}, []string{"d", "a"}},
		{"extension 102", amigate.CallQuery{CallFilter: amigate.CallFilter{Extension: "102"}}, []string{"d", "b"}},
		{"scope and extension: both take part", amigate.CallQuery{CallFilter: amigate.CallFilter{Extension: "101"}, Scope: "102"}, []string{"d"}},
		{"scope alone", amigate.CallQuery{Scope: "101"}, []string{"d", "a"}},
		{"customer as dialled", amigate.CallQuery{Customer: "79001234567"}, []string{"c", "a"}},
		{"customer formatted", amigate.CallQuery{Customer: "+7 (900) 123-45-67"}, []string{"c", "a"}},
		{"customer other", amigate.CallQuery{Customer: "7-900-765-4321"}, []string{"b"}},
		{"campaign none stored", amigate.CallQuery{Campaign: "cmp_1"}, nil},
		{"filters combine", amigate.CallQuery{Queue: "support", Direction: amigate.DirectionInbound, CallFilter: amigate.CallFilter{Extension: "101"}}, []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := svc.List(context.Background(), tt.q)
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			if got := ids(page.Calls); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if page.Next != "" {
				t.Errorf("Next = %q on the only page", page.Next)
			}
		})
	}
}

func TestListCampaignAndE164(t *testing.T) {
	s := openStore(t)
	// Calls of campaigns (amigate.Call.Campaign, the campaign's id) and
	// with customer.e164: stored as JSON by the feed, indexed from it.
	recs := []string{
		`{"id":"x1","state":"ended","started_at":"2026-11-30T10:00:00Z","ended_at":"2026-11-30T10:01:00Z","customer":{"number":"89001234567","e164":"+79001234567"},"campaign":"cmp_1","channels":[]}`,
		`{"id":"x2","state":"ended","started_at":"2026-11-30T10:02:00Z","ended_at":"2026-11-30T10:03:00Z","customer":{"number":"89001234567"},"campaign":"cmp_2","contact":3,"channels":[]}`,
	}
	var rs []record
	for _, raw := range recs {
		r, err := recordOf([]byte(raw), nil)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	if err := s.apply(context.Background(), position{seq: 2}, rs); err != nil {
		t.Fatal(err)
	}
	svc := NewService(newLive(), s, nil)
	for _, tt := range []struct {
		q    amigate.CallQuery
		want []string
	}{
		{amigate.CallQuery{Campaign: "cmp_1"}, []string{"x1"}},
		{amigate.CallQuery{Campaign: "cmp_2"}, []string{"x2"}},
		{amigate.CallQuery{Customer: "+7 900 123 45 67"}, []string{"x1"}},
		{amigate.CallQuery{Customer: "8 900 123-45-67"}, []string{"x2"}}, // no normaliser: digits as written
	} {
		page, err := svc.List(context.Background(), tt.q)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(page.Calls); !slices.Equal(got, tt.want) {
			t.Errorf("%+v: got %v, want %v", tt.q, got, tt.want)
		}
	}
	// With a normaliser, the number as written is indexed in E.164.
	ru := func(n string) string {
		if d := digits(n); len(d) == 11 && d[0] == '8' {
			return "+7" + d[1:]
		}
		return ""
	}
	r, err := recordOf([]byte(recs[1]), ru)
	if err != nil {
		t.Fatal(err)
	}
	if r.customer != "79001234567" {
		t.Errorf("customer key with a normaliser = %q, want 79001234567", r.customer)
	}
}

// TestListAgreesWithFilter pages through random data with random filters:
// the SQL and the in-memory filter (which the live calls go through) must
// select the same calls in the same order, and the pages must join up.
func TestListAgreesWithFilter(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	all := randomCalls(rng, 400)
	s := openStore(t)
	put(t, s, all...)
	svc := NewService(newLive(), s, nil)
	pick := func(vals ...string) string { return vals[rng.IntN(len(vals))] }
	for i := 0; i < 60; i++ {
		q := amigate.CallQuery{
			Direction:   pick("", "", amigate.DirectionInbound, amigate.DirectionOutbound),
			Disposition: pick("", "", amigate.DispositionAnswered, amigate.DispositionBusy),
			Queue:       pick("", "", "support", "sales"),
			Customer:    pick("", "", "79000000001", "+7 (900) 000-00-03"),
			CallFilter:  amigate.CallFilter{Extension: pick("", "", "101", "103")},
			Scope:       pick("", "", "", "102"),
			Limit:       1 + rng.IntN(40),
		}
		if rng.IntN(2) == 0 {
			q.Since = t0.Add(time.Duration(rng.IntN(100)) * time.Minute)
		}
		if rng.IntN(2) == 0 {
			q.Until = t0.Add(time.Duration(100+rng.IntN(100)) * time.Minute)
		}
		f, err := svc.filter(q)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		sorted := slices.Clone(all)
		slices.SortFunc(sorted, func(a, b amigate.Call) int {
			if keyOf(&a).before(keyOf(&b)) {
				return -1
			}
			return 1
		})
		for i := range sorted {
			if f.matches(&sorted[i], nil) {
				want = append(want, sorted[i].ID)
			}
		}
		var got []string
		for pages := 0; ; pages++ {
			page, err := svc.List(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Calls) > q.Limit {
				t.Fatalf("page of %d calls, limit %d", len(page.Calls), q.Limit)
			}
			got = append(got, ids(page.Calls)...)
			if page.Next == "" {
				break
			}
			if pages > len(all) {
				t.Fatal("paging does not end")
			}
			q.Cursor = page.Next
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("query %+v: store and filter disagree (-filter +store):\n%s", q, diff)
		}
	}
}

func TestListMergesLiveCalls(t *testing.T) {
	s := openStore(t)
	put(t, s,
		ended("h1", t0, nil),
		ended("h2", t0.Add(2*time.Minute), nil),
		ended("h3", t0.Add(4*time.Minute), nil),
	)
	active := func(id string, started time.Time, state string) amigate.Call {
		return amigate.Call{ID: id, State: state, Direction: amigate.DirectionInbound, Queue: "support",
			Agent: &amigate.Agent{Extension: "101"}, StartedAt: started, Customer: &amigate.Party{Number: "79001234567"}}
	}
	live := newLive(
		active("l1", t0.Add(time.Minute), amigate.StateAnswered), // a long call, started before h2
		active("l2", t0.Add(5*time.Minute), amigate.StateRinging),
	)
	svc := NewService(live, s, nil)
	ctx := context.Background()

	list := func(q amigate.CallQuery) amigate.CallPage {
		t.Helper()
		page, err := svc.List(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return page
	}
	if got, want := ids(list(amigate.CallQuery{}).Calls), []string{"l2", "h3", "h2", "l1", "h1"}; !slices.Equal(got, want) {
		t.Errorf("merged: got %v, want %v", got, want)
	}
	if got, want := ids(list(amigate.CallQuery{CallFilter: amigate.CallFilter{State: amigate.StateAnswered}}).Calls), []string{"l1"}; !slices.Equal(got, want) {
		t.Errorf("state answered: got %v, want %v", got, want)
	}
	if got, want := ids(list(amigate.CallQuery{Disposition: amigate.DispositionAnswered}).Calls), []string{"h3", "h2", "h1"}; !slices.Equal(got, want) {
		t.Errorf("a disposition lists ended calls only: got %v, want %v", got, want)
	}
	if got, want := ids(list(amigate.CallQuery{Customer: "+7 900 123 45 67", Since: t0.Add(time.Minute)}).Calls), []string{"l2", "h3", "h2", "l1"}; !slices.Equal(got, want) {
		t.Errorf("customer and since: got %v, want %v", got, want)
	}

	// Paging while l1 ends between the pages: it keeps its place.
	p1 := list(amigate.CallQuery{Limit: 3})
	if got, want := ids(p1.Calls), []string{"l2", "h3", "h2"}; !slices.Equal(got, want) {
		t.Fatalf("page 1: got %v, want %v", got, want)
	}
	live.remove("l1")
	put(t, s, ended("l1", t0.Add(time.Minute), nil))
	p2 := list(amigate.CallQuery{Limit: 3, Cursor: p1.Next})
	if got, want := ids(p2.Calls), []string{"l1", "h1"}; !slices.Equal(got, want) {
		t.Errorf("page 2: got %v, want %v", got, want)
	}
	if p2.Next != "" {
		t.Errorf("page 2 is the last, Next = %q", p2.Next)
	}

	// A call both live and stored (ended on another instance first) is
	// listed once, as stored.
	live2 := newLive(active("h2", t0.Add(2*time.Minute), amigate.StateAnswered))
	page, err := NewService(live2, s, nil).List(ctx, amigate.CallQuery{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range page.Calls {
		if c.ID == "h2" {
			n++
			if c.State != amigate.StateEnded {
				t.Errorf("h2 listed as %s, want the stored ended call", c.State)
			}
		}
	}
	if n != 1 {
		t.Errorf("h2 listed %d times, want once", n)
	}
}

func TestGet(t *testing.T) {
	s := openStore(t)
	put(t, s, ended("old", t0, nil))
	live := newLive(amigate.Call{ID: "now", State: amigate.StateRinging, StartedAt: t0})
	svc := NewService(live, s, nil)
	ctx := context.Background()
	if c, err := svc.Get(ctx, "now"); err != nil || c.State != amigate.StateRinging {
		t.Errorf("live call: %+v, %v", c, err)
	}
	c, err := svc.Get(ctx, "old")
	if err != nil || c.State != amigate.StateEnded || c.Customer == nil || c.Customer.Number != "79001234567" {
		t.Errorf("stored call: %+v, %v", c, err)
	}
	if _, err := svc.Get(ctx, "nope"); !errors.Is(err, amigate.ErrNotFound) {
		t.Errorf("unknown call: got %v, want ErrNotFound", err)
	}
}

func TestListRefusesBadQueries(t *testing.T) {
	svc := NewService(newLive(), openStore(t), nil)
	for _, tt := range []struct {
		name  string
		q     amigate.CallQuery
		field string
	}{
		{"cursor not base64", amigate.CallQuery{Cursor: "%%%"}, "cursor"},
		{"cursor without id", amigate.CallQuery{Cursor: key{started: 5}.encode()}, "cursor"},
		{"cursor with control characters", amigate.CallQuery{Cursor: key{started: 5, id: "a\r\nb"}.encode()}, "cursor"},
		{"cursor too long", amigate.CallQuery{Cursor: strings.Repeat("A", 600)}, "cursor"},
		{"until before since", amigate.CallQuery{Since: t0, Until: t0}, "until"},
		{"customer without digits", amigate.CallQuery{Customer: "ivan"}, "customer"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.List(context.Background(), tt.q)
			var fe *amigate.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Errorf("got %v, want a FieldError on %s", err, tt.field)
			}
		})
	}
}

func TestPrune(t *testing.T) {
	s := openStore(t)
	put(t, s, ended("a", t0, nil), ended("b", t0.Add(time.Hour), nil))
	ctx := context.Background()
	n, err := s.Prune(ctx, t0.Add(30*time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("Prune: %d, %v; want 1 call", n, err)
	}
	if _, err := s.Get(ctx, "a"); !errors.Is(err, amigate.ErrNotFound) {
		t.Errorf("pruned call still there: %v", err)
	}
	// Its extensions went with it: the extension filter finds only b.
	page, err := NewService(newLive(), s, nil).List(ctx, amigate.CallQuery{CallFilter: amigate.CallFilter{Extension: "101"}})
	if err != nil || !slices.Equal(ids(page.Calls), []string{"b"}) {
		t.Errorf("after prune: %v, %v", ids(page.Calls), err)
	}
	var exts int
	if err := s.db.QueryRow(`SELECT count(*) FROM call_exts`).Scan(&exts); err != nil || exts != 1 {
		t.Errorf("call_exts rows = %d (%v), want 1", exts, err)
	}
}

// TestQueryPlans checks that every filter reads an index in listing order:
// no query sorts its matches, so a page costs the same with a million
// calls stored as with a thousand.
func TestQueryPlans(t *testing.T) {
	s := openStore(t)
	put(t, s, randomCalls(rand.New(rand.NewPCG(3, 4)), 200)...)
	after := &key{started: t0.Add(time.Hour).UnixNano(), id: "c00010"}
	for _, tt := range []struct {
		f     filter
		index string // the index the plan must read
	}{
		{filter{}, "calls_started"},
		{filter{after: after}, "calls_started"},
		{filter{since: t0, until: t0.Add(time.Hour)}, "calls_started"},
		{filter{direction: "inbound"}, "calls_direction"},
		{filter{disposition: "busy", since: t0}, "calls_disposition"},
		{filter{queue: "support", after: after}, "calls_queue"},
		{filter{customer: "79000000001"}, "calls_customer"},
		{filter{customer: "79000000001", direction: "inbound", disposition: "busy"}, "calls_customer"},
		{filter{campaign: "cmp_1"}, "calls_campaign"},
		{filter{exts: []string{"101"}, after: after}, "SEARCH e USING PRIMARY KEY"},
		{filter{exts: []string{"101", "102"}, queue: "support"}, ""},
		{filter{queue: "support", disposition: "answered", direction: "inbound", since: t0, until: t0.Add(time.Hour)}, ""},
	} {
		f := tt.f
		q, args := f.sql(101)
		rows, err := s.db.Query("EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		text := strings.Join(plan, "; ")
		if strings.Contains(text, "TEMP B-TREE") || !(strings.Contains(text, "INDEX") || strings.Contains(text, "PRIMARY KEY")) {
			t.Errorf("filter %+v: plan %q sorts or reads no index", f, text)
		}
		if !strings.Contains(text, tt.index) {
			t.Errorf("filter %+v: plan %q does not read %s", f, text, tt.index)
		}
	}
}

func TestCursorRoundTrip(t *testing.T) {
	for _, k := range []key{{0, "a"}, {-5, "call_x"}, {time.Now().UnixNano(), "01J0-abc_def.ghi"}} {
		got, err := decodeCursor(k.encode())
		if err != nil || got != k {
			t.Errorf("decode(encode(%+v)) = %+v, %v", k, got, err)
		}
	}
}

func FuzzDecodeCursor(f *testing.F) {
	f.Add(key{1764460800000000000, "call_1"}.encode())
	f.Add("")
	f.Add("MTIzLg")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := decodeCursor(s)
		if err != nil {
			return
		}
		if k.id == "" || strings.ContainsAny(k.id, "\r\n\x00 ") {
			t.Fatalf("decoded a bad id %q from %q", k.id, s)
		}
		if back, err := decodeCursor(k.encode()); err != nil || back != k {
			t.Fatalf("re-encoding %+v: %+v, %v", k, back, err)
		}
	})
}
