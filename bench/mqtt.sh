#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host part of `make bench`: end-to-end through a local mosquitto.  The
# agent replays a candump log as fast as it can (raw decoder, one report
# per frame, JSON, spool fsync'd per batch) to a private broker; a
# subscriber counts the messages.  The baseline is mosquitto_pub -l
# publishing the same number of lines with the same library and QoS: the
# ratio says what the agent's pipeline (decode, aggregate, encode, spool)
# costs over a bare publisher.  The spool fsyncs every [spool] batch
# messages: run with the default (64) and with 1024 to show what the
# disk's fsync latency costs.  key=value lines, median of RUNS.
#
#   bench/mqtt.sh [FRAMES] [RUNS]
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
M2MGWD=${M2MGWD:-$top/build/bin/m2mgwd}
N=${1:-10000}
RUNS=${2:-3}
PORT=$((20000 + $$ % 20000))
T=$(mktemp -d /tmp/m2mgw-bench-mqtt.XXXXXX)
broker=

cleanup() {
	[ -n "$broker" ] && kill "$broker" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

printf 'listener %d 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n' \
	"$PORT" >"$T/mosquitto.conf"
mosquitto -c "$T/mosquitto.conf" >"$T/broker.log" 2>&1 &
broker=$!
for _ in $(seq 50); do
	mosquitto_pub -p "$PORT" -t probe -m x 2>/dev/null && break
	sleep 0.1
done

# N frames, 16 ids, increasing data (raw decoder: one sample per frame).
awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++)
	printf "(%d.%06d) vcan0 %03X#%016X\n", 1700000000 + int(i / 1000),
		(i % 1000) * 1000, 0x100 + i % 16, i }' >"$T/frames.log"
awk '{ print "{\"port\":\"bench\",\"signal\":\"x\",\"value\":" NR "}" }' \
	"$T/frames.log" >"$T/lines"

# ticks PID: utime + stime of a live process, in clock ticks.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# subscribe QOS: starts a subscriber that exits after N messages.
subscribe() {
	mosquitto_sub -p "$PORT" -q "$1" -t 'bench/#' -C "$N" >/dev/null &
	sub=$!
	sleep 0.3
}

# wait_sub: seconds from now until the subscriber has all N (or 120 s).
wait_sub() {
	local i
	for i in $(seq 1200); do
		kill -0 "$sub" 2>/dev/null || return 0
		sleep 0.1
	done
	kill "$sub"
	echo "bench=mqtt error=timeout" >&2
	return 1
}

baseline() { # QOS -> "seconds cpu_seconds"
	local s e
	subscribe "$1"
	s=$(date +%s.%N)
	( mosquitto_pub -p "$PORT" -q "$1" -t bench/base -l <"$T/lines"
	  times >"$T/times" )
	wait_sub
	e=$(date +%s.%N)
	# times: second line = children's user and system time, e.g. 0m0.123s
	awk -v s="$s" -v e="$e" 'NR == 2 {
		gsub(/[ms]/, " "); printf "%.3f %.3f\n", e - s, $1 * 60 + $2 + $3 * 60 + $4 }' "$T/times"
}

agent() { # QOS BATCH -> "seconds cpu_seconds"
	local s e pid c hz
	rm -rf "$T/spool"
	cat >"$T/agent.conf" <<EOF
[agent]
log_level = warn

[source]
type = replay
file = $T/frames.log
speed = 0

[spool]
dir = $T/spool
max_size = 256M
batch = $2

[port bench]
type = can
ifname = vcan0
decoder = raw

[rule all]
port = bench
period = 0

[output local]
type = mqtt
host = 127.0.0.1
port = $PORT
qos = $1
topic = bench/{port}/{signal}
# Frames replayed before the connection is up are spooled as historical,
# which is paced (default 100/s): unpaced here, this measures throughput.
replay_rate = 0
EOF
	subscribe "$1"
	s=$(date +%s.%N)
	"$M2MGWD" -c "$T/agent.conf" 2>"$T/agent.log" &
	pid=$!
	wait_sub
	e=$(date +%s.%N)
	c=$(ticks "$pid")
	hz=$(getconf CLK_TCK)
	kill "$pid"
	wait "$pid" || true
	awk -v s="$s" -v e="$e" -v c="$c" -v hz="$hz" \
		'BEGIN { printf "%.3f %.3f\n", e - s, c / hz }'
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

for q in 0 1; do
	for b in 64 1024; do
		: >"$T/r"
		for r in $(seq "$RUNS"); do
			read -r bs bc <<<"$(baseline "$q")"
			read -r as ac <<<"$(agent "$q" "$b")"
			echo "$bs $bc $as $ac" >>"$T/r"
		done
		awk -v n="$N" -v q="$q" -v b="$b" '{
			printf "bench=mqtt-run qos=%d spool_batch=%d messages=%d pub_s=%.3f pub_cpu_s=%.3f agent_s=%.3f agent_cpu_s=%.3f\n",
				q, b, n, $1, $2, $3, $4 }' "$T/r"
		rate_b=$(awk -v n="$N" '{ print n / $1 }' "$T/r" | median)
		rate_a=$(awk -v n="$N" '{ print n / $3 }' "$T/r" | median)
		cpu_b=$(awk -v n="$N" '{ print ($2 > 0 ? n / $2 : 0) }' "$T/r" | median)
		cpu_a=$(awk -v n="$N" '{ print ($4 > 0 ? n / $4 : 0) }' "$T/r" | median)
		ratio=$(awk '{ print ($1 / $3) }' "$T/r" | median)
		printf 'bench=mqtt qos=%d spool_batch=%d messages=%d runs=%d pub_msgs_per_s=%.0f agent_msgs_per_s=%.0f agent_over_pub=%.2f pub_msgs_per_cpu_s=%.0f agent_msgs_per_cpu_s=%.0f\n' \
			"$q" "$b" "$N" "$RUNS" "$rate_b" "$rate_a" "$ratio" "$cpu_b" "$cpu_a"
	done
done
