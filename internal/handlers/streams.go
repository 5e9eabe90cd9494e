package handlers

import (
	"net/http"
	"strconv"
	"sync"
)

// streams bounds the open /v1/events streams, each of which holds a
// goroutine, a store consumer and a connection for as long as the client
// likes: in all (503 when full: the service is at capacity) and per token
// subject (429: that client holds its share).
type streams struct {
	max, perSubject int
	retryAfter      string // seconds, for the Retry-After header

	mu    sync.Mutex
	total int
	by    map[string]int
}

func newStreams(max, perSubject int, retryAfterSeconds int) *streams {
	return &streams{max: max, perSubject: perSubject, retryAfter: strconv.Itoa(retryAfterSeconds), by: map[string]int{}}
}

// acquire takes a stream slot for subject; release gives it back.
func (s *streams) acquire(subject string) (release func(), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.by[subject] >= s.perSubject:
		return nil, s.refuse(http.StatusTooManyRequests,
			"this token's subject already has "+strconv.Itoa(s.perSubject)+" open event streams (AMIGATE_SSE_MAX_STREAMS_PER_SUBJECT); close one first")
	case s.total >= s.max:
		return nil, s.refuse(http.StatusServiceUnavailable,
			"the service has "+strconv.Itoa(s.max)+" open event streams, its limit (AMIGATE_SSE_MAX_STREAMS); retry later")
	}
	s.total++
	s.by[subject]++
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.total--
			if s.by[subject]--; s.by[subject] == 0 {
				delete(s.by, subject)
			}
		})
	}, nil
}

func (s *streams) refuse(status int, detail string) error {
	e := errStatus(status, detail)
	e.kind = kindTooManyStreams
	e.header = http.Header{"Retry-After": []string{s.retryAfter}}
	return e
}
