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
# TCG: ~100 k frames/s; N frames give ~50-150 busy ticks per method.
N=${N:-100000}
N_DRAIN=${N_DRAIN:-50000}
RUNS=${RUNS:-5}
KNEE_MULTS=${KNEE_MULTS:-0.25 0.5 1 2 4}
KNEE_RING=${KNEE_RING:-262144}
LINE=24000	# CAN FD line rate, frames/s per bus
# m2mgw reader wakeup batching (M2MGW_IOC_WAKEUP): BYTES,USEC.  The
# bound is TPACKET_V3's tp_retire_blk_tov in rx.c (20 ms), so both mmap
# rings trade the same latency for fewer wakeups.
WAKE=${WAKE:-65536,20000}

modprobe vcan
modprobe can_raw 2>/dev/null || modprobe can-raw
for i in 0 1 2 3 4 5 6 7; do
	ip link add vcan$i type vcan
	ip link set vcan$i up
done

# A port captures from the moment it exists: create it only around the
# m2mgw runs so the other methods' figures do not pay for it.
# rx MODE [rx args]: one result line; the generator's own line gives
# gen_s (seconds it took to send everything).
rx1() {
	"$B/rx" -m "$@" | awk '/^gen:/ { g = $(NF - 1) } /^mode=/ { l = $0 }
		END { print l, "gen_s=" g }'
}
# Methods: m2mgw batches wakeups (-w $WAKE); m2mgw1 is the same ring with
# the default wakeup, one per record that finds the reader caught up.
rx() {
	m=$1
	shift
	case $m in
	m2mgw | m2mgw1)
		"$CTL" port add can vcan0 name bench0 >/dev/null
		if [ "$m" = m2mgw ]; then
			rx1 m2mgw -w "$WAKE" "$@"
		else
			rx1 m2mgw -L m2mgw1 "$@"
		fi
		"$CTL" port del bench0
		;;
	*) rx1 "$m" "$@" ;;
	esac
}

echo "kernel=$(uname -r) cpus=$(nproc) date=$(date -u +%FT%TZ) n=$N n_drain=$N_DRAIN wake=$WAKE" >"$out"

# Throughput, live and drain, RUNS times round-robin so drift hits all.
for r in $(seq "$RUNS"); do
	for m in none recvmsg recvmmsg tpacket m2mgw m2mgw1; do
		echo "run=$r $(rx $m -i vcan0 -n "$N" -s live)" >>"$out"
	done
	for m in none recvmsg recvmmsg tpacket m2mgw; do
		echo "run=$r $(rx $m -i vcan0 -n "$N_DRAIN" -s drain)" >>"$out"
	done
done

# Latency at a moderate rate, where queueing does not dominate.
for m in recvmsg recvmmsg tpacket m2mgw m2mgw1; do
	echo "bench=latency $(rx $m -i vcan0 -n 4000 -r 2000 -l)" >>"$out"
done

# Drop knee: NB buses, one m2mgw port each, one reader subscribed to all
# with a KNEE_RING-byte ring; offered rate per bus = MULT x line rate for
# half a second of traffic; stop at the first rate with any loss.
for nb in 1 4 8; do
	ifs=
	for i in $(seq 0 $((nb - 1))); do
		"$CTL" port add can vcan$i name knee$i >/dev/null
		ifs=${ifs:+$ifs,}vcan$i
	done
	for mult in $KNEE_MULTS; do
		rate=$(awk "BEGIN { print int($mult * $LINE) }")
		n=$(awk "BEGIN { print int($rate / 2) * $nb }")
		line=$(rx1 m2mgw -i "$ifs" -n "$n" -r "$rate" -R "$KNEE_RING" \
			-w "$WAKE")
		echo "bench=knee buses=$nb mult=$mult rate=$rate $line" >>"$out"
		case $line in *" lost=0 "*" kdrops=0 "*) ;; *) break ;; esac
	done
	for i in $(seq 0 $((nb - 1))); do
		"$CTL" port del knee$i
	done
done
