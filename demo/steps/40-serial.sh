# SPDX-License-Identifier: GPL-2.0
# demo: serial ports: a Modbus RTU meter on a UART (opened by the module) and an NMEA GPS on a pty (attached with TIOCSETD), framed into the ring
# Shell fragment run by demo/run (bash -eu).

show() {
	echo "\$ $*"
	"$@"
}
d=$(mktemp -d)

# 1. A Modbus RTU meter at the far end of a null-modem cable: QEMU wires
#    ttyS1 to ttyS2 (tests/vm/run, M2MGW_VM_UARTS).  The module opens
#    ttyS1 itself; the "meter" writes its answers on ttyS2.
if stty -F /dev/ttyS2 1200 raw -echo clocal 2>/dev/null; then
	show m2mctl port add serial ttyS1 baud 1200 framing modbus-rtu maxlen 256 name meter
	echo '$ m2mctl dump -n 3 meter &'
	m2mctl dump -n 3 meter &
	dump=$!
	sleep 1
	echo '$ # the meter sends three Modbus RTU frames (CRC-16) on ttyS2'
	python3 - <<'PY'
import os, time
def crc16(b):
    c = 0xffff
    for x in b:
        c ^= x
        for _ in range(8):
            c = (c >> 1) ^ 0xa001 if c & 1 else c >> 1
    return bytes([c & 0xff, c >> 8])
fd = os.open('/dev/ttyS2', os.O_RDWR | os.O_NOCTTY)
for pdu in (bytes.fromhex('0103040001fe3c'), bytes.fromhex('0106000a0017'),
            bytes.fromhex('010302044c')):
    os.write(fd, pdu + crc16(pdu))
    time.sleep(0.6)
PY
	wait $dump
	show m2mctl -s port show meter
	show m2mctl port del meter
else
	echo "(no ttyS1-ttyS2 UART pair in this VM: skipping the Modbus meter)"
fi

# 2. An NMEA 0183 GPS on a pty, attached like ldattach would: the line
#    discipline's open creates port pts<N> by itself.
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
for line in (b'$GPGGA,092750.000,5321.6802,N,00630.3372,W,1,8,1.03,61.7,M,55.2,M,,*76\r\n',
             b'$GPRMC,092750.000,A,5321.6802,N,00630.3372,W,0.02,31.66,280511,,,A*43\r\n',
             b'$GPVTG,31.66,T,,M,0.02,N,0.04,K,A*3B\r\n'):
    os.write(m, line[:20]); time.sleep(0.05); os.write(m, line[20:])
    time.sleep(0.2)
while not os.path.exists(d + '/done'):
    time.sleep(0.1)
PY
gps=$!
for _ in $(seq 50); do [ -f "$d/pty" ] && break; sleep 0.1; done
pts=$(cat "$d/pty")
for _ in $(seq 50); do m2mctl port show "$pts" >/dev/null 2>&1 && break; sleep 0.1; done
show m2mctl port show "$pts"
show m2mctl port set "$pts" framing delimiter '\n'
echo "\$ m2mctl dump -n 3 $pts &"
m2mctl dump -n 3 "$pts" &
dump=$!
sleep 1
touch "$d/go"
wait $dump
show m2mctl -s port show "$pts"
touch "$d/done"
wait $gps
# The pty is closed: its port stays, gone, with its counters, until it is
# deleted; delete it so the next pty of that name gets a port of its own.
if m2mctl port show "$pts" >/dev/null 2>&1; then
	show m2mctl port show "$pts"
	show m2mctl port del "$pts"
fi
rm -rf "$d"
