package server

import (
	"testing"
	"time"
)

// TestLogSampler: a client's first warning is logged, the next within a
// minute are counted, and the first after the minute is logged with that
// count; each client is sampled on its own.
func TestLogSampler(t *testing.T) {
	var l logSampler
	t0 := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	steps := []struct {
		client      string
		at          time.Duration
		logged      bool
		skippedWant int
	}{
		{"203.0.113.7", 0, true, 0},
		{"203.0.113.7", time.Second, false, 0},
		{"198.51.100.1", 2 * time.Second, true, 0},
		{"203.0.113.7", 30 * time.Second, false, 0},
		{"203.0.113.7", 59 * time.Second, false, 0},
		{"203.0.113.7", 61 * time.Second, true, 3},
		{"203.0.113.7", 62 * time.Second, false, 0},
		{"198.51.100.1", 3 * time.Minute, true, 0},
	}
	for i, s := range steps {
		logged, skipped := l.admit(s.client, t0.Add(s.at))
		if logged != s.logged || skipped != s.skippedWant {
			t.Errorf("step %d (%s at %v): logged %v with %d skipped; want %v with %d", i, s.client, s.at, logged, skipped, s.logged, s.skippedWant)
		}
	}
}
