package consistency

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
)

// streamTag separates this package's use of SHA-256 from any other, and
// versions the derivation: a change to Select's algorithm must change it.
const streamTag = "millwa/consistency/select/v1"

// newStream returns the random stream of one (seed, stream) pair: a PCG
// (math/rand/v2; the 128-bit PCG with DXSM output, whose sequence for a
// given state is fixed) whose two state words are the first and second
// 8 bytes, big-endian, of
//
//	SHA-256(streamTag ‖ 0x00 ‖ seed as 8 bytes big-endian ‖ stream)
//
// The seed has a fixed width, so the concatenation is unambiguous.
func newStream(seed uint64, stream string) *rand.PCG {
	h := sha256.New()
	h.Write([]byte(streamTag))
	h.Write([]byte{0})
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	h.Write([]byte(stream))
	sum := h.Sum(nil)
	return rand.NewPCG(binary.BigEndian.Uint64(sum[0:8]), binary.BigEndian.Uint64(sum[8:16]))
}

// uniform draws an integer uniformly from [0, n), n ≥ 1, by rejection: it
// takes 64-bit outputs of src until one is at least 2⁶⁴ mod n and returns it
// mod n. The method is spelled out here, rather than left to
// math/rand/v2's Rand.IntN, so that the sample depends only on the PCG
// sequence and this file.
func uniform(src *rand.PCG, n uint64) uint64 {
	threshold := -n % n // 2⁶⁴ mod n in uint64 arithmetic
	for {
		if x := src.Uint64(); x >= threshold {
			return x % n
		}
	}
}

// Select draws k of the candidates at random, reproducibly: the same seed,
// stream and candidate set always give the same sample in the same order,
// on any platform.
//
// The candidates are first sorted byte-wise (a copy; the caller's slice is
// not changed), so their order as passed does not matter; they must be
// distinct. The draw is a partial Fisher–Yates shuffle of the sorted list:
// for i = 0 … k−1, swap position i with position i + uniform(n − i). The
// result is in draw order; sort it for display.
//
// The random stream is derived from the seed and the stream id alone (see
// newStream). Use the classifier's id as the stream: each classifier's
// sample then depends only on the seed, its id and its own lots, never on
// the other classifiers. And because the shuffle's first k positions do not
// depend on k, the sample of k lots is the first k lots of any larger
// sample with the same inputs: a tightened sample contains the normal one,
// which contains the reduced one.
//
// A service seed held as a signed 64-bit integer is converted with
// uint64(seed), its two's-complement bits.
func Select(seed uint64, stream string, candidates []string, k int) ([]string, error) {
	n := len(candidates)
	if k < 0 || k > n {
		return nil, fmt.Errorf("%w: %d of %d", ErrSampleSize, k, n)
	}
	pool := slices.Clone(candidates)
	slices.Sort(pool)
	for i := 1; i < n; i++ {
		if pool[i] == pool[i-1] {
			return nil, fmt.Errorf("%w: %q", ErrDuplicateCandidate, pool[i])
		}
	}
	src := newStream(seed, stream)
	for i := range k {
		j := i + int(uniform(src, uint64(n-i)))
		pool[i], pool[j] = pool[j], pool[i]
	}
	return slices.Clip(pool[:k]), nil
}
