#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In the VM (not part of make bench): where the CPU goes when the
# generator's frames are captured live by TPACKET_V3 and by the m2mgw
# ring, with perf sampling every CPU (cpu-clock, call graphs).  Writes
# OUT/rx.METHOD (rx's own line), OUT/flat.METHOD (self time per kernel
# symbol) and OUT/clock.METHOD (who reads the clocksource).
#
#   tests/vm/run -t 600 6.1 -- bench/profile.sh build/prof [FRAMES]
set -eu

B=$M2MGW_TOP/build/bench
CTL=$M2MGW_TOP/build/bin/m2mctl
out=$1
n=${2:-200000}
mkdir -p "$out"
modprobe vcan
ip link add vcan0 type vcan
ip link set vcan0 up
echo 0 >/proc/sys/kernel/kptr_restrict
echo -1 >/proc/sys/kernel/perf_event_paranoid
cat /sys/devices/system/clocksource/clocksource0/current_clocksource >"$out/clocksource"
cd /tmp
for m in none tpacket m2mgw; do
	extra=
	if [ $m = m2mgw ]; then
		"$CTL" port add can vcan0 name prof0 >/dev/null
		extra="-w 65536,20000"
	fi
	# shellcheck disable=SC2086
	perf record -q -e cpu-clock -F 2000 -a -g -o "/tmp/perf.$m" -- \
		"$B/rx" -m $m -i vcan0 -n "$n" -s live $extra >"$out/rx.$m" 2>&1
	perf report -i "/tmp/perf.$m" --no-children --sort sym -g none \
		--stdio 2>/dev/null | grep '%' >"$out/flat.$m"
	sym=$(cat "$out/clocksource")
	perf report -i "/tmp/perf.$m" --no-children -S "read_$sym" -G \
		--stdio 2>/dev/null | grep -v '^$' >"$out/clock.$m" || true
	[ $m = m2mgw ] && "$CTL" port del prof0
done
