#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A /dev/m2mgw reader with wakeup batching, for tests/tracing.

  wakereader.py PORT BYTES USEC COUNT

Sets up a 64 KiB ring, subscribes to PORT, asks for batched wakeups
(M2MGW_IOC_WAKEUP BYTES, USEC), prints "ready" and then consumes with
read() until it has COUNT records (or 60 s passed).  Before each
blocking poll() it polls without waiting, so it knows whether it slept:
one line per batch it read,

  woken SEQ:TS SEQ:TS ...   poll() slept and was woken readable
  found SEQ:TS ...          the records were there without sleeping

A wakeup the module traces (m2mgw:ring_wakeup) is a "woken" line here.
"""
import fcntl
import os
import select
import struct
import sys
import time

RING_SETUP = 0x4008C601  # _IOW(0xC6, 1, struct m2mgw_ring_setup)
SUBSCRIBE = 0x4004C602   # _IOW(0xC6, 2, __u32)
WAKEUP = 0x4008C604      # _IOW(0xC6, 4, struct m2mgw_wakeup)
HDR = struct.Struct("=IIHHIQQ")  # struct m2mgw_rec, 32 bytes
LEN_MASK = (1 << 30) - 1


def records(buf):
    """(seq, tstamp_ns) of each record read() copied out, padded to 8."""
    off = 0
    while off + HDR.size <= len(buf):
        ln, _port, _type, _flags, _res, ts, seq = HDR.unpack_from(buf, off)
        yield seq, ts
        off += ((ln & LEN_MASK) + 7) & ~7


def main():
    port, wbytes, usec, count = (int(a) for a in sys.argv[1:5])
    fd = os.open("/dev/m2mgw", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, RING_SETUP, struct.pack("II", 65536, 0))
    fcntl.ioctl(fd, SUBSCRIBE, struct.pack("I", port))
    fcntl.ioctl(fd, WAKEUP, struct.pack("II", wbytes, usec))
    p = select.poll()
    p.register(fd, select.POLLIN)
    print("ready", flush=True)
    got = 0
    end = time.monotonic() + 60
    while got < count and time.monotonic() < end:
        slept = not p.poll(0)
        if slept and not p.poll(500):
            continue
        recs = list(records(os.read(fd, 65536)))
        got += len(recs)
        print("woken" if slept else "found",
              " ".join(f"{s}:{t}" for s, t in recs), flush=True)


if __name__ == "__main__":
    main()
