package matching

import (
	"strconv"
	"testing"
)

// TestMayRepeatAcrossParts checks mayRepeat on lists long enough to be
// split into many parts: distinct ids are never taken for repeats, and a
// repeat is caught wherever its two copies are.
func TestMayRepeatAcrossParts(t *testing.T) {
	t.Parallel()
	for _, n := range []int{2, 4095, 4096, 50_000} {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = "L" + strconv.Itoa(i*7919)
		}
		id := func(i int) string { return ids[i] }
		if mayRepeat(n, id) {
			t.Errorf("%d distinct ids taken for a repeat", n)
		}
		for _, pair := range [][2]int{{0, n - 1}, {n / 2, n/2 + 1}, {n - 2, n - 1}, {1, n / 3}} {
			a, b := pair[0], pair[1]
			if a == b || b >= n {
				continue
			}
			saved := ids[b]
			ids[b] = ids[a]
			if !mayRepeat(n, id) {
				t.Errorf("%d ids, id %d repeated at %d: not caught", n, a, b)
			}
			ids[b] = saved
		}
	}
	if mayRepeat(0, nil) || mayRepeat(1, func(int) string { return "x" }) {
		t.Error("fewer than two ids taken for a repeat")
	}
}
