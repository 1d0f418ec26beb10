#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host integration test of m2mgwd with a real mosquitto broker on
# 127.0.0.1 (a free port), no VM: replay source -> agent -> broker ->
# mosquitto_sub, checked message by message with python3.
#
#   M2MGWD        the agent binary (default build/bin/m2mgwd)
#   M2MGW_OUTAGE  seconds the broker stays down in the outage test
#                 (default 3 here to keep make check short; the issue's
#                 30 s: M2MGW_OUTAGE=30)
#
# TAP on stdout; logs of every run in $M2MGW_TEST_DIR (kept on failure).
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
agent=${M2MGWD:-$top/build/bin/m2mgwd}
outage=${M2MGW_OUTAGE:-3}
T=$(mktemp -d /tmp/m2mgwd-mqtt.XXXXXX)
# mosquitto started as root drops to user "mosquitto": let it in.
chmod 755 "$T"
n=0
failed=0
broker_pid=
agent_pid=
subs=()

ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		failed=$((failed + 1))
	fi
}

skip() {
	n=$((n + 1))
	echo "ok $n $1 # SKIP $2"
}

cleanup() {
	[ -n "$agent_pid" ] && kill -9 "$agent_pid" 2>/dev/null
	for p in "${subs[@]}"; do kill -9 "$p" 2>/dev/null; done
	[ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null
	wait 2>/dev/null
	if [ "$failed" = 0 ]; then rm -rf "$T"; else echo "# logs kept in $T"; fi
}
trap cleanup EXIT

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() {
	for _ in $(seq 50); do
		python3 -c "import socket; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

port=$(free_port)
mport=$(free_port)

# start_broker [extra config lines]: persistent, so the subscriber's
# queued QoS 1 messages survive a broker restart like a real deployment.
start_broker() {
	mkdir -p "$T/db"
	chmod 777 "$T/db"
	{
		echo "listener $port 127.0.0.1"
		echo "persistence true"
		echo "persistence_location $T/db/"
		echo "max_queued_messages 100000"
		if [ -n "${1:-}" ]; then echo "$1"; else echo "allow_anonymous true"; fi
	} >"$T/mosquitto.conf"
	mosquitto -c "$T/mosquitto.conf" >>"$T/mosquitto.log" 2>&1 &
	broker_pid=$!
	wait_port "$port"
}

stop_broker() {
	[ -n "$broker_pid" ] || return
	kill "$broker_pid"
	wait "$broker_pid" 2>/dev/null
	broker_pid=
}

# start_sub NAME: a persistent QoS 1 session, so nothing published
# while it reconnects is lost to the test.
start_sub() {
	mosquitto_sub -h 127.0.0.1 -p "$port" -q 1 -c -i "sub-$1" -t 'data/#' \
		-t 'status/#' -v >>"$T/$1.out" 2>>"$T/$1.err" &
	subs+=($!)
	sleep 0.3
}

stop_subs() {
	# mosquitto_sub may block SIGTERM while in its loop: KILL it.
	for p in "${subs[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	subs=()
}

# conf NAME KEY=VALUE...: an agent config; the overrides go into the
# right sections by prefix (source.speed=1, spool.max_size=64k ...).
conf() {
	local name=$1; shift
	local f="$T/$name.conf"
	python3 - "$f" "$T" "$port" "$mport" "$@" <<'EOF'
import sys
f, T, port, mport = sys.argv[1:5]
sec = {
 'agent': {'log_level': 'info', 'metrics_listen': '127.0.0.1:' + mport,
           'stall_timeout': '30s', 'drain_timeout': '3s'},
 'source': {'type': 'replay', 'file': T + '/frames.log', 'speed': '0'},
 'spool': {'dir': T + '/spool', 'max_size': '4M', 'segment_size': '256k',
           'flush_interval': '20ms'},
 'port can0': {'type': 'can', 'ifname': 'vcan0'},
 'rule all': {'port': 'can0', 'signal': '*', 'period': '0'},
 'output broker': {'host': '127.0.0.1', 'port': port,
                   'topic': 'data/{port}/{signal}', 'status_topic': 'status/agent',
                   'qos': '1', 'backoff_min': '200ms', 'backoff_max': '1s',
                   'replay_rate': '0', 'client_id': 'agent-test'},
}
for kv in sys.argv[5:]:
    k, v = kv.split('=', 1)
    s, k = k.rsplit('.', 1)
    sec.setdefault(s, {})[k] = v
with open(f, 'w') as o:
    for s, kv in sec.items():
        o.write('[%s]\n' % s)
        for k, v in kv.items():
            if v != '':
                o.write('%s = %s\n' % (k, v))
EOF
	echo "$f"
}

start_agent() {
	"$agent" -c "$1" >>"$T/agent.log" 2>&1 &
	agent_pid=$!
}

stop_agent() {
	kill -TERM "$agent_pid" 2>/dev/null
	wait "$agent_pid"
	local rc=$?
	agent_pid=
	return $rc
}

metric() {
	curl -s "http://127.0.0.1:$mport/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}

# frames COUNT STEP_US: a candump -L log; frame i on id 0x100 + i % 4,
# 2 data bytes i >> 8, i & 255 (raw value = i), 1 s after 2023-11-14.
frames() {
	python3 - "$1" "$2" >"$T/frames.log" <<'EOF'
import sys
n, step = int(sys.argv[1]), int(sys.argv[2])
t0 = 1700000000 * 10**6
for i in range(n):
    t = t0 + i * step
    print('(%d.%06d) vcan0 %03X#%02X%02X' % (t // 10**6, t % 10**6, 0x100 + i % 4, i >> 8, i & 255))
EOF
}

# wait_count FILE N [SECONDS]: until FILE has N data messages.
wait_count() {
	local end=$((SECONDS + ${3:-20}))
	while [ $SECONDS -lt $end ]; do
		[ "$(grep -c '^data/' "$1" 2>/dev/null)" -ge "$2" ] && return 0
		sleep 0.2
	done
	return 1
}

# check FILE N [options]: every raw frame 0..N-1 arrived exactly as
# sent (value, seq, topic, capture time); prints problems.
check() {
	python3 - "$@" <<'EOF'
import json, sys
f, n = sys.argv[1], int(sys.argv[2])
opts = sys.argv[3:]
seen, live, hist, bad = {}, [], [], []
for line in open(f):
    if not line.startswith('data/'):
        continue
    topic, payload = line.rstrip('\n').split(' ', 1)
    m = json.loads(payload)
    i = m['seq']
    want_topic = 'data/can0/%03x' % (0x100 + i % 4)
    if topic != want_topic or m['value'] != i or m['raw'] != '%04x' % i:
        bad.append('seq %d: %s %s' % (i, topic, payload))
    seen[i] = seen.get(i, 0) + 1
    (hist if m.get('historical') else live).append(i)
missing = [i for i in range(n) if i not in seen]
if missing:
    bad.append('missing %d: %s' % (len(missing), missing[:10]))
if 'ordered' in opts:
    for name, l in (('live', live), ('historical', hist)):
        dedup = [x for k, x in enumerate(l) if x not in l[:k]] if len(l) < 3000 else l
        if dedup != sorted(dedup):
            bad.append('%s out of order' % name)
if 'some-historical' in opts and not hist:
    bad.append('no historical message')
if 'no-historical' in opts and hist:
    bad.append('%d historical messages' % len(hist))
if 'no-dup' in opts and any(v > 1 for v in seen.values()):
    bad.append('duplicates')
for b in bad[:5]:
    print('# ' + b)
print('# %d messages, %d live, %d historical, %d distinct' % (len(live) + len(hist), len(live), len(hist), len(seen)))
sys.exit(1 if bad else 0)
EOF
}

echo "TAP version 13"

if ! command -v mosquitto >/dev/null || ! command -v mosquitto_sub >/dev/null; then
	echo "1..1"
	skip 1 "mosquitto/mosquitto-clients not installed"
	exit 0
fi

# --- command line and config check ------------------------------------
frames 10 1000
c=$(conf good)
"$agent" -t -c "$c" >"$T/t.out" 2>&1
ok $? "m2mgwd -t accepts a good config (exit 0)"
printf '[agent]\nlog_level = info\n[output o]\nhost = h\nqos = 7\n' >"$T/bad.conf"
"$agent" -t -c "$T/bad.conf" >"$T/t.out" 2>&1
rc=$?
grep -q "^$T/bad.conf:5: qos: \"7\" is not an integer in 0..1" "$T/t.out"
ok $(( rc == 2 ? $? : 1 )) "m2mgwd -t: bad value -> file:line message, exit 2 (got $rc)"
printf '[source]\ntype = ring\n[portx a]\n' >"$T/bad.conf"
"$agent" -c "$T/bad.conf" >"$T/t.out" 2>&1
rc=$?
grep -q "^$T/bad.conf:3: unknown section \[portx\]" "$T/t.out"
ok $(( rc == 2 ? $? : 1 )) "start with an unknown section -> exit 2 before anything runs (got $rc)"
"$agent" --version | grep -q '^m2mgwd .* (m2mgw uapi 1)$'
ok $? "m2mgwd --version"

"$agent" -t -c "$top/agent/m2mgwd.conf.example" >"$T/t.out" 2>&1
ok $? "the shipped example config is valid"

# --- every frame arrives, values and topics right ------------------------
start_broker
start_sub basic
frames 300 10000
c=$(conf basic)
start_agent "$c"
wait_count "$T/basic.out" 300 20
check "$T/basic.out" 300 ordered no-dup >"$T/check.out"
ok $? "300 replayed frames -> 300 MQTT messages, right topic/value/seq, in order, no dup"
cat "$T/check.out"
grep -q '^status/agent online$' "$T/basic.out"
ok $? "status topic says online after connect"
[ "$(metric m2mgwd_frames_in_total)" = 300 ] && [ "$(metric 'm2mgwd_acked_total{output="broker"}')" = 300 ]
ok $? "metrics endpoint: 300 frames in, 300 acked"
kill -USR1 "$agent_pid"; sleep 0.3
grep -q 'frames_in_total 300' "$T/agent.log"
ok $? "SIGUSR1 writes the metrics to the log"
stop_agent
ok $? "SIGTERM: drains and exits 0"
sleep 0.3
[ "$(tail -n 1 "$T/basic.out")" = "status/agent offline" ]
ok $? "status topic says offline after a clean stop"
stop_subs

# --- QoS 0: more messages than max_inflight, written out at once -------
# libmosquitto reports a QoS 0 message written out from inside
# mosquitto_publish(), before its mid is known: none may stay in flight.
rm -rf "$T/spool"
start_sub qos0
frames 1000 1000
c=$(conf qos0 'output broker.qos=0' 'output broker.max_inflight=20')
start_agent "$c"
wait_count "$T/qos0.out" 1000 30
check "$T/qos0.out" 1000 no-dup >"$T/check.out"
ok $? "QoS 0: 1000 frames through max_inflight 20 -> 1000 messages, no dup"
cat "$T/check.out"
[ "$(metric 'm2mgwd_acked_total{output="broker"}')" = 1000 ] &&
	[ "$(metric 'm2mgwd_spool_records{output="broker"}')" = 0 ]
ok $? "QoS 0: all 1000 acked in the spool once written, spool empty"
stop_agent
stop_subs

# --- aggregation windows end to end -------------------------------------
rm -rf "$T/spool"
start_sub agg
frames 100 100000	# 10 s of frames, 10 per second
c=$(conf agg 'rule all.period=2s' 'rule all.stats=last,min,max,mean,count' 'rule all.signal=100')
start_agent "$c"
wait_count "$T/agg.out" 5 15
python3 - "$T/agg.out" <<'EOF' >"$T/check.out"
import json, sys
# Signal 100 = frames i % 4 == 0, value i; windows of 2 s = 20 frames.
got = [json.loads(l.split(' ', 1)[1]) for l in open(sys.argv[1]) if l.startswith('data/')]
bad = 0
for k, m in enumerate(got):
    vals = [i for i in range(100) if i % 4 == 0 and 20 * k <= i < 20 * (k + 1)]
    want = dict(value=vals[-1], min=vals[0], max=vals[-1], mean=sum(vals) / len(vals), count=len(vals), seq=vals[-1])
    if any(m[x] != want[x] for x in want):
        print('# window %d: got %s want %s' % (k, m, want)); bad += 1
print('# %d windows' % len(got))
sys.exit(1 if bad or len(got) != 5 else 0)
EOF
ok $? "2 s windows: 5 reports with exact last/min/max/mean/count and capture times"
cat "$T/check.out"
stop_agent
stop_subs

# --- broker outage during traffic --------------------------------------
rm -rf "$T/spool"
start_sub outage
total=$(( (outage + 4) * 50 ))
frames $total 20000	# 50 frames/s for outage + 4 s
c=$(conf outage 'source.speed=1')
start_agent "$c"
sleep 1.5
stop_broker
sleep "$outage"
start_broker
wait_count "$T/outage.out" $total $((outage + 20))
check "$T/outage.out" $total ordered some-historical >"$T/check.out"
ok $? "broker down ${outage} s during traffic: all $total frames arrive, live and historical each in order"
cat "$T/check.out"
grep -q 'reconnecting in' "$T/agent.log"
ok $? "agent logged its reconnect backoff"
stop_agent
stop_subs

# --- kill -9 the agent during traffic ---------------------------------
# The broker goes away first so the spool holds accepted, undelivered
# messages at the moment of the kill; then broker and agent come back.
rm -rf "$T/spool"
start_sub kill9
frames 400 10000	# 4 s
c=$(conf kill9 'source.speed=1')
start_agent "$c"
sleep 1
stop_broker
sleep 1
kill -9 "$agent_pid"; wait "$agent_pid" 2>/dev/null; agent_pid=
"$agent" --spool-list "$T/spool/broker" >"$T/spool.list" 2>"$T/spool.err"
start_broker
: >"$T/empty.log"
c=$(conf kill9b 'source.file='"$T/empty.log")
start_agent "$c"
wait_count "$T/kill9.out" "$(($(wc -l <"$T/spool.list") + 90))" 10
python3 - "$T/kill9.out" "$T/spool.list" <<'EOF' >"$T/check.out"
import json, sys
recv = {}
for l in open(sys.argv[1]):
    if l.startswith('data/'):
        m = json.loads(l.split(' ', 1)[1]); recv.setdefault(m['seq'], []).append(m)
spooled = [json.loads(l.split(' ', 2)[2])['seq'] for l in open(sys.argv[2]) if l.strip()]
bad = [s for s in spooled if s not in recv or not any(m.get('historical') for m in recv[s])]
top = max(list(recv) + spooled) if recv or spooled else -1
gaps = [i for i in range(top + 1) if i not in recv]
print('# %d received, %d were in the spool at kill -9, highest seq %d' % (len(recv), len(spooled), top))
if bad: print('# spooled but not redelivered: %s' % bad[:10])
if gaps: print('# lost: %s' % gaps[:10])
sys.exit(1 if bad or gaps or len(spooled) < 20 else 0)
EOF
ok $? "kill -9 with undelivered messages: all of them delivered after restart as historical, no gap"
cat "$T/check.out"
stop_agent
stop_subs

# --- full spool, both policies ------------------------------------------
stop_broker
for pol in stop-accepting drop-oldest; do
	rm -rf "$T/spool" "$T/db"
	frames 3000 1000
	c=$(conf "full-$pol" 'spool.max_size=64k' 'spool.segment_size=16k' "spool.policy=$pol" 'output broker.backoff_min=5s' 'output broker.backoff_max=5s')
	start_agent "$c"
	sleep 2
	full=$(metric 'm2mgwd_dropped_total{reason="spool_full"}')
	oldest=$(metric 'm2mgwd_dropped_total{reason="spool_oldest"}')
	bytes=$(metric 'm2mgwd_spool_bytes{output="broker"}')
	recs=$(metric 'm2mgwd_spool_records{output="broker"}')
	echo "# $pol: spool_full=$full spool_oldest=$oldest bytes=$bytes records=$recs"
	if [ "$pol" = stop-accepting ]; then
		[ "${full:-0}" -gt 0 ] && [ "${oldest:-1}" = 0 ] && [ "${bytes:-99999999}" -le 65536 ] &&
			[ $((full + recs)) = 3000 ]
	else
		[ "${oldest:-0}" -gt 0 ] && [ "${full:-1}" = 0 ] && [ "${bytes:-99999999}" -le 65536 ] &&
			[ $((oldest + recs)) = 3000 ]
	fi
	ok $? "spool full with broker down, policy $pol: bound held, every lost message counted"
	"$agent" --spool-list "$T/spool/broker" >"$T/spool.list" 2>/dev/null
	first=$(head -n 1 "$T/spool.list" | sed 's/.*"seq":\([0-9]*\).*/\1/')
	last=$(tail -n 1 "$T/spool.list" | sed 's/.*"seq":\([0-9]*\).*/\1/')
	if [ "$pol" = stop-accepting ]; then
		[ "$first" = 0 ] && [ "$last" = $((recs - 1)) ]
	else
		[ "$last" = 2999 ] && [ "$first" = $((3000 - recs)) ]
	fi
	ok $? "policy $pol keeps the $([ $pol = stop-accepting ] && echo oldest || echo newest) records ($first..$last)"
	stop_agent
done

# --- wrong credentials, then fixed by SIGHUP ---------------------------
rm -rf "$T/spool" "$T/db"
mosquitto_passwd -c -b "$T/passwd" agent s3cret >/dev/null 2>&1
chmod 644 "$T/passwd"
start_broker "$(printf 'allow_anonymous false\npassword_file %s' "$T/passwd")"
frames 50 1000
c=$(conf auth 'output broker.username=agent' 'output broker.password=wrong')
start_agent "$c"
sleep 2.5
kill -0 "$agent_pid" 2>/dev/null
alive=$?
grep -q "broker 127.0.0.1:$port refused the connection: .*not authori[sz]ed.*check username/password" "$T/agent.log"
ok $(( alive == 0 ? $? : 1 )) "wrong password: clear log line, agent keeps running"
af=$(metric 'm2mgwd_broker_connect_failures_total{output="broker",cause="auth"}')
[ "${af:-0}" -ge 2 ]
ok $? "it retries with backoff ($af refused attempts counted)"
conf auth 'output broker.username=agent' 'output broker.password=s3cret' >/dev/null
mosquitto_sub -h 127.0.0.1 -p "$port" -u agent -P s3cret -q 1 -c -i sub-auth -t 'data/#' -v >"$T/auth.out" 2>&1 &
subs+=($!)
sleep 0.3
kill -HUP "$agent_pid"
wait_count "$T/auth.out" 50 10
check "$T/auth.out" 50 >"$T/check.out"
ok $? "SIGHUP with the right password: connects and delivers all 50"
cat "$T/check.out"
stop_agent
stop_subs
stop_broker

# --- SIGHUP during traffic drops nothing ---------------------------------
rm -rf "$T/spool" "$T/db"
start_broker
start_sub hup
frames 300 10000	# 3 s
conf hup2 'source.speed=1' 'output broker.topic=data/new/{port}/{signal}' >/dev/null
c=$(conf hup 'source.speed=1')
start_agent "$c"
sleep 1
cp "$T/hup2.conf" "$T/hup.conf"
kill -HUP "$agent_pid"
sleep 0.3
printf '[agent]\nbogus = 1\n' >"$T/hup.conf"
kill -HUP "$agent_pid"
wait_count "$T/hup.out" 300 10
python3 - "$T/hup.out" <<'EOF' >"$T/check.out"
import json, sys
seqs, old, new = set(), 0, 0
for l in open(sys.argv[1]):
    if l.startswith('data/'):
        t, p = l.rstrip().split(' ', 1)
        seqs.add(json.loads(p)['seq'])
        if t.startswith('data/new/'): new += 1
        else: old += 1
print('# %d old topic, %d new topic, %d distinct' % (old, new, len(seqs)))
sys.exit(0 if seqs == set(range(300)) and old and new else 1)
EOF
ok $? "SIGHUP mid-stream: new topic template applies, no frame dropped"
cat "$T/check.out"
grep -q "hup.conf:2: unknown key \"bogus\" in \[agent\]" "$T/agent.log" &&
	grep -q 'keeping the running configuration' "$T/agent.log" && kill -0 "$agent_pid"
ok $? "SIGHUP with a bad config: file:line in the log, old config kept"
stop_agent
stop_subs

# --- MQTT 5 and SenML --------------------------------------------------
rm -rf "$T/spool"
start_sub v5
frames 50 1000
c=$(conf v5 'output broker.protocol=5' 'output broker.encoding=senml' 'output broker.client_id=agent-v5')
start_agent "$c"
wait_count "$T/v5.out" 50 10
python3 - "$T/v5.out" <<'EOF' >"$T/check.out"
import json, sys
bad, k = [], 0
for l in open(sys.argv[1]):
    if not l.startswith('data/'): continue
    pack = json.loads(l.split(' ', 1)[1])
    b = pack[0]
    if b.get('bn') != 'urn:dev:m2mgw:can0:' or b.get('n') != '%03x' % (0x100 + k % 4) or b.get('v') != k \
       or abs(b.get('bt', 0) - (1700000000 + k * 0.001)) > 1e-4:
        bad.append(str(pack))
    k += 1
print('# %d SenML packs' % k)
for x in bad[:3]: print('# ' + x)
sys.exit(0 if k == 50 and not bad else 1)
EOF
ok $? "MQTT 5 with SenML: 50 packs, name, value and base time from the capture clock"
cat "$T/check.out"
grep -q 'connected to 127.0.0.1:[0-9]* (MQTT 5)' "$T/agent.log"
ok $? "the agent says it speaks MQTT 5"
stop_agent
stop_subs

# --- historical replay is paced by replay_rate --------------------------
rm -rf "$T/spool"
stop_broker
frames 60 1000
c=$(conf pace1)
start_agent "$c"
sleep 1
stop_agent
start_broker
mosquitto_sub -h 127.0.0.1 -p "$port" -q 1 -t 'data/#' -F '%U %t' >"$T/pace.out" 2>&1 &
subs+=($!)
sleep 0.3
: >"$T/empty.log"
c=$(conf pace2 "source.file=$T/empty.log" 'output broker.replay_rate=20')
start_agent "$c"
wait_count "$T/pace.out" 60 15 || true
python3 - "$T/pace.out" <<'EOF' >"$T/check.out"
import sys
ts = [float(l.split()[0]) for l in open(sys.argv[1]) if ' data/' in l]
span = ts[-1] - ts[0] if ts else 0
print('# %d historical messages over %.2f s at replay_rate 20/s' % (len(ts), span))
# Up to one second of burst, then 20/s: 60 messages need >= 2 s.
sys.exit(0 if len(ts) == 60 and 1.8 <= span <= 10 else 1)
EOF
ok $? "60 spooled messages replayed at replay_rate 20/s, not in one burst"
cat "$T/check.out"
stop_agent
stop_subs

# --- TLS ---------------------------------------------------------------
if command -v openssl >/dev/null; then
	rm -rf "$T/spool"
	(
		cd "$T" &&
		openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=test-ca \
			-keyout ca.key -out ca.pem &&
		openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
			-keyout srv.key -out srv.csr &&
		printf 'subjectAltName=IP:127.0.0.1\n' >san.ext &&
		openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
			-days 1 -extfile san.ext -out srv.pem && chmod 644 srv.key &&
		openssl req -newkey rsa:2048 -nodes -subj /CN=gateway-1 \
			-keyout cli.key -out cli.csr &&
		openssl x509 -req -in cli.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
			-days 1 -out cli.pem
	) >"$T/openssl.log" 2>&1
	stop_broker
	tport=$(free_port)
	start_broker "$(printf 'allow_anonymous true\nlistener %s 127.0.0.1\ncafile %s\ncertfile %s\nkeyfile %s' \
		"$tport" "$T/ca.pem" "$T/srv.pem" "$T/srv.key")"
	wait_port "$tport"
	start_sub tls
	frames 30 1000
	c=$(conf tls "output broker.port=$tport" "output broker.tls_ca=$T/ca.pem")
	start_agent "$c"
	wait_count "$T/tls.out" 30 10
	check "$T/tls.out" 30 >"$T/check.out"
	ok $? "TLS (CA-verified) to mosquitto: all 30 delivered"
	cat "$T/check.out"
	stop_agent
	stop_subs
	# Mutual TLS: the broker demands a client certificate.
	stop_broker
	rm -rf "$T/spool"
	mport2=$(free_port)
	start_broker "$(printf 'allow_anonymous true\nlistener %s 127.0.0.1\ncafile %s\ncertfile %s\nkeyfile %s\nrequire_certificate true' \
		"$mport2" "$T/ca.pem" "$T/srv.pem" "$T/srv.key")"
	wait_port "$mport2"
	start_sub mtls
	c=$(conf mtls "output broker.port=$mport2" "output broker.tls_ca=$T/ca.pem")
	start_agent "$c"
	sleep 1.5
	[ "$(grep -c '^data/' "$T/mtls.out")" = 0 ]
	nocert=$?
	stop_agent
	c=$(conf mtls "output broker.port=$mport2" "output broker.tls_ca=$T/ca.pem" \
		"output broker.tls_cert=$T/cli.pem" "output broker.tls_key=$T/cli.key")
	start_agent "$c"
	wait_count "$T/mtls.out" 30 10
	check "$T/mtls.out" 30 >"$T/check.out"
	ok $(( nocert == 0 ? $? : 1 )) "mutual TLS: refused without a client certificate, all 30 delivered with tls_cert/tls_key"
	cat "$T/check.out"
	stop_agent
	stop_subs
else
	skip "TLS" "openssl not installed"
fi

# --- candump -L parsing: FD, remote, extended, bad and unknown lines ------
stop_broker
start_broker
rm -rf "$T/spool"
start_sub parse
printf '%s\n' '(1700000000.000000) vcan0 123##1AABBCCDDEEFF00112233' \
	'(1700000000.000100) vcan0 123#R' 'garbage line' \
	'(1700000000.000200) vcan9 123#01' '(1700000000.000300) vcan0 12345678#0102' \
	>"$T/frames.log"
c=$(conf parse)
start_agent "$c"
wait_count "$T/parse.out" 2 10
grep -q '^data/can0/123 .*"raw":"aabbccddeeff00112233"' "$T/parse.out" &&
	grep -q '^data/can0/12345678 .*"value":258,' "$T/parse.out" &&
	[ "$(grep -c '^data/' "$T/parse.out")" = 2 ]
ok $? "replay: CAN FD and extended-id frames decoded, remote frame skipped"
grep -q "frames.log:3: not a candump -L line" "$T/agent.log" &&
	[ "$(metric 'm2mgwd_dropped_total{reason="decode"}')" = 1 ] &&
	[ "$(metric 'm2mgwd_dropped_total{reason="unknown_port"}')" = 1 ]
ok $? "replay: a bad line is logged with file:line and counted; an unknown interface is counted"
stop_agent
stop_subs

# --- stall detection and the watchdog -----------------------------------
# A "broker" that accepts the connection and never acknowledges: the
# output stage stalls; it must be logged, counted, recovered (reconnect)
# and the systemd watchdog must stop being fed.
stop_broker
rm -rf "$T/spool"
python3 - "$port" "$T/fake.log" <<'EOF' &
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(4)
log = open(sys.argv[2], 'a', buffering=1)
def serve(c):
    c.recv(4096)
    c.sendall(b'\x20\x02\x00\x00')     # CONNACK accepted; then silence
    log.write('connect\n')
    while c.recv(65536): pass
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
fake_pid=$!
python3 - "$T/notify.sock" "$T/notify.log" <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])
log = open(sys.argv[2], 'a', buffering=1)
while True:
    log.write('%.3f %s\n' % (time.monotonic(), s.recv(4096).decode().replace('\n', ' ')))
EOF
notify_pid=$!
sleep 0.5
frames 20 1000
c=$(conf stall 'agent.stall_timeout=2s')
NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=1000000 "$agent" -c "$c" >>"$T/agent.log" 2>&1 &
agent_pid=$!
for _ in $(seq 60); do
	[ "$(metric 'm2mgwd_stage_stalls_total{stage="output",output="broker"}')" = 1 ] && break
	sleep 0.1
done
before=$(grep -c 'WATCHDOG=1' "$T/notify.log")
sleep 1.6
after=$(grep -c 'WATCHDOG=1' "$T/notify.log")
stalls=$(metric 'm2mgwd_stage_stalls_total{stage="output",output="broker"}')
echo "# watchdog pings before the stall $before, during it $((after - before)); stalls $stalls"
grep -q 'READY=1' "$T/notify.log" && [ "$before" -ge 2 ] && [ "$after" = "$before" ]
ok $? "sd_notify: READY=1, WATCHDOG=1 while healthy, none while the output is stalled"
grep -q 'output: stalled for 2 s with input waiting' "$T/agent.log" && [ "${stalls:-0}" -ge 1 ] &&
	grep -q 'no PUBACK progress; reconnecting' "$T/agent.log" && [ "$(grep -c connect "$T/fake.log")" -ge 2 ]
ok $? "stalled output: logged, counted, recovered by reconnecting"
kill -9 "$agent_pid"; wait "$agent_pid" 2>/dev/null; agent_pid=
kill "$fake_pid" "$notify_pid" 2>/dev/null; wait "$fake_pid" "$notify_pid" 2>/dev/null

echo "1..$n"
exit 0
