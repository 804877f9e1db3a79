package store_test

import (
	"bytes"
	"sync"
	"testing"

	"github.com/millwa/millwa/internal/store/storetest"
)

// TestPageTokenKeyShared checks that every replica of a database gets the
// same page token key, even when they ask at the same moment, and that it
// is a fresh 256-bit secret for each database.
func TestPageTokenKeyShared(t *testing.T) {
	t.Parallel()
	keys := map[string][]byte{}
	var mu sync.Mutex
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		a, b := storetest.NewStore(t, url), storetest.NewStore(t, url)
		got := make([][]byte, 8)
		var wg sync.WaitGroup
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := a
				if i%2 == 1 {
					s = b
				}
				k, err := s.PageTokenKey(t.Context())
				if err != nil {
					t.Errorf("replica %d: %v", i%2, err)
				}
				got[i] = k
			}()
		}
		wg.Wait()
		if len(got[0]) != 32 {
			t.Fatalf("key has %d bytes, want 32", len(got[0]))
		}
		for i, k := range got {
			if !bytes.Equal(k, got[0]) {
				t.Errorf("call %d got key %x, call 0 got %x", i, k, got[0])
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for other, k := range keys {
			if bytes.Equal(k, got[0]) {
				t.Errorf("the key of %s is the key of %s", t.Name(), other)
			}
		}
		keys[t.Name()] = got[0]
	})
}
