#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The far end of a serial line for tests/cli/cli.sh.

Opens a pty, attaches the m2mgw line discipline to its slave with
TIOCSETD (the module then creates a port named after the tty), prints
"ready NAME", waits for the file GO, writes two text lines into the line,
then prints "got HEX" with what the port sent back (up to EXPECT bytes)
and keeps the line open until the file DONE exists.
Prints "noldisc ERRNO" and exits 0 if the line discipline is missing.
"""
import fcntl
import os
import select
import sys
import time

TIOCSETD = 0x5423


def wait_file(path, timeout):
    end = time.time() + timeout
    while time.time() < end and not os.path.exists(path):
        time.sleep(0.05)


def main():
    go, done, expect, ldisc = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    master, slave = os.openpty()
    name = os.ttyname(slave)[len("/dev/"):].replace("/", "")
    try:
        fcntl.ioctl(slave, TIOCSETD, ldisc.to_bytes(4, sys.byteorder))
    except OSError as e:
        print("noldisc", e.errno, flush=True)
        return
    print("ready", name, flush=True)
    wait_file(go, 30)
    os.write(master, b"hello\n")
    time.sleep(0.2)
    os.write(master, b"world\n")
    got = b""
    end = time.time() + 30
    while len(got) < expect and time.time() < end:
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            got += os.read(master, 256)
    print("got", got.hex(), flush=True)
    wait_file(done, 30)


main()
