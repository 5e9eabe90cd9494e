//go:build !nodemo

package main

import (
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// watchStreams records, in the page, every event stream the panel opens
// (window.streamURLs) and the id of every event each delivers
// (window.streamIds), by wrapping EventSource before the panel loads.
const watchStreams = `
window.streamURLs = []; window.streamIds = [];
window.EventSource = class extends window.EventSource {
	constructor(url, opts) {
		super(url, opts);
		window.streamURLs.push(String(url));
		for (const t of new URL(url, location.href).searchParams.get('events').split(','))
			this.addEventListener(t, (m) => window.streamIds.push(m.lastEventId));
	}
};`

// cutter is a TCP proxy in front of the service that can cut the page off:
// the browser talks to the service through it, and while it is cut every
// connection is closed, open streams included, and new ones are refused.
type cutter struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]bool
}

// newCutter proxies to the service at url until the test ends, and returns
// the URL to use instead.
func newCutter(t *testing.T, url string) (*cutter, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &cutter{ln: ln, target: strings.TrimPrefix(url, "http://"), conns: map[net.Conn]bool{}}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); c.proxy(in) }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		c.setCut(true)
		wg.Wait()
	})
	return c, "http://" + ln.Addr().String()
}

func (c *cutter) proxy(in net.Conn) {
	out, err := net.Dial("tcp", c.target)
	if err != nil {
		in.Close()
		return
	}
	c.mu.Lock()
	if c.cut {
		c.mu.Unlock()
		in.Close()
		out.Close()
		return
	}
	c.conns[in], c.conns[out] = true, true
	c.mu.Unlock()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		dst.Close()
		src.Close()
		done <- struct{}{}
	}
	go pipe(out, in)
	go pipe(in, out)
	<-done
	<-done
	c.mu.Lock()
	delete(c.conns, in)
	delete(c.conns, out)
	c.mu.Unlock()
}

// setCut cuts the page off (closing every connection) or lets it back.
func (c *cutter) setCut(cut bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cut = cut
	if cut {
		for conn := range c.conns {
			conn.Close()
		}
	}
}

// callsShown checks that the panel's calls in progress are the API's:
// the same ids, in the same states, each once.
func callsShown(b *browser, s started, what string) {
	b.t.Helper()
	var want []string
	for _, c := range activeCalls(b.t, s, s.Token) {
		want = append(want, c.ID+" "+c.State)
	}
	slices.Sort(want)
	got := eval[[]string](b, what, `[...document.querySelectorAll('#calls tbody tr')].map(tr => tr.dataset.key + ' ' + tr.dataset.state).sort()`)
	if !slices.Equal(got, want) {
		b.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		b.t.Errorf("%s: the panel shows %q, the API lists %q", what, got, want)
	}
}

// noDuplicateEvents checks that no event reached the page twice.
func noDuplicateEvents(b *browser) {
	b.t.Helper()
	ids := eval[[]string](b, "read the streamed ids", `window.streamIds`)
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			b.t.Errorf("event %s streamed to the page twice", id)
		}
		seen[id] = true
	}
}

// TestPanelResumesAfterReconnect: the page loses its connection while calls
// change, and when it is back resumes its stream after the last event it
// saw: the call that ended meanwhile moves to the recently ended, the one
// placed meanwhile appears, each event arrives once, and no snapshot gap is
// reported.
func TestPanelResumesAfterReconnect(t *testing.T) {
	b, s := newBrowser(t), startDemoService(t)
	net, front := newCutter(t, s.URL)
	b.open(front, watchStreams)

	anna := incoming(t, s.URL, `{"did": "5550101", "from": "79005550011", "name": "Anna Before", "hangup_after_seconds": 120}`)
	b.until("Anna's call answered", long, callRow("Anna Before")+`?.dataset.state === 'answered'`)

	net.setCut(true)
	b.until("the panel says it is offline", long, `document.querySelector('#status').dataset.state === 'offline'`)
	b.shot("offline")

	// Meanwhile: Anna hangs up, Boris calls and is answered.
	pbxPost(t, s.URL, "/calls/"+anna+"/hangup")
	incoming(t, s.URL, `{"did": "5550101", "from": "79005550012", "name": "Boris Meanwhile", "hangup_after_seconds": 120}`)
	eventually(t, long, "Boris answered, Anna gone, as the API tells", func() bool {
		var boris, anna bool
		for _, c := range activeCalls(t, s, s.Token) {
			boris = boris || c.Customer != nil && c.Customer.Name == "Boris Meanwhile" && c.State == "answered"
			anna = anna || c.Customer != nil && c.Customer.Name == "Anna Before"
		}
		return boris && !anna
	})
	if stale := eval[bool](b, "the page missed it", callRow("Anna Before")+` !== undefined && `+callRow("Boris Meanwhile")+` === undefined`); !stale {
		t.Fatal("the page saw the calls change while offline: the cut did not hold")
	}

	net.setCut(false)
	// The page retries with a backoff capped at 15 s.
	b.until("live again", long+15*time.Second, `document.querySelector('#status').dataset.state === 'live'`)
	b.until("Boris shown, Anna ended", long, callRow("Boris Meanwhile")+`?.dataset.state === 'answered' && `+callRow("Anna Before")+` === undefined &&
		[...document.querySelectorAll('#ended tbody tr')].filter(tr => tr.textContent.includes('Anna Before')).length === 1`)
	b.shot("resumed")

	urls := eval[[]string](b, "read the streams opened", `window.streamURLs`)
	if len(urls) < 2 || !strings.Contains(urls[len(urls)-1], "last_event_id=evt_") {
		t.Errorf("streams opened %q: want the last one resumed with last_event_id", urls)
	}
	if gap := eval[bool](b, "read the message", `!document.querySelector('#message').hidden`); gap {
		t.Errorf("a message is shown after the resume: %q", eval[string](b, "read the message", `document.querySelector('#message').textContent`))
	}
	noDuplicateEvents(b)
	callsShown(b, s, "after the resume")
	b.checkConsole("net::ERR_") // the cut connections
}

// TestPanelAfterAMIResync: the simulated PBX drops the service's AMI
// connection while a caller waits in a queue and another talks to an
// agent, and the waiting caller hangs up meanwhile; after the service logs
// in again and resyncs, the page (whose own stream never dropped) shows
// the calls in progress as the API lists them, and new calls still arrive.
func TestPanelAfterAMIResync(t *testing.T) {
	b, s := openPanel(t, watchStreams)

	waiting := incoming(t, s.URL, `{"did": "5550103", "from": "79005550021", "name": "Wera Waiting", "hangup_after_seconds": 120}`)
	incoming(t, s.URL, `{"did": "5550101", "from": "79005550022", "name": "Tom Talking", "hangup_after_seconds": 120}`)
	b.until("Wera waits, Tom talks", long, callRow("Wera Waiting")+` !== undefined && `+callRow("Tom Talking")+`?.dataset.state === 'answered'`)

	pbxPost(t, s.URL, "/drop")
	pbxPost(t, s.URL, "/calls/"+waiting+"/hangup")
	eventually(t, long, "logged in to the PBX again and ready", func() bool { return reconnectedAndReady(t, http.DefaultClient, s.URL) })
	b.until("Wera's call ended, Tom's still answered", long, callRow("Wera Waiting")+` === undefined && `+callRow("Tom Talking")+`?.dataset.state === 'answered' &&
		!document.querySelector('#queues [data-key="nobody"] .waiting li')`)
	callsShown(b, s, "after the AMI resync")

	incoming(t, s.URL, `{"did": "5550100", "from": "79005550023", "name": "Nina After", "hangup_after_seconds": 120}`)
	b.until("a call after the resync shows", long, callRow("Nina After")+` !== undefined`)
	b.shot("after-resync")
	if n := eval[int](b, "count the streams", `window.streamURLs.length`); n != 1 {
		t.Errorf("%d event streams opened, want 1: an AMI reconnect is the service's, the page's stream goes on", n)
	}
	noDuplicateEvents(b)
	b.checkConsole()
}
