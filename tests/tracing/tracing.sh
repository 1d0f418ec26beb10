#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# m2mgw tracing in the VM (tests/vm/tests.list): with traffic on vcan,
# every tracepoint fires with the fields of what was sent (read from
# tracefs), the bpftrace scripts of tools/bpf run and print non-empty
# maps and histograms, and m2mgw-top -j reports the rate sent and drops
# equal to the module's counters.  Root; TAP out.
set -u

top=${M2MGW_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
M=$top/build/bin/m2mctl
GEN=$top/build/bench/gen
BPF=$top/tools/bpf
TOPT=$top/build/bin/m2mgw-top
KO=${M2MGW_KO:-$top/build/kmod/$(uname -r)/m2mgw.ko}
TR=/sys/kernel/tracing
T=$(mktemp -d /tmp/m2mgw-tracing.XXXXXX)
IF=m2tr0
n=0
fails=0
pids=()

ok() { # ok STATUS NAME [DIAG-FILE]
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		fails=$((fails + 1))
		[ -n "${3:-}" ] && [ -f "$3" ] && sed 's/^/# /' "$3" | head -n 30
	fi
}

skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }

finish() {
	local p
	for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -d $TR/events/m2mgw ] && echo 0 > $TR/events/m2mgw/enable
	"$M" port del tr0 >/dev/null 2>&1
	ip link del $IF 2>/dev/null
	rm -rf "$T"
	echo "1..$n"
}
trap finish EXIT

# tracefs: mounted by nothing in the VM's init.
[ -d $TR/events ] || mount -t tracefs tracefs $TR 2>/dev/null
[ -d /sys/kernel/debug/tracing ] || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

[ -x "$GEN" ] || { echo "# $GEN missing: make tests"; ok 1 "traffic generator built"; exit 1; }
ip link add $IF type vcan && ip link set $IF up || { ok 1 "vcan $IF"; exit 1; }
"$M" port add can $IF name tr0 > "$T/add" 2>&1
PID=$("$M" -j port show tr0 | python3 -c 'import json,sys; d=json.load(sys.stdin); d=d[0] if isinstance(d,list) else d; print(d["id"])' 2>"$T/err")
[ -n "$PID" ] || { cat "$T/add" "$T/err"; ok 1 "port tr0 created"; exit 1; }

# --- module BTF: built in (Kbuild on 6.12, scripts/module-btf.sh on 6.1)
# and accepted by the kernel, so BTF-typed probes on m2mgw work.
{
	readelf -S "$KO" | grep ' \.BTF '
	ls -l /sys/kernel/btf/m2mgw
	bpftool btf dump file /sys/kernel/btf/m2mgw | grep -m 2 "'m2mgw_reader'\|'m2mgw_poll'"
} > "$T/d" 2>&1
readelf -S "$KO" | grep -q ' \.BTF ' &&
	bpftool btf dump file /sys/kernel/btf/m2mgw 2>/dev/null | grep -q "STRUCT 'm2mgw_reader'"
ok $? "m2mgw.ko carries BTF and the kernel took it (/sys/kernel/btf/m2mgw)" "$T/d"

# trace_start EVENT...: clear the buffer, enable only these events.
trace_start() {
	local e
	echo 0 > $TR/events/m2mgw/enable
	echo > $TR/trace
	for e; do echo 1 > $TR/events/m2mgw/$e/enable; done
}
trace_stop() { echo 0 > $TR/events/m2mgw/enable; grep -v '^#' $TR/trace > "$T/trace"; }

# --- 1: the five events exist
missing=
for e in rx drop tx port_state ring_wakeup; do
	[ -f $TR/events/m2mgw/$e/format ] || missing="$missing $e"
done
echo "missing:$missing" > "$T/d"
[ -z "$missing" ]; ok $? "tracefs has m2mgw rx drop tx port_state ring_wakeup" "$T/d"

# --- rx: 20 frames with ids 0x100..0x113, data length i % 9
trace_start rx
for i in $(seq 0 19); do
	data=
	for j in $(seq 1 $((i % 9))); do data+=$(printf '%02X' "$j"); done
	cansend $IF "$(printf '%03X' $((0x100 + i)))#$data"
done
sleep 0.2
trace_stop
python3 - "$T/trace" "$PID" > "$T/d" 2>&1 <<'PY'
import re, sys
lines = [l for l in open(sys.argv[1]) if " rx: " in l]
pid = int(sys.argv[2])
ev = [dict(re.findall(r"(\w+)=(\S+)", l.split(" rx: ", 1)[1])) for l in lines]
print("events:", len(ev))
assert len(ev) == 20, "want 20 rx events"
seq0 = int(ev[0]["seq"])
for i, e in enumerate(ev):
    assert int(e["port"]) == pid, e
    assert int(e["type"]) == 1, e               # M2MGW_REC_CAN
    assert int(e["id"], 16) == 0x100 + i, e
    assert int(e["len"]) == 16, e               # struct can_frame
    assert int(e["seq"]) == seq0 + i, e
    assert int(e["ts_src"]) in (0, 1), e
    assert int(e["ts"]) > 10**18, e              # CLOCK_REALTIME ns
    # ring: CLOCK_REALTIME when the event fired, after the stamp
    assert 0 <= int(e["ring"]) - int(e["ts"]) < 10**9, e
PY
ok $? "m2mgw:rx once per frame, port/type/id/len/seq/ts right" "$T/d"

# --- tx: m2mctl send, then a send to a downed interface fails
trace_start tx
"$M" send tr0 '1AB#0102030405' > "$T/d" 2>&1
sleep 0.1
trace_stop
cat "$T/trace" >> "$T/d"
grep -q "tx: port=$PID type=1 id=0x1ab len=16 err=0" "$T/trace"
ok $? "m2mgw:tx with port, id and err=0 for a sent frame" "$T/d"

# --- port_state: link down then up
trace_start port_state
ip link set $IF down
ip link set $IF up
sleep 0.1
trace_stop
cp "$T/trace" "$T/d"
grep -q "port_state: port=$PID 1->0" "$T/trace" &&
	grep -q "port_state: port=$PID 0->1" "$T/trace"
ok $? "m2mgw:port_state up->down->up on link down/up" "$T/d"

# A reader with the smallest ring that never consumes: SIGSTOPped python.
small_reader() {
	python3 -c '
import fcntl, os, struct, sys, time
fd = os.open("/dev/m2mgw", os.O_RDWR)
fcntl.ioctl(fd, 0x4008C601, struct.pack("II", 4096, 0))   # RING_SETUP
fcntl.ioctl(fd, 0x4004C602, struct.pack("I", int(sys.argv[1])))  # SUBSCRIBE
print("ready", flush=True)
time.sleep(3600)' "$PID" > "$T/reader" 2>&1 &
	pids+=($!)
	for _ in $(seq 50); do grep -q ready "$T/reader" && return 0; sleep 0.1; done
	return 1
}

# --- ring_wakeup: a reader (m2mctl dump) blocked in poll is woken
trace_start ring_wakeup rx
timeout 20 "$M" dump tr0 -n 5 > "$T/dump" 2>&1 &
dpid=$!
sleep 0.5
for i in 1 2 3 4 5; do cansend $IF "02$i#11"; sleep 0.05; done
wait $dpid
trace_stop
cp "$T/trace" "$T/d"
python3 - "$T/trace" "$PID" > "$T/d2" 2>&1 <<'PY'
import re, sys
rx, wk = {}, []
pid = int(sys.argv[2])
for l in open(sys.argv[1]):
    if " rx: " in l:
        d = dict(re.findall(r"(\w+)=(\S+)", l.split(" rx: ", 1)[1]))
        rx[int(d["seq"])] = int(d["ts"])
    if " ring_wakeup: " in l:
        d = dict(re.findall(r"(\w+)=(\S+)", l.split(" ring_wakeup: ", 1)[1]))
        assert d["why"] == "immediate" and int(d["port"]) == pid, d
        wk.append((int(d["seq"]), int(d["ts"])))
print("rx", len(rx), "wakeups", len(wk))
assert len(rx) == 5 and 1 <= len(wk) <= 5
for s, ts in wk:
    assert rx.get(s) == ts, (s, ts)     # wakeup names a record of ours
PY
rc=$?
cat "$T/d2" >> "$T/d"
ok $rc "m2mgw:ring_wakeup why=immediate for a waiting reader, port/seq/ts of a captured record" "$T/d"

# --- ring_wakeup with M2MGW_IOC_WAKEUP batching: every wakeup a reader
# (tests/tracing/wakereader.py) sees has its event, with the reason and
# the record it was woken for (tests/tracing/wakecheck.py explains the
# tolerance of one).
# wake_run BYTES USEC COUNT WHY MIN SENDER...: a reader with that
# setting, the sender, then the check.
wake_run() {
	local bytes=$1 usec=$2 count=$3 why=$4 least=$5 wrpid
	shift 5
	trace_start ring_wakeup rx
	python3 "$top/tests/tracing/wakereader.py" "$PID" "$bytes" "$usec" \
		"$count" > "$T/wr" 2>&1 &
	wrpid=$!
	for _ in $(seq 100); do grep -q ready "$T/wr" && break; sleep 0.1; done
	"$@"
	for _ in $(seq 100); do kill -0 $wrpid 2>/dev/null || break; sleep 0.1; done
	kill $wrpid 2>/dev/null
	wait $wrpid 2>/dev/null
	trace_stop
	python3 "$top/tests/tracing/wakecheck.py" "$T/trace" "$T/wr" "$PID" \
		"$why" "$usec" "$least" > "$T/d" 2>&1
	local rc=$?
	sed 's/^/reader: /' "$T/wr" >> "$T/d"
	return $rc
}
# Slow traffic, a watermark it never reaches (8 records of 48 bytes):
# the 50 ms bound wakes the reader once per frame, from the hrtimer.
slow_frames() {
	local i
	for i in $(seq 8); do cansend $IF "03$i#22"; sleep 0.4; done
}
wake_run 4096 50000 8 timer 2 slow_frames
ok $? "m2mgw:ring_wakeup why=timer once per wakeup a batching reader sees, fields of its record" "$T/d"
head -n 1 "$T/d" | sed 's/^/# /'
# Bursts of 3 frames (sendmmsg) onto a 3-record watermark, 1 s bound:
# the third record's commit wakes the reader; the 1.2 s gaps let each
# burst's timer run out with nothing left to wake for.
bursts() {
	local i
	for i in 1 2 3 4; do "$GEN" -i $IF -n 3 > /dev/null 2>&1; sleep 1.2; done
}
wake_run 144 1000000 12 bytes 2 bursts
ok $? "m2mgw:ring_wakeup why=bytes once per wakeup at the watermark, fields of the record that reached it" "$T/d"
head -n 1 "$T/d" | sed 's/^/# /'

# --- drop: full ring; the events sum to the module's ring_full counter
before=$("$M" -j stats -s | python3 -c '
import json,sys
for p in json.load(sys.stdin):
    if p.get("name") == "tr0": print(p["stats"]["drop_ring_full"])' 2>"$T/err")
trace_start drop
if small_reader; then
	kill -STOP "${pids[-1]}"
	"$GEN" -i $IF -n 2000 > "$T/gen" 2>&1
	sleep 0.2
	trace_stop
	after=$("$M" -j stats -s | python3 -c '
import json,sys
for p in json.load(sys.stdin):
    if p.get("name") == "tr0": print(p["stats"]["drop_ring_full"])' 2>>"$T/err")
	sum=$(awk '/ drop: /{for(i=1;i<=NF;i++){if($i~/^reason=/)r=substr($i,8);if($i~/^count=/)c=substr($i,7)} if(r==0)s+=c} END{print s+0}' "$T/trace")
	{ echo "before=$before after=$after sum=$sum"; cat "$T/err"; } > "$T/d"
	[ -n "$after" ] && [ -n "$before" ] && [ "$sum" -gt 1000 ] &&
		[ $((after - before)) -eq "$sum" ]
	ok $? "m2mgw:drop reason=ring_full counts sum to the port's counter" "$T/d"
	kill -CONT "${pids[-1]}"; kill "${pids[-1]}"
else
	trace_stop
	ok 1 "m2mgw:drop (small reader did not start)" "$T/reader"
fi

# --- make install's layout: the scripts and m2mgw-top run from there
inst=$T/inst
"$top/scripts/install.sh" "$inst" /usr > "$T/d" 2>&1
missing=
for f in usr/bin/m2mgw-top usr/share/m2mgw/bpf/m2mgw-{rates,drops,wire-latency,ring-latency}.bt; do
	[ -x "$inst/$f" ] || missing="$missing $f"
done
echo "missing:$missing" >> "$T/d"
[ -z "$missing" ]
ok $? "install.sh puts m2mgw-top and the .bt scripts under DESTDIR" "$T/d"
[ -z "$missing" ] && BPF=$inst/usr/share/m2mgw/bpf TOPT=$inst/usr/bin/m2mgw-top

# --- bpftrace scripts: run each under load, SIGINT prints the maps
have_bpftrace=1
command -v bpftrace > /dev/null || have_bpftrace=0

# rx_frames: the tr0 port's rx frame counter, from the module.
rx_frames() {
	"$M" -j stats -s | python3 -c '
import json,sys
for p in json.load(sys.stdin):
    if p.get("name") == "tr0": print(p["stats"]["rx_frames"])'
}

# bt SCRIPT ARGS...: bpftrace in the background until "Ctrl-C" banner
bt() {
	local s=$1
	shift
	bpftrace "$BPF/$s" "$@" > "$T/$s.out" 2> "$T/$s.err" &
	btpid=$!
	for _ in $(seq 300); do
		grep -q Ctrl-C "$T/$s.out" && return 0
		kill -0 $btpid 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
# bt_stop: SIGINT makes bpftrace print its maps and exit; walking and
# printing histograms under TCG on a loaded host took over 10 s.
bt_stop() {
	kill -INT $btpid
	for _ in $(seq 600); do kill -0 $btpid 2>/dev/null || break; sleep 0.1; done
	kill -KILL $btpid 2>/dev/null
	wait $btpid
}

if [ $have_bpftrace = 1 ]; then
	"$M" dump tr0 > /dev/null 2>&1 &
	pids+=($!)
	sleep 0.3

	bt m2mgw-rates.bt
	"$GEN" -i $IF -n 3000 -r 2000 > /dev/null 2>&1
	sleep 1.2
	bt_stop
	cat "$T/m2mgw-rates.bt.out" "$T/m2mgw-rates.bt.err" > "$T/d"
	grep -q "^@rx_fps\[$PID\]: [1-9]" "$T/m2mgw-rates.bt.out"
	ok $? "m2mgw-rates.bt prints per-port rx rates" "$T/d"

	bt m2mgw-drops.bt
	small_reader && kill -STOP "${pids[-1]}"
	"$GEN" -i $IF -n 1000 > /dev/null 2>&1
	sleep 1.2
	bt_stop
	kill -CONT "${pids[-1]}"; kill "${pids[-1]}"
	cat "$T/m2mgw-drops.bt.out" "$T/m2mgw-drops.bt.err" > "$T/d"
	grep -q "^@drops\[$PID, ring_full\]: [1-9]" "$T/m2mgw-drops.bt.out"
	ok $? "m2mgw-drops.bt prints drops by port and reason" "$T/d"

	# Every frame m2mgw captured is in the histograms: count them by the
	# port's own rx counter, not by what was sent.  vcan hands frames to
	# netif_rx(), whose per-CPU backlog (netdev_max_backlog, 1000) drops
	# when the vCPU is preempted for long on a loaded host; raise it for
	# this run so the histograms also cover (nearly) all that was sent.
	backlog=$(sysctl -n net.core.netdev_max_backlog)
	sysctl -qw net.core.netdev_max_backlog=10000
	rx0=$(rx_frames)
	bt m2mgw-wire-latency.bt
	"$GEN" -i $IF -n 2000 -r 2000 > /dev/null 2>&1
	sleep 0.5
	rx1=$(rx_frames)
	bt_stop
	sysctl -qw net.core.netdev_max_backlog="$backlog"
	got=$((rx1 - rx0))
	cat "$T/m2mgw-wire-latency.bt.out" "$T/m2mgw-wire-latency.bt.err" > "$T/d"
	echo "sent 2000, captured $got" >> "$T/d"
	out=$T/m2mgw-wire-latency.bt.out
	[ "$got" -ge 1900 ] &&
		python3 "$top/tests/tracing/bthist.py" "$out" @netdev_to_ring_ns "$got" \
		>> "$T/d" 2>&1
	ok $? "m2mgw-wire-latency.bt: netdev->ring histogram of every captured frame, < 1 s" "$T/d"
	# Both ends CLOCK_REALTIME read by the module: none negative, every
	# frame counted once, all under a second even under TCG.
	[ "$got" -ge 1900 ] &&
		python3 "$top/tests/tracing/bthist.py" "$out" '@stamp_to_ring_ns[*]' "$got" \
		>> "$T/d" 2>&1 && ! grep -q '^@stamp_after_ring: [1-9]' "$out"
	ok $? "m2mgw-wire-latency.bt: stamp->ring histogram of every frame, none negative, < 1 s" "$T/d"

	bt m2mgw-ring-latency.bt
	"$GEN" -i $IF -n 500 -r 200 > /dev/null 2>&1
	bt_stop
	cat "$T/m2mgw-ring-latency.bt.out" "$T/m2mgw-ring-latency.bt.err" > "$T/d"
	grep -A3 '^@wake_to_consume_ns:' "$T/m2mgw-ring-latency.bt.out" | grep -q '^\[.*|@' &&
		grep -q '^@wakeups\[immediate\]: [1-9]' "$T/m2mgw-ring-latency.bt.out"
	ok $? "m2mgw-ring-latency.bt prints a ring->consumer histogram and wakeups by reason" "$T/d"
else
	for s in rates drops wire-latency ring-latency; do skip "m2mgw-$s.bt" "no bpftrace"; done
fi

# --- m2mgw-top -j: rate of what was sent, drops equal to the counter
ring_full() {
	"$M" -j stats -s | python3 -c '
import json,sys
for p in json.load(sys.stdin):
    if p.get("name") == "tr0": print(p["stats"]["drop_ring_full"])'
}
"$TOPT" -j -i 1 -n 600 > "$T/top" 2> "$T/top.err" &
tpid=$!
for _ in $(seq 300); do [ -s "$T/top" ] && break; sleep 0.1; done
small_reader && kill -STOP "${pids[-1]}"
before=$(ring_full)
"$GEN" -i $IF -n 3000 -r 1000 > "$T/gen" 2>&1
sleep 0.5
after=$(ring_full)
# Two more whole intervals so every frame is in a printed one.
sleep 2.5
kill -INT $tpid
wait $tpid
kill -CONT "${pids[-1]}"; kill "${pids[-1]}"
trc=$?
{ echo "rc=$trc before=$before after=$after"; cat "$T/top.err"; tail -n 4 "$T/top"; } > "$T/d"
python3 - "$T/top" "$PID" 3000 >> "$T/d" 2>&1 <<'PY'
import json, sys
pid, sent = int(sys.argv[2]), int(sys.argv[3])
rx = 0.0
for l in open(sys.argv[1]):
    for p in json.loads(l)["ports"]:
        if p["port"] == pid:
            rx += p["rx_fps"] * json.loads(l)["interval_s"]
print("rx by rates:", rx, "sent:", sent)
assert abs(rx - sent) <= 0.1 * sent
PY
ok $? "m2mgw-top -j rates add up to the frames sent (10%)" "$T/d"
python3 - "$T/top" "$PID" "$before" "$after" >> "$T/d" 2>&1 <<'PY'
import json, sys
pid, before, after = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
drops, total = 0, 0
for l in open(sys.argv[1]):
    for p in json.loads(l)["ports"]:
        if p["port"] == pid:
            drops += p["drops"]
            total = p["drops_total"]
print("top drops:", drops, "total:", total, "module:", after - before)
assert after - before > 0 and drops == after - before == total
PY
ok $? "m2mgw-top -j drops equal the port's drop_ring_full counter" "$T/d"
exit $((fails > 0))
