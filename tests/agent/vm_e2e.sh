#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-VM end to end: vcan traffic -> m2mgw.ko -> ring -> m2mgwd -> a
# mosquitto broker on the VM's loopback -> mosquitto_sub, every message
# checked (value, kernel sequence number, kernel capture time).  Also:
# the agent creates its port through netlink, reuses it on restart, and
# a SIGHUP adding a port subscribes it without losing frames.  The agent
# runs with wakeup batching (M2MGW_IOC_WAKEUP).
# Runs as root inside the VM harness (tests/vm/tests.list); TAP out.
set -u

top=${M2MGW_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
agent=$top/build/bin/m2mgwd
T=$(mktemp -d /tmp/m2mgwd-vm.XXXXXX)
chmod 755 "$T"
port=18830
n=0
fails=0
bpid=
apid=
spid=

ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fails=$((fails + 1)); fi
}

finish() {
	[ -n "$apid" ] && kill -9 "$apid" 2>/dev/null
	[ -n "$spid" ] && kill -9 "$spid" 2>/dev/null
	[ -n "$bpid" ] && kill "$bpid" 2>/dev/null
	wait 2>/dev/null
	if [ $fails -ne 0 ]; then
		echo "# --- agent log"; sed 's/^/# /' "$T/agent.log" | tail -n 30
	fi
	ip link del vcan0 2>/dev/null
	ip link del vcan1 2>/dev/null
	echo "1..$n"
}
trap finish EXIT

echo "TAP version 13"
for t in mosquitto mosquitto_sub cansend "$agent"; do
	if ! command -v "$t" >/dev/null; then
		echo "1..0 # SKIP $t not found"
		trap - EXIT
		exit 0
	fi
done

ip link set lo up
ip link add vcan0 type vcan 2>/dev/null
ip link add vcan1 type vcan 2>/dev/null
ip link set vcan0 up
ip link set vcan1 up
printf 'listener %s 127.0.0.1\nallow_anonymous true\nuser root\n' "$port" >"$T/mosq.conf"
mosquitto -c "$T/mosq.conf" >"$T/mosq.log" 2>&1 &
bpid=$!
for _ in $(seq 50); do
	mosquitto_pub -h 127.0.0.1 -p $port -t probe -m x 2>/dev/null && break
	sleep 0.2
done
mosquitto_sub -h 127.0.0.1 -p $port -q 1 -t 'vm/#' -v >"$T/sub.out" 2>&1 &
spid=$!
sleep 0.5

write_conf() {
	cat >"$T/agent.conf" <<EOF
[agent]
log_level = info
stall_timeout = 60s
[source]
type = ring
ring_size = 64k
# Batched wakeups: 40 frames stay far below the watermark, so they reach
# the agent only through the kernel's latency-bound timer.
wakeup_bytes = 16k
wakeup_latency = 20ms
[spool]
dir = $T/spool
flush_interval = 10ms
[port vmcan0]
type = can
ifname = vcan0
$1
[rule each]
period = 0
[output local]
host = 127.0.0.1
port = $port
topic = vm/{port}/{signal}
status_topic = vm/status
replay_rate = 0
EOF
}

write_conf ""
"$agent" -c "$T/agent.conf" >>"$T/agent.log" 2>&1 &
apid=$!
for _ in $(seq 100); do
	grep -q 'vm/status online' "$T/sub.out" && break
	sleep 0.1
done
grep -q 'created module port' "$T/agent.log"
ok $? "m2mgwd created its port on vcan0 through netlink"
grep -q 'vm/status online' "$T/sub.out"
ok $? "m2mgwd connected to the broker in the VM"

start=$(date +%s)
for i in $(seq 0 39); do
	cansend vcan0 "$(printf '%03X#%02X%02X' $((0x200 + i % 2)) $((i >> 8)) $((i & 255)))"
done
for _ in $(seq 100); do
	[ "$(grep -c '^vm/vmcan0/' "$T/sub.out")" -ge 40 ] && break
	sleep 0.2
done
python3 - "$T/sub.out" "$start" <<'EOF' >"$T/check.out"
import json, sys, time
got = [(l.split(' ', 1)[0], json.loads(l.split(' ', 1)[1])) for l in open(sys.argv[1]) if l.startswith('vm/vmcan0/')]
start, bad = int(sys.argv[2]), []
for k, (topic, m) in enumerate(got):
    want_topic = 'vm/vmcan0/%03x' % (0x200 + k % 2)
    if topic != want_topic or m['value'] != k or m['seq'] != k or m['raw'] != '%04x' % k:
        bad.append('%d: %s %s' % (k, topic, m))
    if not (start - 2 <= m['ts'] <= time.time() + 1):
        bad.append('%d: capture time %s not from the kernel clock' % (k, m['ts']))
print('# %d messages' % len(got))
for b in bad[:5]: print('# ' + b)
sys.exit(0 if len(got) == 40 and not bad else 1)
EOF
ok $? "40 CAN frames -> 40 MQTT messages: value, kernel seq 0..39, capture time"
cat "$T/check.out"

# SIGHUP adds a port on vcan1 while vcan0 keeps sending.
write_conf "[port vmcan1]
type = can
ifname = vcan1"
kill -HUP "$apid"
sleep 1
for i in $(seq 40 59); do
	cansend vcan0 "$(printf '%03X#%02X%02X' $((0x200 + i % 2)) $((i >> 8)) $((i & 255)))"
	cansend vcan1 "$(printf '300#%02X' $((i - 40)))"
done
for _ in $(seq 100); do
	[ "$(grep -c '^vm/vmcan1/' "$T/sub.out")" -ge 20 ] && [ "$(grep -c '^vm/vmcan0/' "$T/sub.out")" -ge 60 ] && break
	sleep 0.2
done
[ "$(grep -c '^vm/vmcan1/300 ' "$T/sub.out")" = 20 ] && [ "$(grep -c '^vm/vmcan0/' "$T/sub.out")" = 60 ]
ok $? "SIGHUP added port vmcan1: its 20 frames arrive, vmcan0 lost none (60)"

kill -TERM "$apid"
wait "$apid"
ok $? "SIGTERM: m2mgwd exits 0"
apid=
"$agent" -c "$T/agent.conf" >>"$T/agent.log" 2>&1 &
apid=$!
sleep 2
[ "$(grep -c 'reusing module port' "$T/agent.log")" -ge 2 ]
ok $? "restart reuses the existing ports"
cansend vcan0 "200#FFFF"
for _ in $(seq 50); do
	grep -q '"raw":"ffff"' "$T/sub.out" && break
	sleep 0.2
done
grep -q '"value":65535,"raw":"ffff"' "$T/sub.out"
ok $? "frames flow again after the restart"
kill -TERM "$apid"
wait "$apid"
apid=
# A simulated serial device: a pty whose slave gets the m2mgw line
# discipline (TIOCSETD, ldattach-style), which makes the module create
# port pts<N>; the agent reuses it, sets delimiter framing, and each
# line written on the master side becomes one message.
python3 - "$T" <<'EOF' &
import fcntl, os, struct, sys, termios, time, tty
T = sys.argv[1]
m, s = os.openpty()
tty.setraw(m); tty.setraw(s)
fcntl.ioctl(s, termios.TIOCSETD, struct.pack('i', 29))
open(T + '/pty.tmp', 'w').write('pts%s' % os.ttyname(s).rsplit('/', 1)[1])
os.rename(T + '/pty.tmp', T + '/pty')
while not os.path.exists(T + '/go'):
    time.sleep(0.1)
for i in range(5):
    os.write(m, b'T=%d\n' % (20 + i))
    time.sleep(0.2)
while not os.path.exists(T + '/done'):
    time.sleep(0.1)
EOF
ppid=$!
for _ in $(seq 50); do [ -f "$T/pty" ] && break; sleep 0.1; done
pts=$(cat "$T/pty" 2>/dev/null)
cat >"$T/serial.conf" <<EOF
[source]
type = ring
[spool]
dir = $T/spool
flush_interval = 10ms
[port $pts]
type = serial
create = no
framing = delimiter
framing_arg = 10
[rule each]
period = 0
[output local]
host = 127.0.0.1
port = $port
topic = vm/{port}/{signal}
replay_rate = 0
EOF
"$agent" -c "$T/serial.conf" >>"$T/agent.log" 2>&1 &
apid=$!
for _ in $(seq 50); do grep -q "port $pts: reusing" "$T/agent.log" && break; sleep 0.1; done
sleep 0.5
touch "$T/go"
for _ in $(seq 100); do
	[ "$(grep -c "^vm/$pts/data " "$T/sub.out")" -ge 5 ] && break
	sleep 0.2
done
python3 - "$T/sub.out" "$pts" <<'EOF' >"$T/check.out"
import json, sys
got = [json.loads(l.split(' ', 1)[1]) for l in open(sys.argv[1]) if l.startswith('vm/%s/data ' % sys.argv[2])]
want = [('T=%d\n' % (20 + i)).encode().hex() for i in range(5)]
print('# %d serial messages: %s' % (len(got), [m['raw'] for m in got]))
sys.exit(0 if [m['raw'] for m in got] == want and all(m['value'] == 5 for m in got) else 1)
EOF
ok $? "serial: 5 delimiter-framed lines from a pty -> 5 messages with the exact bytes"
cat "$T/check.out"
touch "$T/done"
kill -TERM "$apid"
wait "$apid"
apid=
wait "$ppid" 2>/dev/null
exit 0
