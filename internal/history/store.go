package history

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver, "sqlite"

	"github.com/amigate/amigate"
)

// Store is the local read model of the call history: an SQLite database
// (pure Go, no cgo) holding every ended call the feed has applied, and the
// feed's position in the stream it comes from. It is safe for concurrent
// use; writes come from one feed.
type Store struct {
	db *sql.DB
}

// Open opens (creating if needed) the database at path. WAL lets queries
// run while the feed writes; synchronous=NORMAL may lose the last commits
// on a power cut, which the feed then applies again from the stream (the
// position is committed with the calls).
func Open(path string) (*Store, error) {
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("history: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("history: create schema in %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// record is one ended call as stored: its indexed fields and its JSON.
type record struct {
	id          string
	startedAt   time.Time
	endedAt     time.Time
	direction   string
	disposition string
	queue       string
	customer    string // customerKey of the number
	campaign    string
	exts        []string
	body        []byte
}

// position is where the feed is in its stream: the stream's identity (its
// creation time, so that a stream deleted and made again is noticed) and
// the sequence of the last message applied.
type position struct {
	stream string
	seq    uint64
}

// position returns the feed's position; the zero position when nothing
// was applied.
func (s *Store) position(ctx context.Context) (position, error) {
	var p position
	rows, err := s.db.QueryContext(ctx, `SELECT key, value FROM meta WHERE key IN ('stream', 'seq')`)
	if err != nil {
		return p, fmt.Errorf("history: read position: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return p, fmt.Errorf("history: read position: %w", err)
		}
		switch k {
		case "stream":
			p.stream = v
		case "seq":
			if p.seq, err = strconv.ParseUint(v, 10, 64); err != nil {
				return p, fmt.Errorf("history: stored sequence %q: %w", v, err)
			}
		}
	}
	return p, rows.Err()
}

// reset forgets every call and starts over at the beginning of stream.
func (s *Store) reset(ctx context.Context, stream string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM call_exts`, `DELETE FROM calls`, `DELETE FROM meta`} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return setPosition(ctx, tx, position{stream: stream})
	})
}

// apply stores recs (a call stored again replaces its earlier row) and
// moves the position to pos, in one transaction.
func (s *Store) apply(ctx context.Context, pos position, recs []record) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		del, err := tx.PrepareContext(ctx, `DELETE FROM calls WHERE id = ?`)
		if err != nil {
			return err
		}
		defer del.Close()
		ins, err := tx.PrepareContext(ctx, `INSERT INTO calls
			(id, started_at, ended_at, direction, disposition, queue, customer, campaign, exts, body)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		ext, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO call_exts (ext, started_at, id, call) VALUES (?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer ext.Close()
		for i := range recs {
			r := &recs[i]
			exts, err := json.Marshal(r.exts)
			if err != nil {
				return err
			}
			if _, err := del.ExecContext(ctx, r.id); err != nil {
				return err
			}
			started := r.startedAt.UnixNano()
			res, err := ins.ExecContext(ctx, r.id, started, r.endedAt.UnixNano(), r.direction, r.disposition,
				r.queue, r.customer, r.campaign, string(exts), r.body)
			if err != nil {
				return err
			}
			rowid, err := res.LastInsertId()
			if err != nil {
				return err
			}
			for _, e := range r.exts {
				if _, err := ext.ExecContext(ctx, e, started, r.id, rowid); err != nil {
					return err
				}
			}
		}
		return setPosition(ctx, tx, pos)
	})
}

func setPosition(ctx context.Context, tx *sql.Tx, p position) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('stream', ?), ('seq', ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, p.stream, strconv.FormatUint(p.seq, 10))
	return err
}

// Prune deletes the calls that ended before cut and returns how many.
func (s *Store) Prune(ctx context.Context, cut time.Time) (int64, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM calls WHERE ended_at < ?`, cut.UnixNano())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// Get returns the stored call with the given id.
func (s *Store) Get(ctx context.Context, id string) (amigate.Call, error) {
	var body []byte
	err := s.db.QueryRowContext(ctx, `SELECT body FROM calls WHERE id = ?`, id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return amigate.Call{}, amigate.Errorf(amigate.ErrNotFound, "call %q not found", id)
	}
	if err != nil {
		return amigate.Call{}, fmt.Errorf("history: get call %q: %w", id, err)
	}
	var c amigate.Call
	if err := json.Unmarshal(body, &c); err != nil {
		return amigate.Call{}, fmt.Errorf("history: stored call %q: %w", id, err)
	}
	return c, nil
}

// Count returns the number of calls stored.
func (s *Store) Count(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM calls`).Scan(&n); err != nil {
		return 0, fmt.Errorf("history: count: %w", err)
	}
	return n, nil
}

func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("history: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return fmt.Errorf("history: write: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("history: commit: %w", err)
	}
	return nil
}
