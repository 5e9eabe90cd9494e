package campaign

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrNoKey is what a KV answers for a key it does not hold.
var ErrNoKey = errors.New("campaign: no such key")

// KV is the durable store the dialer needs: the same JetStream that holds
// the webhook outbox (NewKV), or a map in tests. A Put returns once the
// value is stored: the dialer records an attempt before it dials.
type KV interface {
	Get(ctx context.Context, key string) ([]byte, error)
	Put(ctx context.Context, key string, value []byte) error
	Delete(ctx context.Context, key string) error
	// Keys lists the keys under prefix (which ends with ".").
	Keys(ctx context.Context, prefix string) ([]string, error)
}

// Bucket is the JetStream key-value bucket of the campaigns.
const Bucket = "amigate_campaigns"

// NewKV opens (creating it when absent) the campaigns' bucket in js.
func NewKV(ctx context.Context, js jetstream.JetStream) (KV, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      Bucket,
		Description: "amigate outbound campaigns and their contacts' attempts",
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("campaign: create bucket: %w", err)
	}
	return natsKV{kv}, nil
}

type natsKV struct{ kv jetstream.KeyValue }

func (s natsKV) Get(ctx context.Context, key string) ([]byte, error) {
	e, err := s.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, ErrNoKey
	}
	if err != nil {
		return nil, err
	}
	return e.Value(), nil
}

func (s natsKV) Put(ctx context.Context, key string, value []byte) error {
	_, err := s.kv.Put(ctx, key, value)
	return err
}

func (s natsKV) Delete(ctx context.Context, key string) error {
	err := s.kv.Purge(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	return err
}

func (s natsKV) Keys(ctx context.Context, prefix string) ([]string, error) {
	l, err := s.kv.ListKeysFiltered(ctx, prefix+">")
	if err != nil {
		return nil, err
	}
	// The lister may report a key twice while it is written to.
	seen := make(map[string]bool)
	var out []string
	for k := range l.Keys() {
		if strings.HasPrefix(k, prefix) && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	_ = l.Stop()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
