package webhooks

import (
	"math/rand/v2"
	"time"
)

// DefaultSchedule is the retry schedule of webhooks.md: about 5 s, 30 s,
// 2 min, 10 min, 30 min, 1 h, then hourly until a day has passed since the
// first attempt. Its length is the number of retries before a delivery is dead.
var DefaultSchedule = defaultSchedule()

func defaultSchedule() []time.Duration {
	s := []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour}
	var total time.Duration
	for _, d := range s {
		total += d
	}
	for total+time.Hour <= 24*time.Hour {
		s = append(s, time.Hour)
		total += time.Hour
	}
	return s
}

// DefaultJitter spreads each retry by ±20 % so that a receiver coming back
// up is not hit by every stalled delivery in the same second.
const DefaultJitter = 0.2

// Backoff is the retry strategy: which delay follows a failed attempt.
type Backoff struct {
	Schedule []time.Duration
	Jitter   float64        // fraction of each delay, spread both ways
	Rand     func() float64 // [0,1); math/rand/v2 when nil
}

// Next returns the delay before the next attempt after failures failed
// attempts, or false when the schedule is used up and the delivery is dead.
func (b Backoff) Next(failures int) (time.Duration, bool) {
	if failures < 1 || failures > len(b.Schedule) {
		return 0, false
	}
	d := b.Schedule[failures-1]
	if b.Jitter > 0 {
		r := rand.Float64
		if b.Rand != nil {
			r = b.Rand
		}
		d += time.Duration((2*r() - 1) * b.Jitter * float64(d))
	}
	return d, true
}
