#!/usr/bin/env python3
"""Reference metrics for the histograms of metrics_test.go (TestComputeHistogramReference).

The expected numbers in that test were produced by running this script
(python3 internal/grading/testdata/reference_metrics.py) and copying its
output. It shares no code with the Go package: it computes with exact
fractions from the definitions in shared/domain/STANDARDS.md and only turns
the results into floats at the end.

  class midpoint   d_i = start + (i + 0.5) * width
  N                = sum n_i
  MFD              = sum n_i d_i / N
  SD               = sqrt(sum n_i (d_i - MFD)^2 / (N - 1))      (N >= 2)
  CV %             = SD / MFD * 100
  comfort factor   = 100 - 100 * (fibres over 30.5 um) / N, the fibres of a
                     class [lo, lo + width) spread evenly across it, so a
                     class straddling 30.5 um counts the share above it
  spinning fineness= 0.881 * MFD * sqrt(1 + 5 (CV / 100)^2)     (Butler and Dolling)
  95 % interval    = MFD -/+ 1.96 * SD / sqrt(N)
"""
from fractions import Fraction as F
import math

HISTOGRAMS = {
    # 1,130 fibres in 1 um classes from 9.5 um, a triangle centred on 21 um
    # (the histogram of the service's contract test).
    "triangle-21": ("9.5", "1", [max(0, 130 - 15 * abs(i - 11)) if abs(i - 11) <= 8 else 0 for i in range(40)]),
    # 2 um classes from 9 um: the class 29-31 um straddles 30.5 um and
    # counts a quarter of its fibres as prickly.
    "wide-classes": ("9", "2", [3, 10, 45, 120, 260, 410, 380, 300, 210, 150, 90, 60, 30, 15, 8, 4, 2]),
    # A log-normal sample (median 24 um, sigma 0.2) of 1,975 fibres in
    # 0.5 um classes from 15.25 um.
    "lognormal-24": ("15.25", "0.5", [12, 16, 21, 27, 33, 39, 46, 53, 60, 66, 71, 76, 80, 82, 84, 85, 84, 83, 81, 78,
                                     75, 71, 67, 62, 58, 53, 48, 44, 40, 36, 32, 28, 25, 22, 19, 17, 15, 13, 11, 10,
                                     8, 7, 6, 5, 4, 4, 3, 3, 2, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0, 0]),
    # A coarse, bimodal lot: fine and huarizo fibre mixed.
    "bimodal": ("14", "1.5", [5, 40, 160, 300, 260, 120, 60, 40, 60, 140, 220, 180, 90, 30, 8, 2]),
}

# Summary values (MFD, SD, N) as a test report gives them: the issue's
# contract example and the borderline example.
SUMMARIES = {
    "contract": (22.4, 4.1, 2000),
    "borderline": (22.9, 4.1, 200),
}


def summary(mfd, sd, n):
    cv = sd / mfd * 100
    sf = 0.881 * mfd * math.sqrt(1 + 5 * (cv / 100) ** 2)
    half = 1.96 * sd / math.sqrt(n)
    return {"CV": cv, "SF": sf, "Low": mfd - half, "High": mfd + half}


def metrics(start, width, counts):
    start, width = F(start), F(width)
    mids = [start + (i + F(1, 2)) * width for i in range(len(counts))]
    n = sum(counts)
    mfd = sum(c * d for c, d in zip(counts, mids)) / n
    limit = F(61, 2)

    def above(i):
        lo = start + i * width
        if lo >= limit:
            return F(1)
        if lo + width <= limit:
            return F(0)
        return (lo + width - limit) / width

    comfort = F(100) - F(100) * sum(c * above(i) for i, c in enumerate(counts)) / n
    out = {"N": n, "MFD": float(mfd), "CF": float(comfort)}
    if n >= 2:
        var = sum(c * (d - mfd) ** 2 for c, d in zip(counts, mids)) / (n - 1)
        sd = math.sqrt(var)
        cv = sd / float(mfd) * 100
        sf = 0.881 * float(mfd) * math.sqrt(1 + 5 * (cv / 100) ** 2)
        half = 1.96 * sd / math.sqrt(n)
        out.update(SD=sd, CV=cv, SF=sf, Low=float(mfd) - half, High=float(mfd) + half)
    return out


if __name__ == "__main__":
    for name, (start, width, counts) in HISTOGRAMS.items():
        m = metrics(start, width, counts)
        print(name, " ".join(f"{k}={v:.6f}" if isinstance(v, float) else f"{k}={v}" for k, v in m.items()))
    for name, (mfd, sd, n) in SUMMARIES.items():
        print(name, " ".join(f"{k}={v:.6f}" for k, v in summary(mfd, sd, n).items()))
