package ami

import (
	"strconv"
	"strings"
	"time"
)

// Time is when an event happened: its Timestamp header (manager.conf
// timestampevents=yes, "1795331360.123456") when present and well formed,
// else fallback (typically when it was read).
func (m *Message) Time(fallback time.Time) time.Time {
	ts := m.Get("Timestamp")
	if ts == "" {
		return fallback
	}
	secStr, frac, _ := strings.Cut(ts, ".")
	sec, err := strconv.ParseInt(secStr, 10, 64)
	if err != nil {
		return fallback
	}
	var nsec int64
	if frac != "" {
		if len(frac) > 9 {
			frac = frac[:9]
		}
		n, err := strconv.ParseInt(frac, 10, 64)
		if err != nil || n < 0 {
			return fallback
		}
		for i := len(frac); i < 9; i++ {
			n *= 10
		}
		nsec = n
	}
	return time.Unix(sec, nsec).UTC()
}
