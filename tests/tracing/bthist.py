#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check a bpftrace log2 histogram printed at exit (tests/tracing).

  bthist.py OUT MAP COUNT [MAX_NS]

MAP is the map's name as printed (@name, or @name[*] for every key).
Passes when the histograms of MAP hold exactly COUNT values in all, none
in a negative bucket, and every bucket ends at or below MAX_NS (default
2^30 ns, the bucket ending just above one second).  Prints what it saw.
"""
import re
import sys

UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def bound(text):
    m = re.fullmatch(r"(\d+)([KMGT]?)", text.strip())
    if not m:
        raise ValueError("bucket bound %r" % text)
    return int(m.group(1)) * UNITS[m.group(2)]


def buckets(path, want):
    """(key, lower, upper, count) for every bucket line of the map(s)."""
    prefix = want[:-3] + "[" if want.endswith("[*]") else want + ":"
    cur, out = None, []
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("@"):
            cur = line.split(":")[0] if line.startswith(prefix) else None
            continue
        if cur is None:
            continue
        m = re.match(r"^(\(\.\.\., 0\)|\[[^\]\)]*[\]\)])\s+(\d+)\s+\|", line)
        if not m:
            continue
        b, n = m.group(1), int(m.group(2))
        if b.startswith("(..."):
            lo = hi = -1
        elif "," in b:
            lo, hi = (bound(x) for x in b[1:-1].split(","))
        else:
            lo = hi = bound(b[1:-1])
        out.append((cur, lo, hi, n))
    return out


def main():
    path, want, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    max_ns = int(sys.argv[4]) if len(sys.argv) > 4 else 1 << 30
    bs = [b for b in buckets(path, want) if b[3]]
    total = sum(b[3] for b in bs)
    neg = sum(b[3] for b in bs if b[1] < 0)
    top = max((b[2] for b in bs), default=0)
    print("%s: %d values (want %d), %d negative, highest bucket ends at %d ns"
          " (max %d)" % (want, total, count, neg, top, max_ns))
    ok = total == count and neg == 0 and 0 < top <= max_ns
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
