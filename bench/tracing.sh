#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Tracing overhead, in one VM boot (a benchmark, not a test):
#   tests/vm/run -t 900 6.1 -- bench/tracing.sh [OUT.md]
# m2mgw capture throughput of N frames from bench/gen on vcan (bench/rx
# -m m2mgw, live) with tracing off, then with each tools/bpf script
# attached; RUNS rounds, round-robin so drift hits every mode alike.
# Throughput = frames / wall time; CPU = system busy ticks per frame.
# Both are reported as ratios to "off" only: absolute TCG figures mean
# nothing.  Writes a markdown table to OUT (default build/bench/
# RESULTS-tracing.md).
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
B=$top/build/bench
CTL=$top/build/bin/m2mctl
BPF=$top/tools/bpf
out=${1:-$top/build/bench/RESULTS-tracing.md}
N=${N:-50000}
RUNS=${RUNS:-3}
T=$(mktemp -d /tmp/trbench.XXXXXX)

[ -d /sys/kernel/tracing/events ] || mount -t tracefs tracefs /sys/kernel/tracing
ip link add trb0 type vcan && ip link set trb0 up
"$CTL" port add can trb0 name trb0 > /dev/null || exit 1

start_bt() { # start_bt SCRIPT [ARGS]: until its banner is out
	bpftrace "$BPF/$1" "${@:2}" > "$T/bt.out" 2>&1 &
	btpid=$!
	for _ in $(seq 600); do
		grep -q Ctrl-C "$T/bt.out" && return 0
		sleep 0.1
	done
	return 1
}
stop_bt() { kill -INT "$btpid"; wait "$btpid"; }

one() { # one MODE: prints "ns busy got"
	local t0 t1 line
	t0=$(date +%s%N)
	line=$("$B/rx" -m m2mgw -i trb0 -n "$N" -s live)
	t1=$(date +%s%N)
	echo "$((t1 - t0)) $(echo "$line" | sed -n 's/.*got=\([0-9]*\).*busy_ticks=\([0-9]*\).*/\2 \1/p')"
}

modes="off m2mgw-rates.bt m2mgw-drops.bt m2mgw-wire-latency.bt m2mgw-ring-latency.bt"
for r in $(seq "$RUNS"); do
	for m in $modes; do
		case $m in
		off) res=$(one) ;;
		m2mgw-wire-latency.bt)
			start_bt "$m" "$("$BPF/realtime-offset")"; res=$(one); stop_bt ;;
		*) start_bt "$m"; res=$(one); stop_bt ;;
		esac
		echo "$m $res" >> "$T/raw"
	done
done
"$CTL" port del trb0
ip link del trb0

python3 - "$T/raw" "$N" "$RUNS" "$(uname -r)" > "$out" <<'PY'
import sys, statistics as st
raw, n, runs, kver = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
d = {}
for l in open(raw):
    m, ns, busy, got = l.split()
    d.setdefault(m, []).append((int(ns), int(busy), int(got)))
med = {m: (st.median(x[0] for x in v), st.median(x[1] for x in v),
           min(x[2] for x in v)) for m, v in d.items()}
o = med["off"]
print(f"## Tracing overhead ({kver}, {n} frames x {runs} runs, QEMU TCG)\n")
print("Medians, as ratios to tracing off (throughput: >1 is faster; CPU per")
print("frame: >1 costs more).  bench/tracing.sh; figures only compare with")
print("each other.\n")
print("| mode | throughput ratio | CPU/frame ratio | frames captured (min) |")
print("|---|---|---|---|")
for m, (ns, busy, got) in med.items():
    print(f"| {m} | {o[0] / ns:.2f} | {busy / o[1] if o[1] else 0:.2f} | {got}/{n} |")
PY
cat "$out"
rm -rf "$T"
