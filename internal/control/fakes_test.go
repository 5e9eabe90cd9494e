package control

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amiclient"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeAMI is a hand-written AMI: it encodes every action with the client's
// own encoder (so that tests see the exact wire action, and a value the
// client would refuse is refused here too), records it and answers with its
// function fields (Success by default).
type fakeAMI struct {
	SendFunc     func(ctx context.Context, a *ami.Action) (ami.Message, error)
	SendListFunc func(ctx context.Context, a *ami.Action) (ami.Message, []ami.Message, error)

	mu   sync.Mutex
	sent []*ami.Action
}

var _ AMI = (*fakeAMI)(nil)

func (f *fakeAMI) record(a *ami.Action) {
	f.mu.Lock()
	f.sent = append(f.sent, a)
	f.mu.Unlock()
}

func (f *fakeAMI) send(ctx context.Context, encode func() (*ami.Action, error)) (ami.Message, error) {
	a, err := encode()
	if err != nil {
		return ami.Message{}, err
	}
	f.record(a)
	if f.SendFunc != nil {
		return f.SendFunc(ctx, a)
	}
	return success(a), nil
}

func (f *fakeAMI) list(ctx context.Context, encode func() (*ami.Action, error)) ([]ami.Message, error) {
	a, err := encode()
	if err != nil {
		return nil, err
	}
	f.record(a)
	if f.SendListFunc != nil {
		_, evs, err := f.SendListFunc(ctx, a)
		return evs, err
	}
	return nil, nil
}

func (f *fakeAMI) run(ctx context.Context, encode func() (*ami.Action, error)) error {
	_, err := f.send(ctx, encode)
	return err
}

func (f *fakeAMI) Originate(ctx context.Context, p amiclient.OriginateParams) (ami.Message, error) {
	return f.send(ctx, p.Action)
}

func (f *fakeAMI) Hangup(ctx context.Context, p amiclient.HangupParams) error {
	return f.run(ctx, p.Action)
}

func (f *fakeAMI) Redirect(ctx context.Context, p amiclient.RedirectParams) error {
	return f.run(ctx, p.Action)
}

func (f *fakeAMI) BlindTransfer(ctx context.Context, p amiclient.TransferParams) error {
	return f.run(ctx, p.BlindTransferAction)
}

func (f *fakeAMI) Atxfer(ctx context.Context, p amiclient.TransferParams) error {
	return f.run(ctx, p.AtxferAction)
}

func (f *fakeAMI) QueuePause(ctx context.Context, p amiclient.QueuePauseParams) error {
	return f.run(ctx, p.Action)
}

func (f *fakeAMI) QueueSummary(ctx context.Context, p amiclient.QueueSummaryParams) ([]ami.Message, error) {
	return f.list(ctx, p.Action)
}

func (f *fakeAMI) QueueStatus(ctx context.Context, p amiclient.QueueStatusParams) ([]ami.Message, error) {
	return f.list(ctx, p.Action)
}

func (f *fakeAMI) actions() []*ami.Action {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*ami.Action(nil), f.sent...)
}

func success(a *ami.Action) ami.Message {
	return ami.Message{Fields: []ami.Field{{Name: "Response", Value: "Success"}, {Name: "ActionID", Value: a.ID}}}
}

// refused is what the AMI client returns for Response: Error.
func refused(action, message string) error {
	return &amiclient.ActionError{Action: action, Response: "Error", Message: message}
}

// fakeCalls is a hand-written correlator.
type fakeCalls struct {
	mu        sync.Mutex
	calls     map[string]amigate.Call
	expected  []expectation
	forgotten []string
	atxfers   []string // "id channel to" of each ExpectAtxfer
}

type expectation struct {
	call     amigate.Call
	actionID string
}

var (
	_ Calls         = (*fakeCalls)(nil)
	_ Unexpecter    = (*fakeCalls)(nil)
	_ AtxferWatcher = (*fakeCalls)(nil)
)

func newFakeCalls(cs ...amigate.Call) *fakeCalls {
	f := &fakeCalls{calls: map[string]amigate.Call{}}
	for _, c := range cs {
		f.calls[c.ID] = c
	}
	return f
}

func (f *fakeCalls) Expect(c amigate.Call, actionID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.expected = append(f.expected, expectation{c, actionID})
	f.calls[c.ID] = c
}

func (f *fakeCalls) ExpectAtxfer(id, channel, to string, _ time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.atxfers = append(f.atxfers, id+" "+channel+" "+to)
}

func (f *fakeCalls) watched() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.atxfers...)
}

func (f *fakeCalls) Unexpect(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.forgotten = append(f.forgotten, id)
	delete(f.calls, id)
}

func (f *fakeCalls) Get(id string) (amigate.Call, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.calls[id]
	return c, ok
}

func (f *fakeCalls) List(filter amigate.CallFilter) []amigate.Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []amigate.Call
	for _, c := range f.calls {
		if filter.State == "" || c.State == filter.State {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeCalls) expectations() []expectation {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]expectation(nil), f.expected...)
}

// seqIDs returns an id generator that hands out ids in order, then
// numbered ones.
func seqIDs(ids ...string) func() string {
	var mu sync.Mutex
	n := 0
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		n++
		if n <= len(ids) {
			return ids[n-1]
		}
		return fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
	}
}

// testClock is a clock tests move by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var epoch = time.Date(2026, 11, 22, 7, 9, 20, 0, time.UTC)

func newTestService(t testing.TB, cfg Config, a AMI, calls *fakeCalls) *Service {
	t.Helper()
	if cfg.NewID == nil {
		cfg.NewID = seqIDs()
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return epoch }
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return New(cfg, a, calls)
}

// The transcripts are testdata/ami/NAME.txt: marker lines ">>> ..." and
// "<<< ..." ending in a bare LF, the exact bytes in between.
const transcripts = "../../testdata/ami"

type block struct {
	sent bool
	data []byte
}

func readTranscript(t testing.TB, name string) []block {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(transcripts, name))
	if err != nil {
		t.Fatal(err)
	}
	var out []block
	for len(b) > 0 {
		nl := bytes.IndexByte(b, '\n')
		if nl < 0 || !(bytes.HasPrefix(b, []byte(">>> ")) || bytes.HasPrefix(b, []byte("<<< "))) {
			t.Fatalf("%s: bad marker at %q", name, b[:min(len(b), 40)])
		}
		sent := b[0] == '>'
		b = b[nl+1:]
		end := len(b)
		for _, m := range [][]byte{[]byte("\n>>> "), []byte("\n<<< ")} {
			if i := bytes.Index(b, m); i >= 0 && i+1 < end {
				end = i + 1
			}
		}
		out = append(out, block{sent: sent, data: b[:end]})
		b = b[end:]
	}
	return out
}

// sentBlock returns the first block the client sent that starts with
// "Action: <action>".
func sentBlock(t testing.TB, name, action string) []byte {
	t.Helper()
	for _, bl := range readTranscript(t, name) {
		if bl.sent && bytes.HasPrefix(bl.data, []byte("Action: "+action+"\r\n")) {
			return bl.data
		}
	}
	t.Fatalf("%s: no %s sent", name, action)
	return nil
}

// answer returns the response and the events Asterisk sent for actionID in
// a transcript: what SendList would return.
func answer(t testing.TB, name, actionID string) (ami.Message, []ami.Message) {
	t.Helper()
	var resp ami.Message
	var events []ami.Message
	for i, bl := range readTranscript(t, name) {
		if bl.sent {
			continue
		}
		r := ami.NewReader(bytes.NewReader(bl.data), 0)
		if i == 0 {
			if _, err := r.ReadBanner(); err != nil {
				t.Fatal(err)
			}
		}
		for {
			m, err := r.ReadMessage()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if m.ActionID() != actionID {
				continue
			}
			if m.IsResponse() {
				resp = m
			} else if m.Get("EventList") == "" {
				events = append(events, m)
			}
		}
	}
	if resp.Response() == "" {
		t.Fatalf("%s: no response to %s", name, actionID)
	}
	return resp, events
}
