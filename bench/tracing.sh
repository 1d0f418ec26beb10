#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Tracing overhead in one VM boot (a benchmark, not a test; `make
# bench-tracing` runs it on the 6.1 kernel):
#   tests/vm/run -t 1800 6.1 -- bench/tracing.sh OUT
# m2mgw capture of N frames from bench/gen on vcan (bench/rx -m m2mgw,
# live) with tracing off, with each tools/bpf script attached and with
# m2mgw-top attached; plus a generator-only run ("none", no port) per
# round as in bench/suite.sh.  RUNS rounds, every mode once per round,
# so drift hits every mode alike.  Writes key=value lines to OUT;
# bench/tracing-report turns them into the markdown table.
#
# CPU is system-wide busy time from /proc/stat (bench/rx), so the
# tracer's own userspace (bpftrace printing every second, m2mgw-top's
# map reads) is counted as overhead too.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
B=$top/build/bench
CTL=$top/build/bin/m2mctl
TOPT=$top/build/bin/m2mgw-top
BPF=$top/tools/bpf
out=${1:-$top/build/bench/tracing.out}
N=${N:-30000}
RUNS=${RUNS:-5}
MODES=${MODES:-off m2mgw-rates.bt m2mgw-drops.bt m2mgw-wire-latency.bt m2mgw-ring-latency.bt m2mgw-top}
T=$(mktemp -d /tmp/trbench.XXXXXX)
IF=trb0
tpid=

cleanup() {
	[ -n "$tpid" ] && kill -INT "$tpid" 2>/dev/null && wait "$tpid"
	"$CTL" port del $IF >/dev/null 2>&1
	ip link del $IF 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

[ -d /sys/kernel/tracing/events ] || mount -t tracefs tracefs /sys/kernel/tracing
ip link add $IF type vcan && ip link set $IF up || exit 1

# start_tracer MODE: attached and ready when it returns 0.
start_tracer() {
	case $1 in
	off | none) tpid= ; return 0 ;;
	m2mgw-top)
		"$TOPT" -j -i 1 > "$T/tracer.out" 2>&1 &
		tpid=$!
		# The first interval line proves it attached.
		for _ in $(seq 300); do
			[ -s "$T/tracer.out" ] && return 0
			kill -0 "$tpid" 2>/dev/null || return 1
			sleep 0.1
		done ;;
	*.bt)
		bpftrace "$BPF/$1" > "$T/tracer.out" 2>&1 &
		tpid=$!
		for _ in $(seq 1200); do
			grep -q Ctrl-C "$T/tracer.out" && return 0
			kill -0 "$tpid" 2>/dev/null || return 1
			sleep 0.1
		done ;;
	esac
	return 1
}

stop_tracer() {
	[ -n "$tpid" ] || return 0
	kill -INT "$tpid"
	wait "$tpid"
	tpid=
}

# one MODE ROUND: one result line.
one() {
	local line t0 t1
	if ! start_tracer "$1"; then
		echo "tracing.sh: $1 did not start:" >&2
		cat "$T/tracer.out" >&2
		stop_tracer
		return 1
	fi
	[ "$1" = none ] || "$CTL" port add can $IF name $IF >/dev/null || return 1
	t0=$(date +%s%N)
	line=$("$B/rx" -m "$([ "$1" = none ] && echo none || echo m2mgw)" \
		-i $IF -n "$N" -s live | grep '^mode=')
	t1=$(date +%s%N)
	[ "$1" = none ] || "$CTL" port del $IF
	stop_tracer
	echo "run=$2 tracer=$1 wall_ns=$((t1 - t0)) $line"
}

echo "kernel=$(uname -r) cpus=$(nproc) date=$(date -u +%FT%TZ) n=$N runs=$RUNS" > "$out"
for r in $(seq "$RUNS"); do
	for m in none $MODES; do
		one "$m" "$r" >> "$out" || exit 1
	done
done
cat "$out"
