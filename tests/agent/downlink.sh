#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-VM downlink: mosquitto on the VM's loopback, m2mgwd with two vcan
# ports and command_topic = vmdl/{port}/cmd/#.  Commands published with
# mosquitto_pub must appear on the bus exactly (candump), each with its
# reply; refused ones (not allowlisted, bad JSON, over the rate limit)
# get an error reply and put nothing on the bus; a port that is down
# gives ENETDOWN from the kernel; MQTT 5 replies go to the command's
# response topic with its correlation data.  Modbus register and coil
# writes go through the agent's Modbus master to a libmodbus slave on a
# pty (tests/agent/modbus_slave.c) and are replied when it answered; the
# master's polls read the written registers and coils back, and the
# coils that were not allowlisted stay as they were.
# Runs as root inside the VM harness (tests/vm/tests.list); TAP out.
set -u

top=${M2MGW_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
agent=$top/build/bin/m2mgwd
ctl=$top/build/bin/m2mctl
T=$(mktemp -d /tmp/m2mgwd-dl.XXXXXX)
chmod 755 "$T"
port=18841
n=0
fails=0
pids=()
apid=

t0=$(date +%s)
ok() {
	n=$((n + 1))
	echo "# at $(($(date +%s) - t0)) s"
	if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fails=$((fails + 1)); fi
}

finish() {
	[ -n "$apid" ] && kill -9 "$apid" 2>/dev/null
	touch "$T/done"
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ $fails -ne 0 ]; then
		echo "# --- agent log"; sed 's/^/# /' "$T/agent.log" | tail -n 40
		echo "# --- replies"; sed 's/^/# /' "$T/replies" | tail -n 20
		echo "# --- candump"; sed 's/^/# /' "$T"/dump* | tail -n 20
	fi
	"$ctl" port del dlcan >/dev/null 2>&1
	"$ctl" port del dlslow >/dev/null 2>&1
	[ -n "${pts:-}" ] && "$ctl" port del "$pts" >/dev/null 2>&1
	[ -n "${mpts:-}" ] && "$ctl" port del "$mpts" >/dev/null 2>&1
	ip link del dlvcan0 2>/dev/null
	ip link del dlvcan1 2>/dev/null
	rm -rf "$T"
	echo "1..$n"
}
trap finish EXIT

echo "TAP version 13"
for t in mosquitto mosquitto_sub mosquitto_pub candump "$agent" "$ctl" \
	"$top/build/agent/modbus_slave"; do
	if ! command -v "$t" >/dev/null; then
		echo "1..0 # SKIP $t not found"
		trap - EXIT
		exit 0
	fi
done

modprobe -q vcan 2>/dev/null
modprobe -q can_raw 2>/dev/null || modprobe -q can-raw 2>/dev/null
ip link set lo up
for d in dlvcan0 dlvcan1; do
	ip link add "$d" type vcan 2>/dev/null
	ip link set "$d" up
done
printf 'listener %s 127.0.0.1\nallow_anonymous true\nuser root\n' "$port" >"$T/mosq.conf"
mosquitto -c "$T/mosq.conf" >"$T/mosq.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
	mosquitto_pub -h 127.0.0.1 -p $port -t probe -m x 2>/dev/null && break
	sleep 0.2
done
mosquitto_sub -h 127.0.0.1 -p $port -q 1 -t 'vmdl/+/cmd/result' -v >"$T/replies" 2>&1 &
pids+=($!)
mosquitto_sub -V 5 -h 127.0.0.1 -p $port -q 1 -t 'vmdl/resp/#' -F '%t %D %p' >"$T/replies5" 2>&1 &
pids+=($!)
candump -L dlvcan0 >"$T/dump0" 2>&1 &
pids+=($!)
candump -L dlvcan1 >"$T/dump1" 2>&1 &
pids+=($!)

# A serial device: a pty whose slave gets the m2mgw line discipline
# (TIOCSETD), so the module creates port pts<N>; what the agent sends
# on it arrives on the master side, copied to $T/serial.
python3 - "$T" <<'EOF' &
import fcntl, os, select, struct, sys, termios, tty
T = sys.argv[1]
m, s = os.openpty()
tty.setraw(m); tty.setraw(s)
fcntl.ioctl(s, termios.TIOCSETD, struct.pack('i', 29))
open(T + '/pty.tmp', 'w').write('pts%s' % os.ttyname(s).rsplit('/', 1)[1])
os.rename(T + '/pty.tmp', T + '/pty')
with open(T + '/serial', 'wb', buffering=0) as out:
    while not os.path.exists(T + '/done'):
        if select.select([m], [], [], 0.1)[0]:
            out.write(os.read(m, 4096))
EOF
ppid=$!
for _ in $(seq 50); do [ -f "$T/pty" ] && break; sleep 0.1; done
pts=$(cat "$T/pty" 2>/dev/null)
for _ in $(seq 50); do "$ctl" port show "$pts" >/dev/null 2>&1 && break; sleep 0.1; done

# The hand-checked vector: TargetRpm 1500 / 0.25 = 6000 = 0x1770,
# Motorola from bit 7 -> bytes 0-1 = 17 70; Mode 5 in byte 2 -> 05.
cat >"$T/cmd.dbc" <<'EOF'
VERSION ""

NS_ :
	CM_

BS_:

BU_: GW ECU

BO_ 256 EngineCmd: 8 GW
 SG_ TargetRpm : 7|16@0+ (0.25,0) [0|8000] "rpm" ECU
 SG_ Mode : 16|4@1+ (1,0) [0|15] "" ECU

BO_ 768 Secret: 8 GW
 SG_ Unlock : 0|8@1+ (1,0) [0|255] "" ECU
EOF
cat >"$T/agent.conf" <<EOF
[agent]
log_level = info
[source]
type = ring
ring_size = 64k
[spool]
dir = $T/spool
flush_interval = 10ms
[port dlcan]
type = can
ifname = dlvcan0
decoder = dbc
dbc = $T/cmd.dbc
downlink_can_ids = 101-10f
downlink_messages = EngineCmd
downlink_rate = 100
[port dlslow]
type = can
ifname = dlvcan1
downlink_can_ids = 123
downlink_rate = 1
[port $pts]
type = serial
create = no
downlink_serial = yes
[rule none]
port = dlslow
signal = nothing-matches
[output local]
host = 127.0.0.1
port = $port
protocol = 5
topic = vmdl/data/{port}/{signal}
command_topic = vmdl/{port}/cmd/#
replay_rate = 0
EOF
"$agent" -c "$T/agent.conf" >>"$T/agent.log" 2>&1 &
apid=$!
for _ in $(seq 100); do
	grep -q 'subscribed to vmdl/+/cmd/#' "$T/agent.log" && break
	sleep 0.1
done
grep -q 'subscribed to vmdl/+/cmd/#' "$T/agent.log"
ok $? "m2mgwd subscribed to the command topic vmdl/+/cmd/#"
sleep 0.5

pub() { mosquitto_pub -h 127.0.0.1 -p $port -q 1 -t "vmdl/$1/cmd" -m "$2"; }
# wait_replies N: until N replies arrived (or 20 s).
wait_replies() {
	for _ in $(seq 100); do
		[ "$(wc -l <"$T/replies")" -ge "$1" ] && return 0
		sleep 0.2
	done
	return 1
}
reply() { sed -n "${1}p" "$T/replies"; }

pub dlcan '{"id":"0x101","data":"11223344","cid":"c1"}'
wait_replies 1
reply 1 | grep -qx 'vmdl/dlcan/cmd/result {"port":"dlcan","cid":"c1","ok":true,"id":"0x101","ext":false,"data":"11223344"}'
ok $? "raw command: ok reply with its cid on vmdl/dlcan/cmd/result"

pub dlcan '{"message":"EngineCmd","signals":{"TargetRpm":1500,"Mode":5}}'
wait_replies 2
reply 2 | grep -q '"ok":true,"id":"0x100","ext":false,"data":"1770050000000000"'
ok $? "DBC command EngineCmd: ok reply with the encoded frame"

pub dlcan '{"id":"0x200","data":"ff"}'
wait_replies 3
reply 3 | grep -q '"ok":false,"error":"not allowed: CAN id 0x200 (11-bit) is not in downlink_can_ids of port dlcan"'
ok $? "id 0x200 (not allowlisted): error reply"
grep -q 'refused: not allowed: CAN id 0x200' "$T/agent.log"
ok $? "the refused command is logged"

pub dlcan '{"message":"Secret","signals":{"Unlock":1}}'
pub dlcan '{"id":"0x101","data":"11'
pub dlcan '{"message":"EngineCmd","signals":{"TargetRpm":9000}}'
pub nosuch '{"id":"0x101","data":"00"}'
wait_replies 7
reply 4 | grep -q '"ok":false,"error":"not allowed: message \\"Secret\\" is not in downlink_messages' &&
	reply 5 | grep -q '"ok":false,"error":"bad JSON at byte' &&
	reply 6 | grep -q '"ok":false,"error":"encode error: EngineCmd.TargetRpm = 9000 is out of its range' &&
	sed -n 7p "$T/replies" | grep -q '^vmdl/nosuch/cmd/result .*"error":"unknown port \\"nosuch\\""'
ok $? "DBC message not allowed, bad JSON, out of range value, unknown port: each its error"

# Rate limit 1/s on dlslow: three commands at once, one goes out.
printf '%s\n' '{"id":"0x123","data":"01"}' '{"id":"0x123","data":"02"}' '{"id":"0x123","data":"03"}' |
	mosquitto_pub -h 127.0.0.1 -p $port -q 1 -t vmdl/dlslow/cmd -l
wait_replies 10
[ "$(grep -c '^vmdl/dlslow/cmd/result .*"ok":true' "$T/replies")" = 1 ] &&
	[ "$(grep -c '^vmdl/dlslow/cmd/result .*"error":"rate limited: port dlslow takes at most 1 commands per second' "$T/replies")" = 2 ]
ok $? "rate limit 1/s: of 3 commands at once 1 is sent, 2 are refused"

# MQTT 5: reply on the response topic, with the correlation data.
mosquitto_pub -V 5 -h 127.0.0.1 -p $port -q 1 -t vmdl/dlcan/cmd \
	-D publish response-topic vmdl/resp/me -D publish correlation-data corr42 \
	-m '{"id":"0x10f","data":"aa55"}'
for _ in $(seq 100); do [ -s "$T/replies5" ] && break; sleep 0.2; done
grep -qx 'vmdl/resp/me corr42 {"port":"dlcan","ok":true,"id":"0x10f","ext":false,"data":"aa55"}' "$T/replies5"
ok $? "MQTT 5: reply on the response topic with the correlation data"

# Serial: hex and text commands arrive on the peer byte for byte.
pub "$pts" '{"hex":"0103000a0001a5c8"}'
pub "$pts" '{"text":"RESET\r\n"}'
wait_replies 12
for _ in $(seq 50); do
	[ "$(stat -c %s "$T/serial" 2>/dev/null)" -ge 15 ] && break
	sleep 0.2
done
got=$(od -An -tx1 -v "$T/serial" | tr -d ' \n')
echo "# serial peer got: $got"
[ "$(grep -c "^vmdl/$pts/cmd/result .*\"ok\":true,\"bytes\":" "$T/replies")" = 2 ] &&
	[ "$got" = "0103000a0001a5c852455345540d0a" ]
ok $? "serial: hex and text commands reach the pty peer byte for byte"

sleep 1
kill "${pids[3]}" "${pids[4]}" 2>/dev/null
wait "${pids[3]}" "${pids[4]}" 2>/dev/null
frames0=$(awk '{print $3}' "$T/dump0" | tr '\n' ' ')
frames1=$(awk '{print $3}' "$T/dump1" | tr '\n' ' ')
echo "# dlvcan0: $frames0"
echo "# dlvcan1: $frames1"
[ "$frames0" = "101#11223344 100#1770050000000000 10F#AA55 " ]
ok $? "dlvcan0 saw exactly the 3 accepted frames, in order, and nothing refused"
[ "$frames1" = "123#01 " ]
ok $? "dlvcan1 saw exactly the one frame the rate limit let through"

# The port's link down (after the candumps: they may quit on it): the
# kernel says ENETDOWN.
ip link set dlvcan0 down
pub dlcan '{"id":"0x102","data":"99"}'
wait_replies 13
reply 13 | grep -q '"ok":false,"error":"send failed: Network is down (ENETDOWN)"'
ok $? "link down: error reply with ENETDOWN from the kernel"
ip link set dlvcan0 up

# SIGHUP with another allowlist: the new one applies at once.
sed -i 's/^downlink_can_ids = 123$/downlink_can_ids = 124/' "$T/agent.conf"
kill -HUP "$apid"
for _ in $(seq 50); do grep -q 'reload: done' "$T/agent.log" && break; sleep 0.1; done
sleep 1.1 # a token for the 1/s port
pub dlslow '{"id":"0x123","data":"01"}'
pub dlslow '{"id":"0x124","data":"01"}'
wait_replies 15
reply 14 | grep -q '"ok":false,"error":"not allowed: CAN id 0x123' &&
	reply 15 | grep -q '"ok":true,"id":"0x124"'
ok $? "SIGHUP: the new allowlist refuses 0x123 and sends 0x124"

kill -TERM "$apid"
wait "$apid"
ok $? "SIGTERM: m2mgwd exits 0"
apid=

# Modbus: register and coil writes through the agent's Modbus master to
# a libmodbus slave (id 1, coils 0..15, coil 3 on) on a pty; the master
# also polls register 20 and coils 0..15, so a write shows up in the
# readings.  Slave 2 is absent.
mkdir -p "$T/mb"
"$top/build/agent/modbus_slave" 29 "$T/mb" 1 >/dev/null 2>"$T/mb/slave.log" &
mbpid=$!
pids+=($mbpid)
for _ in $(seq 50); do [ -f "$T/mb/pty" ] && break; sleep 0.1; done
mpts=$(cat "$T/mb/pty" 2>/dev/null)
for _ in $(seq 50); do "$ctl" port show "$mpts" >/dev/null 2>&1 && break; sleep 0.1; done
cat >"$T/mb.conf" <<EOF
[source]
type = ring
ring_size = 64k
[spool]
dir = $T/spool-mb
flush_interval = 10ms
[port $mpts]
type = serial
create = no
baud = 19200
framing = modbus-rtu
decoder = modbus
mode = master
timeout = 300ms
retries = 1
poll = r20 slave=1 fc=3 addr=20 period=300ms
poll = c slave=1 fc=1 addr=0 count=16 period=300ms
downlink_modbus = 1:20-29, 1:150, 2:0
downlink_modbus_coils = 1:0-7, 1:20
downlink_rate = 100
[rule each]
period = 0
[output local]
host = 127.0.0.1
port = $port
topic = vmdl/data/{port}/{signal}
command_topic = vmdl/{port}/cmd/#
replay_rate = 0
EOF
mosquitto_sub -h 127.0.0.1 -p $port -q 1 -t "vmdl/data/$mpts/#" -v >"$T/mbdata" 2>&1 &
pids+=($!)
"$agent" -c "$T/mb.conf" >>"$T/agent.log" 2>&1 &
apid=$!
for _ in $(seq 100); do
	[ "$(grep -c 'subscribed to vmdl/+/cmd/#' "$T/agent.log")" -ge 2 ] && break
	sleep 0.1
done
for _ in $(seq 100); do grep -q '"value":0' "$T/mbdata" && break; sleep 0.2; done
mbr() { grep "^vmdl/$mpts/cmd/result " "$T/replies" | grep -c "$1"; }
pub "$mpts" '{"slave":1,"write":{"address":20,"value":4242}}'
pub "$mpts" '{"slave":1,"write":{"address":21,"values":[1,2,3]}}'
pub "$mpts" '{"slave":1,"write":{"address":150,"value":1}}'
pub "$mpts" '{"slave":1,"write":{"address":30,"value":1}}'
pub "$mpts" '{"slave":2,"write":{"address":0,"value":1}}'
# Coils: 0..7 by function 15, then coil 1 by function 5; coil 8 and
# coil 25 (a register the port may write, not a coil) are not
# allowlisted, 20 is but the slave has no such coil, and 1 is no coil
# value.
pub "$mpts" '{"slave":1,"write":{"address":0,"coils":[true,false,true,true,false,false,true,true]}}'
pub "$mpts" '{"slave":1,"write":{"address":1,"coil":true}}'
pub "$mpts" '{"slave":1,"write":{"address":8,"coil":true}}'
pub "$mpts" '{"slave":1,"write":{"address":25,"coils":[true]}}'
pub "$mpts" '{"slave":1,"write":{"address":20,"coil":true}}'
pub "$mpts" '{"slave":1,"write":{"address":2,"coil":1}}'
for _ in $(seq 100); do
	[ "$(grep -c "^vmdl/$mpts/cmd/result " "$T/replies")" -ge 11 ] && break
	sleep 0.2
done
[ "$(mbr '"ok":true,"slave":1,"address":20,"count":1,"function":6}')" = 1 ] &&
	grep -q '^[0-9.]* 1 6 20 4242 ' "$T/mb/requests"
ok $? "modbus: a register write goes out as function 6 and the slave's answer gives ok"
[ "$(mbr '"ok":true,"slave":1,"address":21,"count":3,"function":16}')" = 1 ] &&
	grep -q '^[0-9.]* 1 16 21 3 ' "$T/mb/requests"
ok $? "modbus: 3 registers go out as function 16, ok"
[ "$(mbr '"function":6,"error":"slave 1 answered with exception 2 (illegal data address)"')" = 1 ]
ok $? "modbus: the slave's exception is the error reply"
[ "$(mbr '"error":"not allowed: slave 1 register 30 (1 of them) is not in downlink_modbus')" = 1 ] &&
	! grep -q '^[0-9.]* 1 6 30 ' "$T/mb/requests"
ok $? "modbus: a register outside downlink_modbus is refused and never requested"
[ "$(mbr '"error":"no answer from slave 2 (timeout')" = 1 ]
ok $? "modbus: an absent slave gives the timeout error"
for _ in $(seq 50); do grep -q '"value":4242' "$T/mbdata" && break; sleep 0.2; done
grep -q "^vmdl/data/$mpts/.*\"value\":4242" "$T/mbdata"
ok $? "modbus: the master's poll of register 20 reads the written 4242 back"

[ "$(mbr '"ok":true,"slave":1,"address":0,"count":8,"function":15}')" = 1 ] &&
	grep -q '^[0-9.]* 1 15 0 8 ' "$T/mb/requests"
ok $? "coils: 8 coils go out as function 15, ok"
[ "$(mbr '"ok":true,"slave":1,"address":1,"count":1,"function":5}')" = 1 ] &&
	grep -q '^[0-9.]* 1 5 1 65280 ' "$T/mb/requests"
ok $? "coils: one coil goes out as function 5 (FF 00 = on), ok"
[ "$(mbr '"error":"not allowed: slave 1 coil 8 (1 of them) is not in downlink_modbus_coils')" = 1 ] &&
	[ "$(mbr '"error":"not allowed: slave 1 coil 25 (1 of them) is not in downlink_modbus_coils')" = 1 ] &&
	[ "$(mbr 'a coil is true or false"')" = 1 ] &&
	! grep -q '^[0-9.]* 1 5 8 \|^[0-9.]* 1 15 25 \|^[0-9.]* 1 5 2 ' "$T/mb/requests"
ok $? "coils: coil 8, coil 25 (only a register allowlisted) and the value 1 refused, never requested"
[ "$(mbr '"function":5,"error":"slave 1 answered with exception 2 (illegal data address)"')" = 1 ]
ok $? "coils: the slave's exception for coil 20 is the error reply"
# The polls after the writes: the slave's coils as written, 8.. as they
# were (coil 3 was on before).
want="1 1 1 1 0 0 1 1 0 0 0 0 0 0 0 0"
for _ in $(seq 50); do
	got=$(python3 - "$T/mbdata" "$mpts" <<'EOF'
import json, sys
last = {}
for l in open(sys.argv[1]):
    topic, _, body = l.partition(' ')
    if topic.startswith('vmdl/data/%s/c.' % sys.argv[2]):
        last[int(topic.rsplit('.', 1)[1])] = json.loads(body)['value']
print(' '.join('%g' % last.get(i, -1) for i in range(16)))
EOF
)
	[ "$got" = "$want" ] && break
	sleep 0.2
done
echo "# coils 0..15 polled back: $got"
[ "$got" = "$want" ]
ok $? "coils: the master's poll of coils 0..15 reads the written ones back, coil 8 still off"
kill -TERM "$apid"
wait "$apid"
ok $? "SIGTERM: the Modbus m2mgwd exits 0"
apid=
touch "$T/done"
wait "$ppid" 2>/dev/null
kill "$mbpid"
wait "$mbpid" 2>/dev/null
sleep 0.5 # the ptys' ports go GONE
"$ctl" port del dlcan && "$ctl" port del dlslow && "$ctl" port del "$pts" &&
	"$ctl" port del "$mpts"
ok $? "the agent's ports and the ptys' ports deleted"
exit 0
