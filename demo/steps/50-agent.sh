# SPDX-License-Identifier: GPL-2.0
# demo: m2mgwd: vcan frames decoded with a DBC, a Modbus RTU meter polled by the agent, a key=value meter and an NMEA GPS through the module and the agent to a mosquitto broker
# Shell fragment run by demo/run (bash -eu).

show() {
	echo "\$ $*"
	"$@"
}
d=$(mktemp -d /tmp/demo-agent.XXXXXX)
chmod 755 "$d"
cleanup() {
	touch "$d/done"
	kill -9 "${sub:-}" "${agent:-}" "${meter:-}" "${slave:-}" 2>/dev/null || true
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
# The simulated serial devices: two ptys whose slaves get the m2mgw line
# discipline (as ldattach would), so the module creates ports pts<N>: an
# energy meter printing key=value lines and a GPS receiver printing NMEA.
python3 - "$d" <<'PY' &
import fcntl, functools, os, struct, sys, termios, time, tty
d = sys.argv[1]
def pty(name):
    m, s = os.openpty()
    tty.setraw(m); tty.setraw(s)
    fcntl.ioctl(s, termios.TIOCSETD, struct.pack('i', 29))
    open(d + '/tmp', 'w').write('pts' + os.ttyname(s).rsplit('/', 1)[1])
    os.rename(d + '/tmp', d + '/' + name)
    return m, s
def nmea(body):
    c = functools.reduce(lambda a, b: a ^ b, body.encode(), 0)
    return ('$%s*%02X\r\n' % (body, c)).encode()
meter, _m = pty('meter')
gps, _g = pty('gps')
while not os.path.exists(d + '/go'):
    time.sleep(0.1)
for i, kwh in enumerate((1021.5, 1021.7, 1022.0)):
    os.write(meter, b'kWh=%.1f V=%.1f\n' % (kwh, 230.1 + i))
    os.write(gps, nmea('GPGGA,1200%02d.00,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,' % i))
    os.write(gps, nmea('GPRMC,1200%02d.00,A,4807.038,N,01131.000,E,%.1f,084.4,251126,,,A' % (i, 22.4 + i)))
    time.sleep(0.2)
while not os.path.exists(d + '/done'):
    time.sleep(0.1)
PY
meter=$!
for _ in $(seq 50); do [ -f "$d/gps" ] && break; sleep 0.1; done
# A Modbus RTU energy meter (libmodbus, slave id 1, 19200 8N1) on a third
# pty; the agent polls it as the bus master.
mkdir "$d/mb"
build/agent/modbus_slave 29 "$d/mb" 1 &
slave=$!
for _ in $(seq 50); do [ -f "$d/mb/pty" ] && break; sleep 0.1; done
mb_pts=$(cat "$d/mb/pty")
meter_pts=$(cat "$d/meter")
gps_pts=$(cat "$d/gps")
cat >"$d/m2mgwd.conf" <<CONF
[source]
type = ring

[spool]
dir = $d/spool

[port engine]
type = can
ifname = vcan0
decoder = dbc
dbc = $PWD/agent/examples/vehicle.dbc

# every Engine signal as it comes
[rule engine]
port = engine
signal = Engine.*
period = 0

# the battery: one report per 3 s of capture time
[rule battery]
port = engine
signal = Battery.Soc
period = 3s
stats = last, min, max, mean, count

# the meter: attached by TIOCSETD, one key=value line per frame
[port $meter_pts]
type = serial
create = no
framing = delimiter
framing_arg = 10
decoder = text
format = kv

[rule meter]
port = $meter_pts
period = 0

# the GPS: NMEA 0183 sentences, checksums checked
[port $gps_pts]
type = serial
create = no
framing = delimiter
framing_arg = 10
decoder = nmea

# the Modbus meter: the agent is the master, one request at a time
[port $mb_pts]
type = serial
create = no
baud = 19200
framing = modbus-rtu
decoder = modbus
mode = master
poll = temperature slave=1 fc=3 addr=2 type=float32 unit=degC period=1s
poll = energy slave=1 fc=3 addr=10 type=u32 order=little scale=0.01 unit=kWh period=1s
poll = voltage slave=1 fc=4 addr=5 scale=0.1 unit=V period=1s

[rule modbus]
port = $mb_pts
period = 0

[rule position]
port = $gps_pts
signal = *itude
period = 0

[rule speed]
port = $gps_pts
signal = speed
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
echo "\$ # the engine ECU: coolant 90 degC, 1500..1800 rpm, 2nd gear; the BMS: 400 V, SoC 80..78.5 %"
for f in 1770:A0 1900:9F 1A90:9E 1C20:9D; do
	show cansend vcan0 "100#14050000${f%:*}0200"
	show cansend vcan0 "200#00409C00000000${f#*:}"
done
echo "\$ # the meter writes 3 lines, the GPS 3 GGA and 3 RMC sentences"
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
n=$(grep -c '^site/engine/Engine\.' "$d/sub.out")
m=$(grep -c "^site/$meter_pts/" "$d/sub.out")
g=$(grep -c "^site/$gps_pts/" "$d/sub.out")
rpm=$(grep -c '^site/engine/Engine.Rpm .*"value":1[5-8]00' "$d/sub.out")
mb=$(grep -c "^site/$mb_pts/temperature .*\"value\":21.5,\"unit\":\"degC\"" "$d/sub.out")
if [ "$mb" -lt 3 ] || ! grep -q "^site/$mb_pts/energy .*\"value\":1000,\"unit\":\"kWh\"" "$d/sub.out"; then
	echo "Modbus: expected the meter's temperature (21.5 degC) at least 3 times and energy 1000 kWh"
	exit 1
fi
if [ "$n" != 16 ] || [ "$rpm" != 4 ] || [ "$m" != 6 ] || [ "$g" != 18 ]; then
	echo "expected 16 Engine (4 Rpm 1500..1800), 6 meter and 18 GPS messages, got $n ($rpm), $m and $g"
	exit 1
fi
