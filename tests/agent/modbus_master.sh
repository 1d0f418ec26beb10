#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-VM Modbus RTU master: m2mgwd polls a libmodbus RTU slave
# (tests/agent/modbus_slave.c) at the far end of a pty whose slave side
# has the m2mgw line discipline (port pts<N>, framing modbus-rtu).
# Requests go out through the module's TX path, answers come back
# through the ring.  Checked: every data type reaches the broker with
# the slave's value and unit; three adjacent polls go out as one
# request; a poll of a missing register gives an exception, a corrupted
# answer a CRC error, an absent slave id timeouts - none gives a value;
# the absent slave is backed off and the live one keeps its period
# within 10%; the module's tx/rx tracepoints show no request sent while
# another is outstanding and the gap after every answer; a
# downlink write (MQTT command) goes through the scheduler while the
# bus is polled and is read back, a non-allowlisted one is never sent;
# a bad poll line is refused with file:line and exit status 2.  Then,
# with heavy polling (the bus never idle), each downlink write is the
# next request on the line after it was queued (only a poll already on
# the line goes first) and the slave never sees a request arrive before
# it answered the previous one.
# Runs as root inside the VM harness (tests/vm/tests.list); TAP out.
set -u

top=${M2MGW_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
agent=$top/build/bin/m2mgwd
slave=$top/build/agent/modbus_slave
M=$top/build/bin/m2mctl
T=$(mktemp -d /tmp/m2mgwd-mb.XXXXXX)
chmod 755 "$T"
port=18832
n=0
fails=0
bpid=
apid=
spid=
mpid=
pts=

ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fails=$((fails + 1)); fi
}

finish() {
	[ -n "$apid" ] && kill -9 "$apid" 2>/dev/null
	[ -n "$mpid" ] && kill "$mpid" 2>/dev/null
	[ -n "$spid" ] && kill -9 "$spid" 2>/dev/null
	[ -n "$bpid" ] && kill "$bpid" 2>/dev/null
	wait 2>/dev/null
	# A closed pty leaves its port gone but named: delete it.
	[ -n "$pts" ] && "$M" port del "$pts" >/dev/null 2>&1
	if [ $fails -ne 0 ]; then
		echo "# --- agent log"; sed 's/^/# /' "$T/agent.log" | tail -n 40
		echo "# --- requests"; sed 's/^/# /' "$T/requests" 2>/dev/null | head -n 40
	fi
	echo "1..$n"
}
trap finish EXIT

echo "TAP version 13"
for t in mosquitto mosquitto_sub python3 "$agent" "$slave" "$M"; do
	if ! command -v "$t" >/dev/null; then
		echo "1..0 # SKIP $t not found"
		trap - EXIT
		exit 0
	fi
done

ip link set lo up
printf 'listener %s 127.0.0.1\nallow_anonymous true\nuser root\n' "$port" >"$T/mosq.conf"
mosquitto -c "$T/mosq.conf" >"$T/mosq.log" 2>&1 &
bpid=$!
for _ in $(seq 50); do
	mosquitto_pub -h 127.0.0.1 -p $port -t probe -m x 2>/dev/null && break
	sleep 0.2
done
mosquitto_sub -h 127.0.0.1 -p $port -q 1 -t 'mb/#' -t 'mbcmd/+/result' -v >"$T/sub.out" 2>&1 &
mpid=$!

ldisc=$(cat /sys/module/m2mgw/parameters/ldisc 2>/dev/null || echo 29)
"$slave" "$ldisc" "$T" 1 >"$T/slave.out" 2>"$T/slave.err" &
spid=$!
for _ in $(seq 50); do [ -f "$T/pty" ] && break; sleep 0.1; done
pts=$(cat "$T/pty" 2>/dev/null)
for _ in $(seq 50); do [ -n "$pts" ] && "$M" port show "$pts" >/dev/null 2>&1 && break; sleep 0.1; done
"$M" port show "$pts" >/dev/null 2>&1
ok $? "libmodbus slave on a pty, module port ${pts:-?} from TIOCSETD"
if [ -z "$pts" ]; then
	sed 's/^/# slave: /' "$T/slave.err" "$T/slave.out"
	exit 1
fi

write_conf() {
	cat >"$T/agent.conf" <<EOF
[agent]
log_level = info
metrics_listen = 127.0.0.1:19108
[source]
type = ring
ring_size = 64k
[spool]
dir = $T/spool
flush_interval = 10ms
[port $pts]
type = serial
create = no
baud = 19200
framing = modbus-rtu
decoder = modbus
mode = master
timeout = 1s
retries = 1
backoff_min = 500ms
backoff_max = 4s
poll = count slave=1 fc=3 addr=0 period=500ms
poll = neg slave=1 fc=3 addr=1 type=s16 period=500ms
poll = temp slave=1 fc=3 addr=2 type=float32 unit=degC period=500ms
poll = energy slave=1 fc=3 addr=10 type=u32 order=little scale=0.01 unit=kWh period=2s
poll = volts slave=1 fc=4 addr=5 scale=0.1 unit=V period=2s
poll = relay slave=1 fc=1 addr=3 period=2s
poll = missing slave=1 fc=3 addr=200 period=2s
poll = noisy slave=1 fc=4 addr=50 period=2s
poll = ghost slave=7 fc=3 addr=0 period=500ms timeout=250ms
poll = written slave=1 fc=3 addr=40 count=2 period=500ms
downlink_modbus = 1:40-41
$1
[rule each]
period = 0
[output local]
host = 127.0.0.1
port = $port
topic = mb/{port}/{signal}
command_topic = mbcmd/{port}/cmd
command_result_topic = mbcmd/{port}/result
replay_rate = 0
EOF
}

write_conf "poll = bad slave=1 fc=3 addr=1 type=u64"
"$agent" -t -c "$T/agent.conf" >"$T/t.out" 2>&1
rc=$?
[ $rc = 2 ] && grep -q "agent.conf:32: poll: type \"u64\" is not one of" "$T/t.out"
ok $? "bad poll line: exit status 2 and file:line message ($rc: $(head -c 120 "$T/t.out"))"

# The module's tx/rx tracepoints time every request and answer on the
# line, independent of how the slave process is scheduled.
TR=/sys/kernel/tracing
[ -d $TR/events ] || mount -t tracefs tracefs $TR 2>/dev/null
pid=$("$M" -j port show "$pts" | python3 -c 'import json,sys; d=json.load(sys.stdin); d=d[0] if isinstance(d,list) else d; print(d["id"])')
echo 0 >$TR/events/m2mgw/enable
echo >$TR/trace
echo 1 >$TR/events/m2mgw/tx/enable
echo 1 >$TR/events/m2mgw/rx/enable

write_conf ""
"$agent" -c "$T/agent.conf" >"$T/agent.log" 2>&1 &
apid=$!
sleep 3
# Downlink writes while the bus is polled: one allowed (registers 40,
# 41), one not (60).
mosquitto_pub -h 127.0.0.1 -p $port -q 1 -t "mbcmd/$pts/cmd" \
	-m '{"slave":1,"write":{"address":40,"values":[4660,22136]},"cid":"w1"}'
mosquitto_pub -h 127.0.0.1 -p $port -q 1 -t "mbcmd/$pts/cmd" \
	-m '{"slave":1,"write":{"address":60,"value":1},"cid":"w2"}'
sleep 5
python3 - "$T/metrics" <<'EOF'
import sys, urllib.request
open(sys.argv[1], 'w').write(urllib.request.urlopen('http://127.0.0.1:19108/metrics', timeout=5).read().decode())
EOF
kill -TERM "$apid"
wait "$apid"
arc=$?
echo 0 >$TR/events/m2mgw/enable
grep -v '^#' $TR/trace >"$T/trace"
apid=
ok $arc "m2mgwd polled for 8 s and exited 0 on SIGTERM"

python3 - "$T/sub.out" "$pts" <<'EOF' >"$T/check.out"
import json, sys
want = {'count': (1234, None), 'neg': (-2, None), 'temp': (21.5, 'degC'),
        'energy': (1000.0, 'kWh'), 'volts': (77.7, 'V'), 'relay': (1, None)}
got = {}
for l in open(sys.argv[1]):
    topic, _, body = l.partition(' ')
    if topic.startswith('mb/%s/' % sys.argv[2]):
        got.setdefault(topic.split('/', 2)[2], []).append(json.loads(body))
bad = []
for k, (v, unit) in want.items():
    ms = got.get(k, [])
    if not ms or any(abs(m['value'] - v) > 1e-9 or m.get('unit') != unit for m in ms):
        bad.append('%s: %s' % (k, ms[:2]))
for k in ('missing', 'noisy', 'ghost'):
    if k in got:
        bad.append('%s published %s' % (k, got[k][:2]))
print('# signals: %s' % ', '.join('%s x%d = %s' % (k, len(v), v[-1]['value']) for k, v in sorted(got.items())))
for b in bad: print('# ' + b)
sys.exit(1 if bad else 0)
EOF
ok $? "values published: u16 1234, s16 -2, float32 21.5 degC, u32 low word first x0.01 = 1000 kWh, input 77.7 V, coil 1; nothing from the failing polls"
cat "$T/check.out"

python3 - "$T/requests" <<'EOF' >"$T/req.out"
import sys
reqs = [l.split() for l in open(sys.argv[1]) if not l.startswith('#')]
reqs = [(float(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in reqs]
merged = [r for r in reqs if r[1:] == (1, 3, 0, 4)]
single = [r for r in reqs if r[1] == 1 and r[2] == 3 and r[3] < 4 and r[4] < 4]
print('# %d requests, %d merged count/neg/temp, %d unmerged' % (len(reqs), len(merged), len(single)))
sys.exit(0 if len(merged) >= 10 and not single else 1)
EOF
ok $? "count, neg, temp (registers 0, 1, 2-3, same period) always read as one request of 4"
cat "$T/req.out"

python3 - "$T/requests" <<'EOF' >"$T/rate.out"
import sys
reqs = [l.split() for l in open(sys.argv[1]) if not l.startswith('#')]
reqs = [(float(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in reqs]
live = [r[0] for r in reqs if r[1:] == (1, 3, 0, 4)]
ghost = [r[0] for r in reqs if r[1] == 7]
# Whole-run rate of the live slave's 500 ms poll: slots from the first
# to the last request.
slots = (live[-1] - live[0]) / 0.5 if len(live) > 1 else 0
rate = (len(live) - 1) / slots if slots else 0
print('# live slave: %d polls over %.2f s = %.1f%% of its schedule; absent slave: %d requests (%d at its period)'
      % (len(live), live[-1] - live[0] if live else 0, rate * 100, len(ghost), int(slots) + 1))
sys.exit(0 if 0.9 <= rate <= 1.1 and len(ghost) < slots / 3 else 1)
EOF
ok $? "absent slave 7 backed off; live slave at its 500 ms period within 10%"
cat "$T/rate.out"

python3 - "$T/trace" "$pid" <<'EOF' >"$T/quiet.out"
import re, sys
# Every request the agent puts on the line (tx) must have been answered
# (an rx frame since the previous tx) or wait out the shortest timeout,
# 250 ms; and it goes out at least the 19200-baud gap (1.82 ms) after
# the last answer.
ev = []
for l in open(sys.argv[1]):
    m = re.search(r' (\d+\.\d+): (tx|rx): port=(\d+) .*?len=(\d+)(?: err=(-?\d+))?', l)
    if m and m.group(3) == sys.argv[2] and (m.group(2) == 'rx' or m.group(5) == '0'):
        ev.append((float(m.group(1)), m.group(2)))
last_tx = last_rx = None
answered = False
overlap, short_gap, unseen, ctx, ntx, nrx = [], [], [], [], 0, 0
for t, kind in ev:
    if kind == 'rx':
        answered, last_rx, nrx = True, t, nrx + 1
        continue
    ntx += 1
    if last_tx is not None and not answered and t - last_tx < 0.25:
        overlap.append(round(t - last_tx, 4))
    if last_rx is not None and t - last_rx < 3.5 * 10 / 19200:
        # The agent hears a frame through the ring, its event loop and
        # decoder: it cannot react within 200 us.  A request that close
        # to an rx was decided before that frame was visible (its bytes
        # were still in the module's 3.5-character gap): a late answer
        # meeting a timeout-driven request, most likely (seen once in CI
        # on 6.1 under load), which only the module could prevent by
        # listening before talking.  Counted and shown, not failed.
        if t - last_rx < 200e-6:
            unseen.append(round(t - last_rx, 6))
            k = ev.index((t, kind))
            ctx.append(' '.join('%s@%.6f' % (x[1], x[0]) for x in ev[max(0, k - 5):k + 2]))
        else:
            short_gap.append(round(t - last_rx, 5))
    last_tx, answered = t, False
print('# module trace: %d requests, %d answers; %d sent while one was outstanding %s; %d inside the gap %s; %d at an rx the agent could not have seen yet %s'
      % (ntx, nrx, len(overlap), overlap[:3], len(short_gap), short_gap[:3], len(unseen), unseen[:3]))
for c in ctx[:3]:
    print('#   around it: ' + c)
sys.exit(0 if ntx >= 50 and nrx >= 30 and not overlap and not short_gap else 1)
EOF
ok $? "module trace: never a request while one is outstanding (answered, or 250 ms timeout waited); gap after every answer"
cat "$T/quiet.out"

python3 - "$T/metrics" "$pts" <<'EOF' >"$T/met.out"
import re, sys
m = {}
for l in open(sys.argv[1]):
    r = re.match(r'm2mgwd_modbus_total\{port="%s",event="(\w+)"\} (\d+)' % sys.argv[2], l)
    if r: m[r.group(1)] = int(r.group(2))
print('# %s' % m)
ok = m.get('exceptions', 0) >= 3 and m.get('crc_errors', 0) >= 3 and m.get('timeouts', 0) >= 3 \
    and m.get('responses', 0) >= 20 and m.get('merged', 0) >= 20 and m.get('tx_errors', 1) == 0
sys.exit(0 if ok else 1)
EOF
ok $? "metrics: exceptions, CRC errors, timeouts, merged polls counted; no TX errors"
cat "$T/met.out"
grep -q 'poll missing (slave 1 fc 3 addr 200): exception 2' "$T/agent.log" &&
	grep -q 'slave 7 does not answer' "$T/agent.log"
ok $? "log: exception 2 of poll missing, slave 7 not answering"

python3 - "$T/sub.out" "$T/requests" "$pts" <<'EOF' >"$T/dl.out"
import json, sys
res = {}
vals = []
for l in open(sys.argv[1]):
    topic, _, body = l.partition(' ')
    if topic == 'mbcmd/%s/result' % sys.argv[3]:
        m = json.loads(body)
        res[m.get('cid')] = m
    elif topic in ('mb/%s/written.0' % sys.argv[3], 'mb/%s/written.1' % sys.argv[3]):
        vals.append((topic[-1], json.loads(body)['value']))
reqs = [l.split() for l in open(sys.argv[2]) if not l.startswith('#')]
w = [r for r in reqs if r[2] == '16']
print('# results %s; fc 16 requests %s; last written values %s' % (res, w, vals[-2:]))
ok = res.get('w1', {}).get('ok') is True and res.get('w2', {}).get('ok') is False \
    and len(w) == 1 and w[0][1:5] == ['1', '16', '40', '2'] and vals[-2:] == [('0', 4660), ('1', 22136)] \
    and not any(r[3] == '60' for r in reqs)
sys.exit(0 if ok else 1)
EOF
ok $? "downlink Modbus write during polling: sent once through the scheduler, polled back (4660, 22136), acknowledged; a non-allowlisted one refused, never sent"
cat "$T/dl.out"

# Heavy polling: six polls every 40 ms keep the bus busy all the time
# (the slave answers each at once; more than the line carries, so polls
# are skipped).  Eight downlink writes, registers and coils, go in while
# it polls.  The agent logs when each write was queued; the slave logs
# when each request arrived and when it answered it, and how many bytes
# of a next request were already waiting when it answered.
hstart=$(wc -l <"$T/requests")
cat >"$T/heavy.conf" <<EOF
[agent]
log_level = info
[source]
type = ring
ring_size = 64k
[spool]
dir = $T/spool-heavy
flush_interval = 10ms
[port $pts]
type = serial
create = no
baud = 19200
framing = modbus-rtu
decoder = modbus
mode = master
timeout = 2s
retries = 1
poll = h0 slave=1 fc=3 addr=0 period=40ms
poll = h1 slave=1 fc=4 addr=5 period=40ms
poll = h2 slave=1 fc=1 addr=0 count=8 period=40ms
poll = h3 slave=1 fc=2 addr=0 count=8 period=40ms
poll = h4 slave=1 fc=3 addr=10 type=u32 period=40ms
poll = h5 slave=1 fc=3 addr=20 period=40ms
downlink_modbus = 1:40-41
downlink_modbus_coils = 1:8-15
downlink_rate = 100
[rule none]
port = $pts
signal = nothing-matches
[output local]
host = 127.0.0.1
port = $port
topic = mb/{port}/{signal}
command_topic = mbcmd/{port}/cmd
command_result_topic = mbcmd/{port}/result
replay_rate = 0
EOF
"$agent" -c "$T/heavy.conf" >"$T/heavy.log" 2>&1 &
apid=$!
for _ in $(seq 100); do
	grep -q 'subscribed to mbcmd/+/cmd' "$T/heavy.log" && break
	sleep 0.1
done
sleep 2
for w in '"address":40,"values":[1,2]' '"address":8,"coils":[true,false,true]' \
	'"address":9,"coil":true' '"address":41,"value":7' \
	'"address":10,"coils":[false,true]' '"address":40,"value":3' \
	'"address":15,"coil":false' '"address":40,"values":[5,6]'; do
	mosquitto_pub -h 127.0.0.1 -p $port -q 1 -t "mbcmd/$pts/cmd" \
		-m "{\"slave\":1,\"write\":{$w},\"cid\":\"heavy\"}"
	sleep 0.3
done
for _ in $(seq 100); do
	[ "$(grep -c '"cid":"heavy"' "$T/sub.out")" -ge 8 ] && break
	sleep 0.2
done
kill -TERM "$apid"
wait "$apid"
arc=$?
apid=
[ $arc = 0 ] && [ "$(grep -c '"cid":"heavy","ok":true' "$T/sub.out")" = 8 ]
ok $? "heavy polling: 8 downlink writes (functions 16, 15, 5, 6) answered ok, m2mgwd exits 0"

python3 - "$T/requests" "$hstart" "$T/heavy.log" <<'EOF' >"$T/heavy.out"
import re, sys, time
# The agent logs in UTC wall-clock time (ms), the slave in
# CLOCK_MONOTONIC: the VM runs no time sync, so the two differ by a
# constant, taken here.
off = time.clock_gettime(time.CLOCK_REALTIME) - time.clock_gettime(time.CLOCK_MONOTONIC)
reqs = []
bad = 0
for i, l in enumerate(open(sys.argv[1])):
    if i < int(sys.argv[2]):
        continue
    if l.startswith('#'):
        bad += 1
        continue
    t, s, f, a, c, rep, pend = l.split()
    reqs.append(((float(t) + off) % 86400, int(f), int(a),
                 None if rep == '-' else (float(rep) + off) % 86400, int(pend)))
queued = []
for l in open(sys.argv[3]):
    m = re.match(r'(\d\d):(\d\d):(\d\d\.\d+) m2mgwd info: modbus: write to slave 1 fc (\d+) addr (\d+) .*queued', l)
    if m:
        queued.append((int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3)), int(m.group(4)), int(m.group(5))))
writes = [i for i, r in enumerate(reqs) if r[1] in (5, 6, 15, 16)]
fails = []
# The queue time is the log line's, cut to the ms: at most 1 ms early,
# less than the 1.82 ms gap the master keeps between an answer and the
# next request, so the request before the one on the line is never
# counted.  Nothing else is timed: a loaded TCG guest only stretches
# every step, and the check is about order, which load cannot change.
ahead, waits = [], []
for (tq, fc, addr), i in zip(queued, writes):
    if (reqs[i][1], reqs[i][2]) != (fc, addr):
        fails.append('write %d is fc %d addr %d on the line' % (i, reqs[i][1], reqs[i][2]))
    before = [r for r in reqs[:i] if r[0] >= tq]
    ahead.append(len(before))
    # Queued to on the line: the rest of the poll on the line and the
    # gap.  Outside [-1 ms, 2.5 s] the clocks were not matched right.
    waits.append(round((reqs[i][0] - tq) * 1000, 1))
    if not -1 <= waits[-1] <= 2500:
        fails.append('fc %d addr %d: on the line %.1f ms after it was queued' % (fc, addr, waits[-1]))
    if len(before) > 1:
        fails.append('fc %d addr %d: %d requests went out after it was queued, before it' % (fc, addr, len(before)))
# An overlap: a request arriving while the slave had not answered the
# previous one yet.  This slave reads the next request only after it
# answered, so that shows as bytes already waiting when it answered
# (pending), or as two requests read as one garbled frame (bad).
overlap = [r for r in reqs if r[4]]
order = [i for i in range(1, len(reqs)) if reqs[i - 1][3] is not None and reqs[i][0] < reqs[i - 1][3]]
span = reqs[-1][0] - reqs[0][0] if reqs else 0
print('# heavy polling: %d requests in %.1f s (%.0f/s); %d writes queued, %d on the line; requests between queueing and the write: %s; ms from queueing to the slave: %s'
      % (len(reqs), span, len(reqs) / span if span else 0, len(queued), len(writes), ahead, waits))
print('# %d answers with a next request already waiting, %d garbled (merged) requests, %d arrivals before the previous answer'
      % (len(overlap), bad, len(order)))
for f in fails[:5]:
    print('# ' + f)
ok = len(queued) == 8 and len(writes) == 8 and not fails and not overlap and not bad and not order \
    and len(reqs) >= 50
sys.exit(0 if ok else 1)
EOF
ok $? "heavy polling: each downlink write is the next request after it was queued (only the poll on the line before it), no request ever overlaps the previous one's answer"
cat "$T/heavy.out"

kill "$spid" 2>/dev/null
wait "$spid" 2>/dev/null
spid=
for _ in $(seq 30); do
	"$M" port del "$pts" >/dev/null 2>&1 && break
	sleep 0.1
done
"$M" port show "$pts" >/dev/null 2>&1
[ $? != 0 ]
ok $? "pty port deleted"
pts=
exit 0
