package feed

import (
	"sync"
	"time"

	"github.com/millwa/millwa/internal/millwa"
)

// streamRetryDelay is when a client refused for too many streams is told
// to try again: streams are long-lived, so a slot seldom frees sooner.
const streamRetryDelay = 30 * time.Second

// Limits counts a replica's open streams by key and in all, so that one
// client cannot take every slot and the replica keeps answering.
type Limits struct {
	perKey, total int

	mu    sync.Mutex
	count int
	byKey map[string]int
}

// NewLimits returns limits of perKey open streams for one key and total
// in all; 0 is no limit.
func NewLimits(perKey, total int) *Limits {
	return &Limits{perKey: perKey, total: total, byKey: map[string]int{}}
}

// Open admits one more stream of key, or answers ResourceExhausted saying
// which cap was reached and what to do; release ends the stream's count.
func (l *Limits) Open(key string) (release func(), err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.perKey > 0 && l.byKey[key] >= l.perKey:
		return nil, millwa.Wrap(millwa.ResourceExhausted, millwa.RetryAfter(streamRetryDelay),
			"this API key has %d market event streams open, the most one key may hold: close one it no longer reads (one stream carries every event type it asks for), or retry in %v",
			l.byKey[key], streamRetryDelay)
	case l.total > 0 && l.count >= l.total:
		return nil, millwa.Wrap(millwa.ResourceExhausted, millwa.RetryAfter(streamRetryDelay),
			"this server holds %d market event streams, the most it takes: retry in %v, or against another replica", l.count, streamRetryDelay)
	}
	l.count++
	l.byKey[key]++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.count--
			if l.byKey[key]--; l.byKey[key] == 0 {
				delete(l.byKey, key)
			}
		})
	}, nil
}
