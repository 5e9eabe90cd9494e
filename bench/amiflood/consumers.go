package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amiclient"
)

// result is one consumer's run.
type result struct {
	events   int
	fields   int // -1: the consumer does not count fields
	took     time.Duration
	maxHeap  uint64 // slow consumer only: the largest heap seen at its pauses
	overflow int    // slow consumer only: KindOverflow items received
}

func (r result) rate() float64 { return float64(r.events) / r.took.Seconds() }

// consumer reads one flood from the server at addr.
type consumer struct {
	name string
	run  func(ctx context.Context, addr string, fl *flood) (result, error)
}

// bareRequest logs in and asks for the flood in one write; the reply
// starts with three messages that are not the flood's (the two responses
// and FullyBooted).
const bareRequest = "Action: Login\r\nActionID: 1\r\nUsername: bench\r\nSecret: x\r\nEvents: on\r\n\r\n" +
	"Action: Flood\r\nActionID: 2\r\n\r\n"

const preamble = 3

// dialBare opens a plain connection and skips the banner.
func dialBare(ctx context.Context, addr string) (net.Conn, *bufio.Reader, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		nc.SetDeadline(dl)
	}
	br := bufio.NewReaderSize(nc, 64<<10)
	if _, err := br.ReadString('\n'); err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, br, nil
}

// floor reads the socket and counts "\r\n\r\n": what any AMI client must
// at least do.
func floor(ctx context.Context, addr string, fl *flood) (result, error) {
	nc, br, err := dialBare(ctx, addr)
	if err != nil {
		return result{}, err
	}
	defer nc.Close()
	want := fl.events + preamble
	start := time.Now()
	if _, err := io.WriteString(nc, bareRequest); err != nil {
		return result{}, err
	}
	sep := []byte("\r\n\r\n")
	buf := make([]byte, 64<<10)
	frames, carry := 0, 0 // carry: bytes of the previous read kept in front
	for frames < want {
		n, err := br.Read(buf[carry:])
		if err != nil {
			return result{}, fmt.Errorf("after %d of %d frames: %w", frames, want, err)
		}
		b := buf[:carry+n]
		for {
			i := bytes.Index(b, sep)
			if i < 0 {
				break
			}
			frames++
			b = b[i+len(sep):]
		}
		carry = copy(buf, b[max(0, len(b)-3):])
	}
	return result{events: frames - preamble, fields: -1, took: time.Since(start)}, nil
}

// naive is the parser found in many AMI clients: bufio.ReadString per line
// and a map per message (repeated keys are lost: not checked).
func naive(ctx context.Context, addr string, fl *flood) (result, error) {
	nc, br, err := dialBare(ctx, addr)
	if err != nil {
		return result{}, err
	}
	defer nc.Close()
	start := time.Now()
	if _, err := io.WriteString(nc, bareRequest); err != nil {
		return result{}, err
	}
	msgs, events := 0, 0
	m := map[string]string{}
	for events < fl.events {
		line, err := br.ReadString('\n')
		if err != nil {
			return result{}, fmt.Errorf("after %d events: %w", events, err)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			if len(m) > 0 {
				if msgs++; msgs > preamble && m["Event"] != "" {
					events++
				}
				m = map[string]string{}
			}
			continue
		}
		k, v, _ := strings.Cut(line, ": ")
		m[k] = v
	}
	return result{events: events, fields: -1, took: time.Since(start)}, nil
}

// client is amigate's amiclient through its public API: a lossless
// subscription read with Next, every event and field counted.
func client(ctx context.Context, addr string, fl *flood) (result, error) {
	return runClient(ctx, addr, fl, 0, false)
}

// clientFrames reads the same subscription with NextFrame: every event in
// place, its fields counted off the borrowed frame.
func clientFrames(ctx context.Context, addr string, fl *flood) (result, error) {
	return runClient(ctx, addr, fl, 0, true)
}

// slowRounds is how many floods the slow consumer asks for: more than the
// subscription's default byte bound holds.
const slowRounds = 4

// slowClient pauses 50 ms every 10,000 events: its backlog grows in the
// subscription until the byte bound sends it down the overflow path.
func slowClient(ctx context.Context, addr string, fl *flood) (result, error) {
	return runClient(ctx, addr, &flood{events: fl.events * slowRounds}, 50*time.Millisecond, false)
}

func runClient(ctx context.Context, addr string, fl *flood, pause time.Duration, frames bool) (result, error) {
	c, err := amiclient.New(amiclient.Config{
		Addr: addr, Username: "bench", Secret: "x", Auth: "plain",
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return result{}, err
	}
	defer c.Close()
	if err := c.WaitReady(ctx); err != nil {
		return result{}, err
	}
	sub := c.Subscribe(amiclient.SubscribeOptions{Name: "bench", Lossless: true})
	defer sub.Close()
	var res result
	start := time.Now()
	rounds := 1
	if pause > 0 {
		rounds = slowRounds
	}
	if _, err := c.Send(ctx, ami.NewAction("Flood").Add("Rounds", strconv.Itoa(rounds))); err != nil {
		return result{}, err
	}
	var ms runtime.MemStats
	for res.events < fl.events {
		var ev amiclient.Event
		var frame ami.Frame
		var err error
		if frames {
			ev, frame, err = sub.NextFrame(ctx)
		} else {
			ev, err = sub.Next(ctx)
		}
		if err != nil {
			return result{}, fmt.Errorf("after %d events: %w", res.events, err)
		}
		switch ev.Kind {
		case amiclient.KindEvent:
			res.events++
			if frame != nil {
				for range frame.All() {
					res.fields++
				}
			} else {
				res.fields += len(ev.Message.Fields)
			}
			if pause > 0 && res.events%10_000 == 0 {
				runtime.ReadMemStats(&ms)
				res.maxHeap = max(res.maxHeap, ms.HeapAlloc)
				time.Sleep(pause)
			}
		case amiclient.KindConnected:
			if res.events > 0 {
				return result{}, fmt.Errorf("after %d events: reconnected", res.events)
			}
			// Subscribed to a live session: the subscription starts so.
		case amiclient.KindOverflow:
			if pause == 0 {
				return result{}, errors.New("overflow: events lost")
			}
			// What a real consumer does here is resync; the bench counts
			// the loss and waits for what follows.
			res.overflow++
			res.took = time.Since(start)
			return res, nil
		default:
			return result{}, fmt.Errorf("after %d events: unexpected %v", res.events, ev.Kind)
		}
	}
	res.took = time.Since(start)
	return res, nil
}
