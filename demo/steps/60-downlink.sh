# SPDX-License-Identifier: GPL-2.0
# demo: downlink: MQTT commands to a CAN bus - a DBC message by name, a raw frame, and one the allowlist refuses
# Shell fragment run by demo/run (bash -eu).

d=$(mktemp -d /tmp/demo-downlink.XXXXXX)
chmod 755 "$d"
cleanup() {
	kill "${dump:-}" "${sub:-}" "${agent:-}" 2>/dev/null || true
	kill "${broker:-}" 2>/dev/null || true
	wait 2>/dev/null || true
	m2mctl port del actuator >/dev/null 2>&1 || true
	ip link del vcan2 2>/dev/null || true
}
trap cleanup EXIT
ip link set lo up
ip link add vcan2 type vcan 2>/dev/null || true
ip link set vcan2 up
printf 'listener 1883 127.0.0.1\nallow_anonymous true\nuser root\n' >"$d/mosquitto.conf"
mosquitto -c "$d/mosquitto.conf" >"$d/mosquitto.log" 2>&1 &
broker=$!
for _ in $(seq 50); do
	mosquitto_pub -h 127.0.0.1 -t probe -m x 2>/dev/null && break
	sleep 0.2
done
cat >"$d/actuator.dbc" <<'DBC'
VERSION ""

NS_ :

BS_:

BU_: GW ECU

BO_ 256 EngineCmd: 8 GW
 SG_ TargetRpm : 7|16@0+ (0.25,0) [0|8000] "rpm" ECU
 SG_ Mode : 16|4@1+ (1,0) [0|15] "" ECU

BO_ 768 Immobilizer: 8 GW
 SG_ Unlock : 0|8@1+ (1,0) [0|255] "" ECU
DBC
cat >"$d/m2mgwd.conf" <<CONF
[source]
type = ring

[spool]
dir = $d/spool

# commands may send: EngineCmd by name, raw frames 0x101..0x10f; the
# Immobilizer message is in the DBC but not allowed
[port actuator]
type = can
ifname = vcan2
decoder = dbc
dbc = $d/actuator.dbc
downlink_messages = EngineCmd
downlink_can_ids = 101-10f
downlink_rate = 5

# what the bus carries is decoded too: the commands' own frames come back
[rule echo]
port = actuator
period = 0

[output local]
host = 127.0.0.1
topic = site/{port}/{signal}
command_topic = site/{port}/cmd/#
CONF
echo "\$ cat m2mgwd.conf"
grep -v '^$' "$d/m2mgwd.conf"
echo "\$ candump -L vcan2 &"
candump -L vcan2 >"$d/candump.out" 2>&1 &
dump=$!
echo "\$ mosquitto_sub -t 'site/#' -v &"
mosquitto_sub -h 127.0.0.1 -q 1 -t 'site/#' -v >"$d/sub.out" 2>&1 &
sub=$!
echo "\$ m2mgwd -c m2mgwd.conf &"
m2mgwd -c "$d/m2mgwd.conf" 2>"$d/agent.log" &
agent=$!
for _ in $(seq 100); do
	grep -q 'subscribed to' "$d/agent.log" && break
	sleep 0.1
done
sed 's/^[0-9:.]* /  /' "$d/agent.log"
pub() {
	echo "\$ mosquitto_pub -t site/actuator/cmd -m '$1'"
	mosquitto_pub -h 127.0.0.1 -q 1 -t site/actuator/cmd -m "$1"
}
pub '{"message":"EngineCmd","signals":{"TargetRpm":1500,"Mode":5}}'
pub '{"id":"0x101","data":"11223344"}'
pub '{"message":"Immobilizer","signals":{"Unlock":1}}'
pub '{"id":"0x7df","data":"0201000000000000"}'
for _ in $(seq 50); do
	[ "$(grep -c /cmd/result "$d/sub.out")" -ge 4 ] && break
	sleep 0.2
done
sleep 0.5
kill -TERM "$agent"
wait "$agent" || true
agent=
kill "$dump"
wait "$dump" 2>/dev/null || true
dump=
echo "\$ # what the subscriber printed: commands, replies, and the sent frames decoded back:"
cat "$d/sub.out"
echo "\$ # what candump saw on vcan2 (the two allowed commands, nothing else):"
cat "$d/candump.out"
echo "\$ # the agent's log of the refusals:"
grep refused "$d/agent.log" | sed 's/^[0-9:.]* /  /'
frames=$(awk '{print $3}' "$d/candump.out" | tr '\n' ' ')
if [ "$frames" != "100#1770050000000000 101#11223344 " ] ||
	[ "$(grep -c '"ok":false' "$d/sub.out")" != 2 ] ||
	! grep -q '^site/actuator/EngineCmd.TargetRpm .*"value":1500' "$d/sub.out"; then
	echo "expected frames 100#1770050000000000 101#11223344 and 2 refusals, got: $frames"
	exit 1
fi
m2mctl port del actuator
