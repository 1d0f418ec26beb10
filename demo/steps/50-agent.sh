# SPDX-License-Identifier: GPL-2.0
# demo: m2mgwd: vcan frames and a simulated serial meter through the module and the agent to a mosquitto broker, printed as JSON by a subscriber
# Shell fragment run by demo/run (bash -eu).

d=$(mktemp -d /tmp/demo-agent.XXXXXX)
chmod 755 "$d"
cleanup() {
	touch "$d/done"
	kill -9 "${sub:-}" "${agent:-}" "${meter:-}" 2>/dev/null || true
	kill "${broker:-}" 2>/dev/null || true
	wait 2>/dev/null || true
	ip link del vcan0 2>/dev/null || true
}
trap cleanup EXIT
ip link set lo up
ip link add vcan0 type vcan 2>/dev/null || true
ip link set vcan0 up
printf 'listener 1883 127.0.0.1\nallow_anonymous true\nuser root\n' >"$d/mosquitto.conf"
mosquitto -c "$d/mosquitto.conf" >"$d/mosquitto.log" 2>&1 &
broker=$!
for _ in $(seq 50); do
	mosquitto_pub -h 127.0.0.1 -t probe -m x 2>/dev/null && break
	sleep 0.2
done
# The simulated serial device: a pty whose slave gets the m2mgw line
# discipline (as ldattach would), so the module creates port pts<N>.
python3 - "$d" <<'PY' &
import fcntl, os, struct, sys, termios, time, tty
d = sys.argv[1]
m, s = os.openpty()
tty.setraw(m); tty.setraw(s)
fcntl.ioctl(s, termios.TIOCSETD, struct.pack('i', 29))
open(d + '/pty.tmp', 'w').write('pts' + os.ttyname(s).rsplit('/', 1)[1])
os.rename(d + '/pty.tmp', d + '/pty')
while not os.path.exists(d + '/go'):
    time.sleep(0.1)
for line in (b'kWh=1021.5\n', b'kWh=1021.7\n', b'kWh=1022.0\n'):
    os.write(m, line)
    time.sleep(0.2)
while not os.path.exists(d + '/done'):
    time.sleep(0.1)
PY
meter=$!
for _ in $(seq 50); do [ -f "$d/pty" ] && break; sleep 0.1; done
pts=$(cat "$d/pty")
cat >"$d/m2mgwd.conf" <<CONF
[source]
type = ring

[spool]
dir = $d/spool

[port engine]
type = can
ifname = vcan0
decoder = raw

# every frame of id 123 as it comes
[rule rpm]
port = engine
signal = 123
period = 0

# id 200: one report per 3 s of capture time
[rule temp]
port = engine
signal = 200
period = 3s
stats = last, min, max, mean, count

# the serial meter: attached by TIOCSETD, one frame per line
[port $pts]
type = serial
create = no
framing = delimiter
framing_arg = 10

[rule meter]
port = $pts
period = 0

[output local]
host = 127.0.0.1
topic = site/{port}/{signal}
status_topic = site/gateway/status
CONF
echo "\$ cat m2mgwd.conf"
grep -v '^$' "$d/m2mgwd.conf"
echo "\$ m2mgwd -t -c m2mgwd.conf"
m2mgwd -t -c "$d/m2mgwd.conf"
echo "\$ mosquitto_sub -t 'site/#' -v &"
mosquitto_sub -h 127.0.0.1 -q 1 -t 'site/#' -v >"$d/sub.out" 2>&1 &
sub=$!
sleep 0.3
echo "\$ m2mgwd -c m2mgwd.conf &"
m2mgwd -c "$d/m2mgwd.conf" 2>"$d/agent.log" &
agent=$!
for _ in $(seq 50); do
	grep -q 'status online' "$d/sub.out" && break
	sleep 0.2
done
sed 's/^[0-9:.]* /  /' "$d/agent.log"
echo "\$ for t in 0141 0150 015a 0164; do cansend vcan0 123#0BB8; cansend vcan0 200#\$t; done"
for t in 0141 0150 015a 0164; do
	cansend vcan0 123#0BB8
	cansend vcan0 "200#$t"
done
echo "\$ # the meter writes 3 lines on its serial line"
touch "$d/go"
sleep 4
kill -USR1 "$agent"
sleep 0.3
kill -TERM "$agent"
wait "$agent"
echo "m2mgwd exited with status $?"
agent=
sleep 0.3
echo "\$ # what the subscriber printed:"
cat "$d/sub.out"
echo "\$ # metrics (SIGUSR1) from the agent log:"
grep -E 'frames_in_total|decoded_total|reports_total|acked_total|broker_connected' "$d/agent.log" | sed 's/^[0-9:.]* /  /'
n=$(grep -c '^site/engine/' "$d/sub.out")
m=$(grep -c "^site/$pts/" "$d/sub.out")
if [ "$n" -lt 5 ] || [ "$m" != 3 ]; then
	echo "expected at least 5 CAN and 3 serial messages, got $n and $m"
	exit 1
fi
