package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/sealed"
)

// logBuffer captures a dispatcher's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// filesWith lists the files under dir that contain s.
func filesWith(t testing.TB, dir string, s []byte) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(b, s) {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// rawRecord is a record as stored, secrets sealed.
func rawRecord(t testing.TB, d *Dispatcher, id string) subRecord {
	t.Helper()
	e, err := d.st.subs.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("raw record %s: %v", id, err)
	}
	var rec subRecord
	if err := json.Unmarshal(e.Value(), &rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

// checkAllSealed fails when a stored record has a field named like a
// secret whose value is not sealed: a field added to subRecord but not to
// secretFields, or a write that bypasses encodeSub.
func checkAllSealed(t testing.TB, d *Dispatcher) {
	t.Helper()
	ctx := context.Background()
	lister, err := d.st.subs.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for k := range lister.Keys() {
		e, err := d.st.subs.Get(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		var fields map[string]any
		if err := json.Unmarshal(e.Value(), &fields); err != nil {
			t.Fatal(err)
		}
		for name, v := range fields {
			if s, ok := v.(string); ok && s != "" && strings.Contains(name, "secret") && !sealed.IsSealed(s) {
				t.Errorf("subscription %s: %s is stored unsealed", k, name)
			}
		}
	}
}

// TestSecretAtRestAndErased reads the store's files: a created
// subscription's secret is never in them, its sealed form is, and after a
// delete neither is, nor the sealed form of a revision it replaced (here by
// a 410 Gone disabling it), nor is the record left readable.
func TestSecretAtRestAndErased(t *testing.T) {
	tests := []struct {
		name    string
		disable bool
		rotate  bool // the previous secret, kept for the grace period, is sealed too
	}{
		{name: "created then deleted"},
		{name: "disabled then deleted", disable: true},
		{name: "rotated then deleted", rotate: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			cfg := testConfig(t)
			d, err := New(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			sub, err := d.Create(ctx, amigate.SubscriptionRequest{URL: "https://crm.example/" + t.Name(), Secret: testSecret})
			if err != nil {
				t.Fatal(err)
			}
			first := rawRecord(t, d, sub.ID).Secret
			if !sealed.IsSealed(first) {
				t.Fatalf("stored secret %q is not sealed", first)
			}
			seen := []string{first}
			plain := []string{testSecret} // never in the files
			if tt.disable {
				if err := d.disable(ctx, sub.ID); err != nil {
					t.Fatal(err)
				}
				seen = append(seen, rawRecord(t, d, sub.ID).Secret)
			}
			if tt.rotate {
				rotated, err := d.Patch(ctx, sub.ID, amigate.SubscriptionPatch{RotateSecret: true})
				if err != nil {
					t.Fatal(err)
				}
				raw := rawRecord(t, d, sub.ID)
				if !sealed.IsSealed(raw.PrevSecret) || raw.PrevSecret == first {
					t.Fatalf("stored previous secret %q: want sealed anew", raw.PrevSecret)
				}
				if rec, err := d.record(ctx, sub.ID); err != nil || rec.PrevSecret != testSecret || rec.Secret != rotated.Secret {
					t.Fatalf("the rotated record does not open to both secrets: %v", err)
				}
				seen = append(seen, raw.PrevSecret, raw.Secret)
				plain = append(plain, rotated.Secret)
			}
			checkAllSealed(t, d)
			if err := d.Close(ctx); err != nil {
				t.Fatal(err)
			}
			// Closed: everything written is in the files.
			if f := filesWith(t, cfg.DataDir, []byte(seen[len(seen)-1])); len(f) == 0 {
				t.Fatal("the sealed secret is not in the files: the search finds nothing")
			}
			if tt.disable || tt.rotate {
				if f := filesWith(t, cfg.DataDir, []byte(first)); len(f) > 0 {
					t.Errorf("the replaced revision's sealed secret is still in %v", f)
				}
			}
			for _, p := range plain {
				if f := filesWith(t, cfg.DataDir, []byte(p)); len(f) > 0 {
					t.Errorf("a secret in plain text is in %v", f)
				}
			}

			d = open(t, cfg)
			if err := d.Delete(ctx, sub.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := d.Get(ctx, sub.ID); !errors.Is(err, amigate.ErrNotFound) {
				t.Errorf("Get after Delete: %v, want not found", err)
			}
			if h, err := d.st.subs.History(ctx, sub.ID); err == nil {
				for _, e := range h {
					if e.Operation() == jetstream.KeyValuePut {
						t.Errorf("revision %d of the deleted record is still readable", e.Revision())
					}
				}
			}
			if err := d.Close(ctx); err != nil {
				t.Fatal(err)
			}
			for _, s := range append(append(seen, plain...), "https://crm.example/"+t.Name()) {
				if f := filesWith(t, cfg.DataDir, []byte(s)); len(f) > 0 {
					t.Errorf("%.30s... is still in %v after the delete", s, f)
				}
			}
		})
	}
}

// TestSecretsAtStartUp: a store whose secrets the configured key does not
// open, or that holds API subscriptions and no key is configured, stops
// New with an error that names the key and the subscriptions; one with
// only configuration subscriptions starts without a key.
func TestSecretsAtStartUp(t *testing.T) {
	otherKeys := mustKeys(sealed.NewKeyText(), "")
	tests := []struct {
		name   string
		tamper func(t *testing.T, d *Dispatcher, id string) // on the raw store
		keys   *sealed.Keys
		want   string // in New's error; "" for none
	}{
		{name: "same key", keys: testKeys},
		{name: "no key", keys: nil, want: "AMIGATE_SECRETS_KEY is not set and the store holds webhook subscriptions created through the API (%s)"},
		{name: "wrong key", keys: otherKeys, want: "AMIGATE_SECRETS_KEY does not open the secrets of webhook subscriptions %s"},
		{name: "flipped byte", keys: testKeys, want: "does not open the secrets of webhook subscriptions %s", tamper: func(t *testing.T, d *Dispatcher, id string) {
			rec := rawRecord(t, d, id)
			b := []byte(rec.Secret)
			b[len(b)-5] ^= 1 // still base64 (a letter's case or digit changes)
			rec.Secret = string(b)
			putRaw(t, d, id, rec)
		}},
		{name: "moved to another record", keys: testKeys, want: "does not open the secrets of webhook subscriptions wh_0000000000000000", tamper: func(t *testing.T, d *Dispatcher, id string) {
			rec := rawRecord(t, d, id)
			rec.ID = "wh_0000000000000000"
			putRaw(t, d, rec.ID, rec)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			cfg := testConfig(t)
			d := open(t, cfg)
			sub, err := d.Create(ctx, amigate.SubscriptionRequest{URL: "https://crm.example/h", Secret: testSecret})
			if err != nil {
				t.Fatal(err)
			}
			if tt.tamper != nil {
				tt.tamper(t, d, sub.ID)
			}
			if err := d.Close(ctx); err != nil {
				t.Fatal(err)
			}
			cfg.Keys = tt.keys
			d, err = New(ctx, cfg)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				defer d.Close(ctx)
				got, err := d.record(ctx, sub.ID)
				if err != nil || got.Secret != testSecret {
					t.Fatalf("record: secret %q, %v", got.Secret, err)
				}
				return
			}
			if err == nil {
				d.Close(ctx)
				t.Fatal("New: no error")
			}
			want := tt.want
			if strings.Contains(want, "%s") {
				want = strings.ReplaceAll(want, "%s", sub.ID)
			}
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("New: %v, want %q", err, want)
			}
		})
	}

	t.Run("configuration subscriptions only, no key", func(t *testing.T) {
		cfg := testConfig(t, ConfigSubscription{URL: "https://crm.example/hooks", Secret: testSecret})
		cfg.Keys = nil
		d := open(t, cfg)
		// Created through the API: refused, naming the key.
		_, err := d.Create(context.Background(), amigate.SubscriptionRequest{URL: "https://crm.example/h"})
		if !errors.Is(err, amigate.ErrConflict) || !strings.Contains(err.Error(), "AMIGATE_SECRETS_KEY") {
			t.Errorf("Create without a key: %v, want a conflict naming AMIGATE_SECRETS_KEY", err)
		}
	})
}

func putRaw(t testing.TB, d *Dispatcher, key string, rec subRecord) {
	t.Helper()
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.st.subs.Put(context.Background(), key, b); err != nil {
		t.Fatal(err)
	}
}

// TestSecretsKeyRotation: with the new key and the previous one, start-up
// seals every secret again with the new key and says so; the previous key
// is then no longer needed, and alone opens nothing.
func TestSecretsKeyRotation(t *testing.T) {
	ctx := context.Background()
	oldText, newText := sealed.NewKeyText(), sealed.NewKeyText()
	cfg := testConfig(t)
	cfg.Keys = mustKeys(oldText, "")
	d := open(t, cfg)
	sub, err := d.Create(ctx, amigate.SubscriptionRequest{URL: "https://crm.example/h", Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}

	var log logBuffer
	cfg.Keys, cfg.Logger = mustKeys(newText, oldText), log.logger()
	d, err = New(ctx, cfg)
	if err != nil {
		t.Fatalf("New with the previous key: %v", err)
	}
	if !strings.Contains(log.String(), "encrypted again") || !strings.Contains(log.String(), sub.ID) {
		t.Errorf("log %s does not report the secrets sealed again", log.String())
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}

	for _, k := range []struct {
		name string
		keys *sealed.Keys
		ok   bool
	}{{"new key alone", mustKeys(newText, ""), true}, {"old key alone", mustKeys(oldText, ""), false}} {
		cfg.Keys = k.keys
		d, err := New(ctx, cfg)
		if k.ok != (err == nil) {
			t.Fatalf("%s: New: %v", k.name, err)
		}
		if err == nil {
			if got, err := d.record(ctx, sub.ID); err != nil || got.Secret != testSecret {
				t.Errorf("%s: secret %q, %v", k.name, got.Secret, err)
			}
			d.Close(ctx)
		}
	}
}

// TestSecretsMigration: an earlier version's bucket, secrets in plain text,
// is moved at the first start with a key: the subscription keeps working
// (deliveries signed with its secret), the move is logged, and the old
// bucket's files, with the plain text, are gone. Without a key, start-up
// refuses, naming the key.
func TestSecretsMigration(t *testing.T) {
	ctx := context.Background()
	rcv := newReceiver(t, testSecret)
	cfg := testConfig(t)
	legacy := subRecord{ID: "wh_00000000000000aa", URL: rcv.srv.URL, Events: []string{"*"}, Secret: testSecret, Source: sourceAPI, CreatedAt: time.Now().UTC()}
	{
		st, err := openStore(ctx, cfg.withDefaults())
		if err != nil {
			t.Fatal(err)
		}
		kv, err := st.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: legacySubsBucket, Storage: jetstream.FileStorage})
		if err != nil {
			st.close()
			t.Fatal(err)
		}
		b, _ := json.Marshal(legacy)
		if _, err := kv.Put(ctx, legacy.ID, b); err != nil {
			st.close()
			t.Fatal(err)
		}
		// A subscription deleted by the earlier version: its plain text
		// stays in the bucket's files until the bucket goes.
		gone := legacy
		gone.ID, gone.Secret = "wh_00000000000000bb", testSecret2
		b, _ = json.Marshal(gone)
		kv.Put(ctx, gone.ID, b)
		kv.Delete(ctx, gone.ID)
		if _, err := st.stream.CreateOrUpdateConsumer(ctx, consumerConfig(legacy.ID, legacy.Events, cfg.withDefaults())); err != nil {
			st.close()
			t.Fatal(err)
		}
		st.close()
	}

	noKey := cfg
	noKey.Keys = nil
	if d, err := New(ctx, noKey); err == nil {
		d.Close(ctx)
		t.Fatal("New without a key: no error")
	} else if !strings.Contains(err.Error(), "AMIGATE_SECRETS_KEY is not set") || !strings.Contains(err.Error(), legacy.ID) {
		t.Fatalf("New without a key: %v, want AMIGATE_SECRETS_KEY and %s named", err, legacy.ID)
	}

	var log logBuffer
	cfg.Logger = log.logger()
	d := open(t, cfg)
	if !strings.Contains(log.String(), "moved to the encrypted store") || !strings.Contains(log.String(), `"secrets_encrypted":1`) {
		t.Errorf("log %s does not report the move", log.String())
	}
	checkAllSealed(t, d)
	if _, err := d.st.js.KeyValue(ctx, legacySubsBucket); !errors.Is(err, jetstream.ErrBucketNotFound) {
		t.Errorf("the earlier version's bucket: %v, want deleted", err)
	}
	publish(t, d, events("mig", 1, 1))
	waitFor(t, "the delivery signed with the moved secret", 10*time.Second, func() bool { return len(rcv.distinct()) == 1 })
	rcv.checkOrder(t)
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{testSecret, testSecret2} {
		if f := filesWith(t, cfg.DataDir, []byte(s)); len(f) > 0 {
			t.Errorf("plain text %.12s... is still in %v", s, f)
		}
	}
}

// TestRedactedInResponsesAndLogs: credentials in a subscription's URL
// (user information, a token in the query) are in no response and no log
// line, while deliveries go to the URL as given.
func TestRedactedInResponsesAndLogs(t *testing.T) {
	ctx := context.Background()
	rcv := newReceiver(t, testSecret)
	rcv.setStatus(func(amigate.CallEvent) int { return 500 })
	var seen capture
	srv := httptest.NewServer(seen.wrap(http.HandlerFunc(rcv.serve)))
	t.Cleanup(srv.Close)
	base := strings.Replace(srv.URL, "http://", "http://crm:hunter2@", 1)
	var log logBuffer
	cfg := testConfig(t, ConfigSubscription{URL: base + "/cfg?token=cfgtoken42&x=1", Secret: testSecret})
	cfg.Logger = log.logger()
	d := open(t, cfg)

	created, err := d.Create(ctx, amigate.SubscriptionRequest{URL: base + "/api?sig=apisig42", Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.Get(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	list, err := d.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	publish(t, d, events("red", 1, 1))
	// Failing deliveries are logged; wait for a retry of each subscription.
	waitFor(t, "retries logged", 10*time.Second, func() bool {
		return strings.Count(log.String(), "will retry") >= 2
	})
	deliveries, err := listDeliveries(ctx, d, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	shown, _ := json.Marshal([]any{created, got, list, deliveries})
	for _, secret := range []string{"hunter2", "cfgtoken42", "apisig42"} {
		if strings.Contains(string(shown), secret) {
			t.Errorf("a response shows %s: %s", secret, shown)
		}
		if strings.Contains(log.String(), secret) {
			t.Errorf("the log shows %s: %s", secret, log.String())
		}
	}
	if got.URL != strings.Replace(base, "crm:hunter2", "xxxxx", 1)+"/api?sig=xxxxx" {
		t.Errorf("Get: URL %q", got.URL)
	}
	seen.mu.Lock()
	defer seen.mu.Unlock()
	if !slices.Contains(seen.users, "crm:hunter2") || !slices.Contains(seen.queries, "token=cfgtoken42&x=1") || !slices.Contains(seen.queries, "sig=apisig42") {
		t.Errorf("deliveries went to users %q queries %q, want the URLs as given", seen.users, seen.queries)
	}
}

// capture records the credentials requests arrive with.
type capture struct {
	mu             sync.Mutex
	users, queries []string
}

func (c *capture) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, _ := r.BasicAuth()
		c.mu.Lock()
		c.users = append(c.users, u+":"+p)
		c.queries = append(c.queries, r.URL.RawQuery)
		c.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}
