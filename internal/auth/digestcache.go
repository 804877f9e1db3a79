package auth

import (
	"sync"
	"time"

	"github.com/millwa/millwa/internal/millwa"
)

// maxDigests bounds how many presented secrets' digests are remembered, so
// that a stream of guesses cannot grow the cache without end. When it is
// full and nothing has lapsed, new digests are not remembered: the rate
// limit, charged before any lookup, still bounds the database reads.
const maxDigests = 100_000

// digestCache remembers, by the SHA-256 of a presented secret, either the
// key it authenticated as or why it was refused. An accepted digest keeps
// the key's id (to charge the key's rate bucket before reading the
// database on the next call) for as long as an idle bucket lives, and the
// principal verified from the database for a much shorter while (the
// authenticator's principal TTL, and never past the key's expiry), during
// which calls are authenticated from memory. A refused digest is refused
// again without reading the database until its entry lapses.
//
// Every change this replica makes to a key (a revocation, a creation)
// moves the cache's epoch on: a lookup that read the database before the
// change and finishes after it does not store what it read, so a stale
// answer can never be put back into the cache after it was evicted.
type digestCache struct {
	mu      sync.Mutex
	entries map[[32]byte]digestEntry
	// byKey finds the digest of a key id, for evicting a revoked key.
	byKey map[string][32]byte
	epoch uint64
}

type digestEntry struct {
	keyID  string // of a key that authenticated; "" for a refused secret
	reason string // why a refused secret was refused
	until  time.Time

	// Of a key that authenticated: the key and principal read from the
	// database, trusted without reading it again before verifiedUntil.
	key           millwa.APIKey
	principal     millwa.Principal
	verifiedUntil time.Time
}

func newDigestCache() digestCache {
	return digestCache{entries: map[[32]byte]digestEntry{}, byKey: map[string][32]byte{}}
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

// verified returns the principal and key that the digest was last verified
// as, when that was recent enough to trust and the key is still active at
// now by its own times (so that expiry takes effect to the instant).
func (c *digestCache) verified(d [32]byte, now time.Time) (millwa.Principal, millwa.APIKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[d]
	if !ok || e.keyID == "" || !now.Before(e.verifiedUntil) || !e.key.Active(now) {
		return millwa.Principal{}, millwa.APIKey{}, false
	}
	return e.principal, e.key, true
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

// currentEpoch is the epoch a lookup starts in, to hand to accept or
// refuse when it ends.
func (c *digestCache) currentEpoch() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch
}

// accept remembers that the digest authenticated as key with principal p,
// verified at now: the key's id for as long as an idle rate bucket is
// kept, the principal until now+ttl or the key's expiry, whichever comes
// first. Nothing is stored when a key changed on this replica since epoch.
func (c *digestCache) accept(d [32]byte, p millwa.Principal, key millwa.APIKey, now time.Time, ttl time.Duration, epoch uint64) {
	verifiedUntil := now.Add(ttl)
	if !key.ExpireTime.IsZero() && key.ExpireTime.Before(verifiedUntil) {
		verifiedUntil = key.ExpireTime
	}
	c.put(d, digestEntry{keyID: key.ID, until: now.Add(idleBucket), key: key, principal: p, verifiedUntil: verifiedUntil}, epoch)
}

// refuse remembers that the digest was refused, until until, unless a key
// changed on this replica since epoch.
func (c *digestCache) refuse(d [32]byte, reason string, until time.Time, epoch uint64) {
	c.put(d, digestEntry{reason: reason, until: until}, epoch)
}

// forgetKey stops trusting what was verified of the key with the given id
// (it was revoked here), so that its next call reads the database. The
// digest's rate bucket stays with the key.
func (c *digestCache) forgetKey(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	d, ok := c.byKey[id]
	if !ok {
		return
	}
	if e, ok := c.entries[d]; ok && e.keyID == id {
		e.verifiedUntil = time.Time{}
		c.entries[d] = e
	}
}

// forgetRefusal drops a refusal of the digest (a key with it was just
// created here), so that the key's first call reads the database.
func (c *digestCache) forgetRefusal(d [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	if e, ok := c.entries[d]; ok && e.keyID == "" {
		delete(c.entries, d)
	}
}

// put stores e unless the epoch moved on since epoch, first dropping
// lapsed entries when the cache is full.
func (c *digestCache) put(d [32]byte, e digestEntry, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if epoch != c.epoch {
		return
	}
	if _, ok := c.entries[d]; !ok && len(c.entries) >= maxDigests {
		now := time.Now()
		for k, old := range c.entries {
			if now.After(old.until) {
				c.drop(k, old)
			}
		}
		if len(c.entries) >= maxDigests {
			return
		}
	}
	if old, ok := c.entries[d]; ok && old.keyID != "" && old.keyID != e.keyID {
		c.drop(d, old)
	}
	c.entries[d] = e
	if e.keyID != "" {
		c.byKey[e.keyID] = d
	}
}

// drop deletes the entry of d, which is old, with its index.
func (c *digestCache) drop(d [32]byte, old digestEntry) {
	delete(c.entries, d)
	if old.keyID != "" && c.byKey[old.keyID] == d {
		delete(c.byKey, old.keyID)
	}
}
