package auth

import (
	"sync"
	"time"
)

// maxDigests bounds how many presented secrets' digests are remembered, so
// that a stream of guesses cannot grow the cache without end. When it is
// full and nothing has lapsed, new digests are not remembered: the rate
// limit, charged before any lookup, still bounds the database reads.
const maxDigests = 100_000

// digestCache remembers, by the SHA-256 of a presented secret, either the
// key it authenticated as (to charge the key's rate bucket before reading
// the database on the next call) or why it was refused (to refuse it again
// without reading the database until the entry lapses). A good entry never
// lets a call through by itself: the key is still read on every call, so
// that revocation takes effect at once.
type digestCache struct {
	mu      sync.Mutex
	entries map[[32]byte]digestEntry
}

type digestEntry struct {
	keyID  string // of a key that authenticated; "" for a refused secret
	reason string // why a refused secret was refused
	until  time.Time
}

// knownKey returns the id of the key the digest last authenticated as.
func (c *digestCache) knownKey(d [32]byte, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[d]
	if !ok || e.keyID == "" || now.After(e.until) {
		return "", false
	}
	return e.keyID, true
}

// refused reports whether the digest was refused lately, and why.
func (c *digestCache) refused(d [32]byte, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[d]
	if !ok || e.keyID != "" || now.After(e.until) {
		return "", false
	}
	return e.reason, true
}

// accept remembers that the digest authenticated as key id, for as long as
// an idle rate bucket is kept.
func (c *digestCache) accept(d [32]byte, id string, now time.Time) {
	c.put(d, digestEntry{keyID: id, until: now.Add(idleBucket)})
}

// refuse remembers that the digest was refused, until until.
func (c *digestCache) refuse(d [32]byte, reason string, until time.Time) {
	c.put(d, digestEntry{reason: reason, until: until})
}

// put stores e, first dropping lapsed entries when the cache is full.
func (c *digestCache) put(d [32]byte, e digestEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[d]; !ok && len(c.entries) >= maxDigests {
		now := time.Now()
		for k, old := range c.entries {
			if now.After(old.until) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= maxDigests {
			return
		}
	}
	c.entries[d] = e
}
