#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM (tests/vm/run KVER -- bench/suite.sh OUT): every
# benchmark in one boot, so all ratios compare runs of the same kernel,
# the same emulated CPU and the same moment.  Writes key=value lines to
# OUT; bench/report turns them into bench/RESULTS.md.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
B=$top/build/bench
CTL=$top/build/bin/m2mctl
out=${1:-/tmp/bench.out}
N=${N:-200000}
N_DRAIN=${N_DRAIN:-50000}
RUNS=${RUNS:-5}

modprobe vcan
modprobe can_raw 2>/dev/null || modprobe can-raw
for i in 0 1 2 3 4 5 6 7; do
	ip link add vcan$i type vcan
	ip link set vcan$i up
done

# A port captures from the moment it exists: create it only around the
# m2mgw runs so the other methods' figures do not pay for it.
rx() {
	if [ "$1" = m2mgw ]; then
		"$CTL" port add can vcan0 name bench0 >/dev/null
		"$B/rx" -m "$@"
		"$CTL" port del bench0
	else
		"$B/rx" -m "$@"
	fi
}

echo "kernel=$(uname -r) cpus=$(nproc) date=$(date -u +%F)" >"$out"

# Throughput, live and drain, RUNS times round-robin so drift hits all.
for r in $(seq "$RUNS"); do
	for m in none recvmsg recvmmsg tpacket m2mgw; do
		echo "run=$r $(rx $m -i vcan0 -n "$N" -s live)" >>"$out"
	done
	for m in none recvmsg recvmmsg tpacket m2mgw; do
		echo "run=$r $(rx $m -i vcan0 -n "$N_DRAIN" -s drain)" >>"$out"
	done
done

# Latency at a moderate rate, where queueing does not dominate.
for m in recvmsg recvmmsg tpacket m2mgw; do
	echo "bench=latency $(rx $m -i vcan0 -n 4000 -r 2000 -l)" >>"$out"
done
