#!/usr/bin/env python3
"""Independent cross-check of the figures the Go tests of package consistency
hard-code. Plain Python 3, standard library only; the Go tests do not run it.

    python3 testdata/crosscheck.py

Kappa: p_o, p_e, kappa and both Fleiss-Cohen-Everitt (1969) variances are
computed in exact rational arithmetic (fractions.Fraction); only the square
roots are taken in floating point. The variance is written here in its
expanded form, Var = (A - B) / (n (1 - p_e)^4) with A the sum over cells and
B = (p_o p_e - 2 p_e + p_o)^2, as in the paper.

Selection: SHA-256 stream derivation, the 128-bit PCG with DXSM output (the
generator of Go's math/rand/v2), rejection sampling of a bounded integer and
a partial Fisher-Yates shuffle, written from their definitions.
"""

import hashlib
import math
from fractions import Fraction as F

Z95 = 1.959963984540054


def identity(k):
    return [[F(1) if i == j else F(0) for j in range(k)] for i in range(k)]


def linear(k):
    return [[1 - F(abs(i - j), k - 1) for j in range(k)] for i in range(k)]


def quadratic(k):
    return [[1 - F((i - j) ** 2, (k - 1) ** 2) for j in range(k)] for i in range(k)]


def from_disagreement(v):
    """Agreement weights 1 - v/max(v) from Cohen's (1968) disagreement weights."""
    top = max(max(r) for r in v)
    return [[1 - F(x, top) for x in r] for r in v]


def kappa(counts, w):
    k = len(counts)
    n = sum(sum(r) for r in counts)
    p = [[F(c, n) for c in r] for r in counts]
    rows = [sum(p[i]) for i in range(k)]
    cols = [sum(p[i][j] for i in range(k)) for j in range(k)]
    po = sum(w[i][j] * p[i][j] for i in range(k) for j in range(k))
    pe = sum(w[i][j] * rows[i] * cols[j] for i in range(k) for j in range(k))
    value = (po - pe) / (1 - pe)
    wr = [sum(cols[j] * w[i][j] for j in range(k)) for i in range(k)]
    wc = [sum(rows[i] * w[i][j] for i in range(k)) for j in range(k)]
    a = sum(p[i][j] * (w[i][j] * (1 - pe) - (wr[i] + wc[j]) * (1 - po)) ** 2
            for i in range(k) for j in range(k))
    b = (po * pe - 2 * pe + po) ** 2
    var = (a - b) / (n * (1 - pe) ** 4)
    a0 = sum(rows[i] * cols[j] * (w[i][j] - (wr[i] + wc[j])) ** 2
             for i in range(k) for j in range(k))
    var0 = (a0 - pe ** 2) / (n * (1 - pe) ** 2)
    se = math.sqrt(max(float(var), 0.0))
    se0 = math.sqrt(max(float(var0), 0.0))
    v = float(value)
    return {
        "po": float(po), "pe": float(pe), "kappa": v, "se": se,
        "lo": max(v - Z95 * se, -1.0), "hi": min(v + Z95 * se, 1.0),
        "se0": se0, "z": v / se0 if se0 > 0 else 0.0,
    }


TABLES = {
    # Kavanagh et al. (2009), BMC Cancer 9:1, table 2.
    "kavanagh2009": [[7, 1, 0], [0, 8, 0], [0, 0, 2]],
    # A SAS PROC FREQ AGREE printout recorded in statsmodels' tests.
    "sas": [[0, 4, 1], [0, 8, 0], [0, 1, 5]],
    # Cohen (1968), table 1: the proportions times N = 200.
    "cohen1968": [[88, 14, 18], [10, 40, 10], [2, 6, 12]],
    # Agresti (2002), table 10.5: pathologists A (rows) and B, 118 slides.
    "agresti2002": [[22, 2, 2, 0, 0], [5, 7, 14, 0, 0], [0, 2, 36, 0, 0],
                    [0, 1, 14, 7, 0], [0, 0, 3, 0, 3]],
    # Fleiss, Cohen and Everitt's (1969) 3x3 table with their weights.
    "fce1969": [[106, 10, 4], [22, 28, 10], [2, 12, 6]],
    # The scale-with-an-unordered-code case of the Go tests: three ordered
    # groups then one unordered code.
    "unordered": [[10, 2, 0, 1], [1, 12, 3, 0], [0, 2, 9, 1], [1, 0, 1, 4]],
}

CASES = [
    ("kavanagh2009", "unweighted", identity(3)),
    ("kavanagh2009", "quadratic", quadratic(3)),
    ("sas", "unweighted", identity(3)),
    ("sas", "linear", linear(3)),
    ("sas", "quadratic", quadratic(3)),
    ("cohen1968", "unweighted", identity(3)),
    ("cohen1968", "cohen v=1,3,6",
     from_disagreement([[0, 1, 3], [1, 0, 6], [3, 6, 0]])),
    ("cohen1968", "cohen asymmetric",
     from_disagreement([[0, 1, 4], [1, 0, 6], [2, 2, 0]])),
    ("agresti2002", "unweighted", identity(5)),
    ("agresti2002", "linear", linear(5)),
    ("agresti2002", "quadratic", quadratic(5)),
    ("fce1969", "fce weights",
     [[F(1), F(0), F(4, 9)], [F(0), F(1), F(6, 9)], [F(4, 9), F(6, 9), F(1)]]),
    ("unordered", "quadratic+unordered",
     [[F(1), F(3, 4), F(0), F(0)], [F(3, 4), F(1), F(3, 4), F(0)],
      [F(0), F(3, 4), F(1), F(0)], [F(0), F(0), F(0), F(1)]]),
]

MASK64 = (1 << 64) - 1
MUL = (2549297995355413924 << 64) | 4865540595714422341
INC = (6364136223846793005 << 64) | 1442695040888963407
CHEAP_MUL = 0xDA942042E4DD58B5


class PCG:
    def __init__(self, hi, lo):
        self.state = (hi << 64) | lo

    def uint64(self):
        self.state = (self.state * MUL + INC) & ((1 << 128) - 1)
        hi, lo = self.state >> 64, self.state & MASK64
        hi ^= hi >> 32
        hi = (hi * CHEAP_MUL) & MASK64
        hi ^= hi >> 48
        hi = (hi * (lo | 1)) & MASK64
        return hi


def stream(seed, name):
    digest = hashlib.sha256(
        b"millwa/consistency/select/v1" + b"\x00" + seed.to_bytes(8, "big") + name.encode()
    ).digest()
    return PCG(int.from_bytes(digest[0:8], "big"), int.from_bytes(digest[8:16], "big"))


def uniform(src, n):
    threshold = (1 << 64) % n
    while True:
        x = src.uint64()
        if x >= threshold:
            return x % n


def select(seed, name, candidates, k):
    pool = sorted(candidates, key=lambda s: s.encode())
    src = stream(seed, name)
    for i in range(k):
        j = i + uniform(src, len(pool) - i)
        pool[i], pool[j] = pool[j], pool[i]
    return pool[:k]


SELECTIONS = [
    (20260501, "associations/a1/classifiers/c1", ["lot-%03d" % i for i in range(1, 51)], 8),
    (0, "", ["c", "a", "b"], 3),
    ((1 << 64) - 1, "associations/a2/classifiers/c9", ["lot-%03d" % i for i in range(1, 1001)], 13),
]


def main():
    for table, label, w in CASES:
        r = kappa(TABLES[table], w)
        print("%-13s %-20s " % (table, label) + " ".join("%s=%.6f" % kv for kv in r.items()))
    for seed, name, cands, k in SELECTIONS:
        print("select seed=%d stream=%r n=%d k=%d: %s" % (seed, name, len(cands), k, select(seed, name, cands, k)))


if __name__ == "__main__":
    main()
