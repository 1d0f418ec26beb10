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

# m2mgwd itself (the binary and every library it maps), 3 s into a
# full-speed replay: peak RSS, its anonymous and file-backed parts (the
# latter are shared library pages, shared with every other process using
# them), PSS, the number of shared objects, and the same per mapping
# (each library, [heap], [stack], unnamed [anon]).  replay: the bench
# configuration (DBC, MQTT output, spool); metrics: the same plus the
# metrics endpoint; full: plus an HTTP output too.  The last two load
# the libraries m2mgwd loads only when configured (agent/lazylib.h).
daemon_rss() { # NAME CONF
	rm -rf /tmp/m2mgw-bench-rss-spool
	"$B/../bin/m2mgwd" -c "$2" >/dev/null 2>&1 &
	pid=$!
	sleep 3
	awk -v c="$1" -v d="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
		'/^VmHWM:/ { h = $2 } /^RssAnon:/ { a = $2 } /^RssFile:/ { f = $2 }
		END { printf "bench=agent_rss conf=%s date=%s vmhwm_kib=%d rss_anon_kib=%d rss_file_kib=%d", c, d, h, a, f }' \
		"/proc/$pid/status"
	awk '/^Pss:/ { printf " pss_kib=%d", $2 }' "/proc/$pid/smaps_rollup"
	awk '$6 ~ /\.so/ { o[$6] = 1 } END { printf " objects=%d\n", length(o) }' \
		"/proc/$pid/maps"
	awk -v c="$1" '
		/^[0-9a-f]+-[0-9a-f]+ / { n = $6 == "" ? "[anon]" : $6; sub(".*/", "", n) }
		/^Rss:/ { r[n] += $2 } /^Pss:/ { p[n] += $2 } /^Anonymous:/ { a[n] += $2 }
		END { for (n in r) if (r[n])
			printf "bench=agent_rss_map conf=%s mapping=%s rss_kib=%d pss_kib=%d anon_kib=%d\n",
				c, n, r[n], p[n], a[n] }' "/proc/$pid/smaps"
	kill "$pid"
	wait "$pid" || true
	rm -rf /tmp/m2mgw-bench-rss-spool
}
daemon_rss replay bench/agent/replay.conf
daemon_rss metrics bench/agent/replay-metrics.conf
daemon_rss full bench/agent/replay-full.conf
