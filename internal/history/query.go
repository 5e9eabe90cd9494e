package history

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/amigate/amigate"
)

// key is a call's place in the listing order: newest start first, the id
// breaking ties. A call keeps its key when it ends, so a page boundary
// stays put while calls move from the live model to the history.
type key struct {
	started int64 // unix nanoseconds
	id      string
}

func keyOf(c *amigate.Call) key { return key{c.StartedAt.UnixNano(), c.ID} }

// before reports whether k comes before o in the listing (is newer).
func (k key) before(o key) bool {
	if k.started != o.started {
		return k.started > o.started
	}
	return k.id > o.id
}

// maxCursor bounds a cursor's text; ids are far shorter.
const maxCursor = 512

// encode is the opaque cursor of k.
func (k key) encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(k.started, 10) + "." + k.id))
}

// decodeCursor parses a cursor made by key.encode.
func decodeCursor(s string) (key, error) {
	bad := &amigate.FieldError{Field: "cursor", Message: "is not a cursor this service returned"}
	if len(s) > maxCursor {
		return key{}, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return key{}, bad
	}
	ts, id, ok := strings.Cut(string(raw), ".")
	if !ok || id == "" || strings.IndexFunc(id, func(r rune) bool { return r <= ' ' || r >= 0x7f }) >= 0 {
		return key{}, bad
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return key{}, bad
	}
	return key{n, id}, nil
}

// filter is a CallQuery as the store and the live model apply it: the
// customer number normalised, the extension constraints gathered, the
// cursor decoded.
type filter struct {
	since, until time.Time
	direction    string
	disposition  string
	queue        string
	customer     string // customerKey; "" for any
	campaign     string
	exts         []string // every one must take part in the call
	after        *key
}

// query returns up to n stored calls that match f, in listing order.
func (s *Store) query(ctx context.Context, f *filter, n int) ([]amigate.Call, error) {
	q, args := f.sql(n)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("history: query: %w", err)
	}
	defer rows.Close()
	out := make([]amigate.Call, 0, min(n, 128))
	for rows.Next() {
		var body []byte
		if err := rows.Scan(&body); err != nil {
			return nil, fmt.Errorf("history: query: %w", err)
		}
		var c amigate.Call
		if err := json.Unmarshal(body, &c); err != nil {
			return nil, fmt.Errorf("history: stored call: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: query: %w", err)
	}
	return out, nil
}

// sql is the statement selecting up to n calls that match f, newest first.
func (f *filter) sql(n int) (string, []any) {
	var (
		sb   strings.Builder
		args []any
		t    = "c" // the table whose (started_at, id) orders the page
	)
	sb.WriteString(`SELECT c.body FROM `)
	if len(f.exts) > 0 {
		t = "e"
		sb.WriteString(`call_exts e JOIN calls c ON c.rowid = e.call WHERE e.ext = ?`)
		args = append(args, f.exts[0])
		for _, x := range f.exts[1:] {
			sb.WriteString(` AND EXISTS (SELECT 1 FROM call_exts x WHERE x.ext = ? AND x.started_at = c.started_at AND x.id = c.id)`)
			args = append(args, x)
		}
	} else {
		sb.WriteString(`calls c WHERE 1`)
	}
	eq := func(col, v string, partial bool) {
		if v != "" {
			sb.WriteString(` AND c.` + col + ` = ?`)
			args = append(args, v)
			if partial {
				// Lets the planner use the column's partial index (WHERE
				// col != ''): it cannot know that the parameter is not ''.
				sb.WriteString(` AND c.` + col + ` != ''`)
			}
		}
	}
	eq("direction", f.direction, false)
	eq("disposition", f.disposition, false)
	eq("queue", f.queue, true)
	eq("customer", f.customer, true)
	eq("campaign", f.campaign, true)
	if !f.since.IsZero() {
		sb.WriteString(` AND ` + t + `.started_at >= ?`)
		args = append(args, f.since.UnixNano())
	}
	if !f.until.IsZero() {
		sb.WriteString(` AND ` + t + `.started_at < ?`)
		args = append(args, f.until.UnixNano())
	}
	if f.after != nil {
		// A range on started_at the index can seek to, then the tie on id.
		sb.WriteString(` AND ` + t + `.started_at <= ? AND (` + t + `.started_at < ? OR ` + t + `.id < ?)`)
		args = append(args, f.after.started, f.after.started, f.after.id)
	}
	sb.WriteString(` ORDER BY ` + t + `.started_at DESC, ` + t + `.id DESC LIMIT ?`)
	args = append(args, n)
	return sb.String(), args
}
