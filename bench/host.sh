#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Host part of `make bench` (no VM): the ring consumer library's cost per
# frame.  callgrind instruction counts (stable on a busy machine) for
# m2mgw_ring_consume at several batch sizes and for the userspace
# producer, plus native frames/s (noisy: median of 5).  key=value lines.
set -eu

B=$(cd "$(dirname "$0")/.." && pwd)/build/bench
N=204800

ir() { # FUNCTION BATCH -> instructions per frame
	valgrind --tool=callgrind --callgrind-out-file=/dev/null \
		--toggle-collect="$1" "$B/ringbench" $((N / $2)) "$2" 2>&1 |
		awk -v n=$N '/Collected :/ { printf "%.1f", $NF / n }'
}

for b in 1 16 64 1024; do
	echo "bench=callgrind fn=m2mgw_ring_consume batch=$b frames=$N ir_per_frame=$(ir m2mgw_ring_consume $b)"
done
echo "bench=callgrind fn=m2mgw_uring_write batch=64 frames=$N ir_per_frame=$(ir m2mgw_uring_write 64)"
for i in 1 2 3 4 5; do
	"$B/ringbench" 2000 1024
done | sort -t= -k4 -n | sed -n 3p | sed 's/^/bench=native /'

# The agent's per-frame work (bench/agentbench: memfd ring -> decoder ->
# aggregate -> encode -> null sink), raw and DBC, 5 runs each: frames per
# CPU-second of one core and the process's peak RSS.
cd "$(dirname "$0")/.."
for d in raw dbc; do
	for i in 1 2 3 4 5; do
		"$B/agentbench" "bench/agent/$d.conf" agent/examples/vehicle.log \
			2000000
	done
done

# m2mgwd itself (the binary, all its libraries mapped): peak RSS, and
# how much of it is anonymous or file-backed (shared library pages,
# shared with every other process using them), plus PSS.
rm -rf /tmp/m2mgw-bench-rss-spool
"$B/../bin/m2mgwd" -c bench/agent/replay.conf >/dev/null 2>&1 &
pid=$!
sleep 3
awk '/^VmHWM:/ { h = $2 } /^RssAnon:/ { a = $2 } /^RssFile:/ { f = $2 }
	END { printf "bench=agent_rss vmhwm_kib=%d rss_anon_kib=%d rss_file_kib=%d", h, a, f }' \
	"/proc/$pid/status"
awk '/^Pss:/ { printf " pss_kib=%d\n", $2 }' "/proc/$pid/smaps_rollup"
kill "$pid"
wait "$pid" || true
rm -rf /tmp/m2mgw-bench-rss-spool
