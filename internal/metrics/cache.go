package metrics

import (
	"strconv"
	"sync"
)

// cache keeps the children of a vector already bound to their labels: a
// read-locked map lookup with a comparable key does not allocate, where
// WithLabelValues hashes its labels and takes the vector's lock each time.
type cache[K comparable, V any] struct {
	mu   sync.RWMutex
	m    map[K]V
	make func(K) V
}

func (c *cache[K, V]) get(k K) V {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return v
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.m[k]; ok {
		return v
	}
	if c.m == nil {
		c.m = make(map[K]V)
	}
	v = c.make(k)
	c.m[k] = v
	return v
}

// statusText is the status label: the code as decimal.
func statusText(code int) string { return strconv.Itoa(code) }
