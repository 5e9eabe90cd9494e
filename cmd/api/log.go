package main

import (
	"io"
	"log/slog"
)

// newLogHandler is the service's one log format: JSON lines, with every
// time.Duration written as Go writes it ("1.5s", "250ms", "2m0s"), the form
// the AMIGATE_* durations are configured in, instead of slog's raw
// nanoseconds. opts.ReplaceAttr, when set, runs after.
func newLogHandler(w io.Writer, opts *slog.HandlerOptions) slog.Handler {
	o := *opts
	next := opts.ReplaceAttr
	o.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
		if a.Value.Kind() == slog.KindDuration {
			a.Value = slog.StringValue(a.Value.Duration().String())
		}
		if next != nil {
			return next(groups, a)
		}
		return a
	}
	return slog.NewJSONHandler(w, &o)
}
