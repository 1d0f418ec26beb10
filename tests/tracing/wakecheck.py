#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check m2mgw:ring_wakeup events against what a reader saw (tests/tracing).

  wakecheck.py TRACE READER_LOG PORT WHY USEC MIN

TRACE is tracefs output with the rx and ring_wakeup events of one run;
READER_LOG is wakereader.py's output for a reader of port PORT with
latency bound USEC.  Passes when the wakeup events all come from one
reader, all say why=WHY and name port PORT; there are at least MIN; each
names the (seq, ts) of a record the reader got right after being woken,
in order (timer: the first record it read; bytes: one of them), and
every wakeup the reader saw has its event, but for at most one:

A reader cannot tell a wakeup from a poll() that found the ring ready
without sleeping when the timer fired between its poll(0) and the
blocking poll() it then made (nobody was asleep: no wakeup, no event,
and the blocking poll() returns at once).  That window is a few
microseconds per record; one is tolerated.  The reverse cannot happen:
the module wakes only for a committed record the reader has not read,
and this reader is the only consumer.

Timing: a timer wakeup comes at least USEC / 2 after its record's rx
event (hrtimers never fire early; half for clock differences), and
within 2 s of the bound; a bytes wakeup before USEC / 2.
"""
import re
import sys

LINE = re.compile(r"\s(\d+\.\d+): (\w+): (.*)$")


def fields(text):
    return dict(re.findall(r"(\w+)=(\S+)", text))


def main():
    trace, log, port, why, usec, least = sys.argv[1:7]
    port, usec, least = int(port), int(usec), int(least)
    rx, wakeups = {}, []
    for line in open(trace):
        m = LINE.search(line)
        if not m:
            continue
        t, ev, f = float(m.group(1)), m.group(2), fields(m.group(3))
        if ev == "rx" and int(f["port"]) == port:
            rx[int(f["seq"])] = t
        elif ev == "ring_wakeup":
            wakeups.append((t, f))
    woken = []
    for line in open(log):
        w = line.split()
        if w and w[0] == "woken":
            woken.append([tuple(int(x) for x in r.split(":")) for r in w[1:]])
    print(f"rx {len(rx)} ring_wakeup {len(wakeups)} woken {len(woken)}")
    for t, f in wakeups:
        print(f"  {t:.6f} {f}")

    assert len(wakeups) >= least, f"want at least {least} wakeups"
    assert len({f["reader"] for _, f in wakeups}) == 1, "one reader"
    assert len(wakeups) <= len(woken) <= len(wakeups) + 1, "counts"
    i = 0
    for t, f in wakeups:
        assert f["why"] == why, f
        assert int(f["port"]) == port, f
        rec = (int(f["seq"]), int(f["ts"]))
        while i < len(woken) and (rec not in woken[i] or
                                  (why == "timer" and woken[i][0] != rec)):
            i += 1
        assert i < len(woken), f"no woken batch starts with {rec}"
        assert i - wakeups.index((t, f)) <= 1, "more than one unmatched"
        i += 1
        assert rec[0] in rx, f"no rx event for seq {rec[0]}"
        late = (t - rx[rec[0]]) * 1e6
        print(f"  seq {rec[0]}: woken {late:.0f} us after rx")
        if why == "timer":
            assert usec / 2 <= late < usec + 2e6, late
        else:
            assert late < usec / 2, late


if __name__ == "__main__":
    main()
