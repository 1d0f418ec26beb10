#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host integration test of m2mgwd's HTTP output (no VM): replay source
# -> agent -> tests/agent/http_server.py on 127.0.0.1, a scriptable
# server that answers 2xx, 4xx, 5xx, 429 + Retry-After, hangs or closes
# the connection, request by request.  Every request is logged by the
# server; a message counts as delivered when it was in a request the
# server answered with a 2xx.
#
#   M2MGWD           the agent binary (default build/bin/m2mgwd)
#   M2MGW_HTTP_RATE  messages for the throughput run (default 20000)
#
# TAP on stdout; logs in $T (kept on failure).
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
agent=${M2MGWD:-$top/build/bin/m2mgwd}
server=$top/tests/agent/http_server.py
rate_n=${M2MGW_HTTP_RATE:-20000}
T=$(mktemp -d /tmp/m2mgwd-http.XXXXXX)
# The interpreter itself, not a version manager's shim: the checks run
# python many times and a shim costs more than the check.
PY=$(python3 -c 'import sys; print(sys.executable)')
n=0
failed=0
srv_pid=
agent_pid=

ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		failed=$((failed + 1))
	fi
}

cleanup() {
	[ -n "$agent_pid" ] && kill -9 "$agent_pid" 2>/dev/null
	[ -n "$srv_pid" ] && kill -9 "$srv_pid" 2>/dev/null
	wait 2>/dev/null
	if [ "$failed" = 0 ]; then rm -rf "$T"; else echo "# logs kept in $T"; fi
}
trap cleanup EXIT

free_port() {
	"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() {
	for _ in $(seq 50); do
		"$PY" -c "import socket; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

port=$(free_port)
mport=$(free_port)

# start_server LOGNAME [PLAN [http_server.py options]]
start_server() {
	local name=$1 plan=${2:-}
	shift $(($# < 2 ? $# : 2))
	"$PY" "$server" "$port" "$T/$name.srv" "$plan" "$@" 2>>"$T/server.err" &
	srv_pid=$!
	wait_port "$port"
}

stop_server() {
	[ -n "$srv_pid" ] || return
	kill -9 "$srv_pid" 2>/dev/null
	wait "$srv_pid" 2>/dev/null
	srv_pid=
}

# ctl plan|default ACTIONS
ctl() {
	curl -s -o /dev/null -X POST --data "$2" "http://127.0.0.1:$port/_ctl/$1"
}

# conf NAME SECTION.KEY=VALUE...: an agent config (see tests/agent/mqtt.sh).
conf() {
	local name=$1; shift
	local f="$T/$name.conf"
	"$PY" - "$f" "$T" "$port" "$mport" "$@" <<'EOF'
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
 'output web': {'type': 'http', 'url': 'http://127.0.0.1:%s/ingest' % port,
                'bearer_token': 's3cret-token', 'header': 'X-Gateway: gw-1',
                'backoff_min': '200ms', 'backoff_max': '1s',
                'timeout': '1s', 'connect_timeout': '1s',
                'replay_rate': '0'},
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

# frames COUNT STEP_US: candump -L log, frame i = id 0x100 + i % 4,
# data i >> 8, i & 255 (raw value i).
frames() {
	"$PY" - "$1" "$2" >"$T/frames.log" <<'EOF'
import sys
n, step = int(sys.argv[1]), int(sys.argv[2])
t0 = 1700000000 * 10**6
for i in range(n):
    t = t0 + i * step
    print('(%d.%06d) vcan0 %03X#%02X%02X' % (t // 10**6, t % 10**6, 0x100 + i % 4, i >> 8, i & 255))
EOF
}

# delivered LOG...: how many messages were in 2xx-answered requests.
delivered() {
	"$PY" - "$@" <<'EOF'
import json, sys
k = 0
for f in sys.argv[1:]:
    for l in open(f):
        r = json.loads(l)
        if 200 <= r['status'] < 300:
            k += len(r['body'])
print(k)
EOF
}

# wait_delivered N SECONDS LOG...
wait_delivered() {
	local want=$1 end=$((SECONDS + $2))
	shift 2
	while [ $SECONDS -lt $end ]; do
		[ "$(delivered "$@")" -ge "$want" ] && return 0
		sleep 0.2
	done
	return 1
}

# check N OPTS LOG...: messages 0..N-1 (JSON) each delivered exactly
# once, right values; live and historical each in order.  OPTS: a
# comma list of some-historical, rejected (4xx batches are not
# delivered and their messages must not come again), dups-ok,
# unordered (concurrent requests).
check() {
	"$PY" - "$@" <<'EOF'
import json, sys
n, opts, files = int(sys.argv[1]), sys.argv[2].split(','), sys.argv[3:]
seen, live, hist, bad, rejected, reqs = {}, [], [], [], set(), 0
for f in files:
    for l in open(f):
        r = json.loads(l)
        if 400 <= r['status'] < 500 and r['status'] not in (408, 429):
            rejected.update(m['seq'] for m in r['body'])
            continue
        if not 200 <= r['status'] < 300:
            continue
        reqs += 1
        for m in r['body']:
            i = m['seq']
            if m['value'] != i or m['raw'] != '%04x' % i or m['signal'] != '%03x' % (0x100 + i % 4):
                bad.append('seq %d: %s' % (i, m))
            seen[i] = seen.get(i, 0) + 1
            (hist if m.get('historical') else live).append(i)
want = set(range(n)) - rejected
missing = sorted(want - set(seen))
if missing:
    bad.append('missing %d: %s' % (len(missing), missing[:10]))
if set(seen) & rejected:
    bad.append('rejected messages delivered later: %s' % sorted(set(seen) & rejected)[:10])
if 'rejected' in opts and not rejected:
    bad.append('nothing was rejected')
if 'dups-ok' not in opts and any(v > 1 for v in seen.values()):
    bad.append('duplicates: %s' % [k for k, v in seen.items() if v > 1][:10])
for name, l in (('live', live), ('historical', hist)):
    if 'unordered' not in opts and l != sorted(l):
        bad.append('%s out of order' % name)
if 'some-historical' in opts and not hist:
    bad.append('no historical message')
for b in bad[:5]:
    print('# ' + b)
print('# %d messages in %d delivered requests: %d live, %d historical, %d distinct, %d rejected'
      % (len(live) + len(hist), reqs, len(live), len(hist), len(seen), len(rejected)))
sys.exit(1 if bad else 0)
EOF
}

echo "TAP version 13"

# --- config ------------------------------------------------------------
frames 10 1000
c=$(conf good)
"$agent" -t -c "$c" >"$T/t.out" 2>&1
ok $? "m2mgwd -t accepts an http output"
c=$(conf badurl 'output web.url=ftp://127.0.0.1/x')
"$agent" -c "$c" >"$T/t.out" 2>&1
rc=$?
line=$(grep -n '^url = ' "$c" | cut -d: -f1)
grep -q "^$c:$line: \[output web\]: url \"ftp://127.0.0.1/x\": the scheme must be http or https" "$T/t.out"
ok $(( rc == 2 ? $? : 1 )) "start with url = ftp://... -> $c:$line: message, exit 2 (got $rc)"
printf '[source]\ntype = replay\nfile = /x\n[output web]\ntype = http\nurl = http://h/\nheader = X-A 1\nmethod = GET\nbatch_bytes = 10\n' >"$T/bad.conf"
"$agent" -t -c "$T/bad.conf" >"$T/t.out" 2>&1
rc=$?
grep -q "^$T/bad.conf:7: header: \"X-A 1\" is not a header \"Name: value\"" "$T/t.out" &&
	grep -q "^$T/bad.conf:8: method: \"GET\" is not one of POST, PUT" "$T/t.out" &&
	grep -q "^$T/bad.conf:9: batch_bytes: \"10\" is not a size in 1024\.\." "$T/t.out"
ok $(( rc == 2 ? $? : 1 )) "bad header, method, batch_bytes: one file:line each, exit 2 (got $rc)"
"$agent" -t -c "$top/agent/m2mgwd.conf.example" >"$T/t.out" 2>&1 &&
	grep -q '^type = http' "$top/agent/m2mgwd.conf.example"
ok $? "the shipped example config (with an http output) is valid"

# libcurl and libmicrohttpd are dlopen()ed when a configuration needs
# them: a missing or broken one is a configuration error naming it, not
# a crash later.  A directory first in LD_LIBRARY_PATH holds a fake
# libcurl.so.4 (not ELF: dlopen fails) or an empty ELF library (dlopen
# works, the symbols are missing).
mkdir -p "$T/fakelib"
echo 'not a library' >"$T/fakelib/libcurl.so.4"
c=$(conf good)
LD_LIBRARY_PATH=$T/fakelib "$agent" -t -c "$c" >"$T/t.out" 2>&1
rc=$?
line=$(grep -n '^\[output web\]' "$c" | cut -d: -f1)
grep -q "^$c:$line: \[output web\]: .*libcurl\.so\.4" "$T/t.out"
ok $(( rc == 2 ? $? : 1 )) "libcurl.so.4 unloadable -> $c:$line: [output web]: <why>, exit 2 (got $rc)"
cc -shared -fPIC -Wl,-soname,libcurl.so.4 -o "$T/fakelib/libcurl.so.4" -x c /dev/null &&
	cc -shared -fPIC -Wl,-soname,libmicrohttpd.so.12 -o "$T/fakelib/libmicrohttpd.so.12" -x c /dev/null
LD_LIBRARY_PATH=$T/fakelib "$agent" -t -c "$c" >"$T/t.out" 2>&1
rc=$?
grep -q "^$c:$line: \[output web\]: .*undefined symbol: curl_" "$T/t.out"
ok $(( rc == 2 ? $? : 1 )) "libcurl.so.4 without curl's symbols -> undefined symbol named, exit 2 (got $rc)"
c2=$(conf nomhd 'output web.type=mqtt' 'output web.host=127.0.0.1' \
	'output web.port=1' 'output web.url=' 'output web.bearer_token=' \
	'output web.header=' 'output web.backoff_min=' 'output web.backoff_max=' \
	'output web.timeout=' 'output web.connect_timeout=' 'output web.replay_rate=')
LD_LIBRARY_PATH=$T/fakelib timeout 20 "$agent" -c "$c2" >"$T/t.out" 2>&1
rc=$?
grep -q "metrics_listen \"127.0.0.1:$mport\": .*undefined symbol: MHD_" "$T/t.out"
ok $(( rc != 0 && rc != 124 ? $? : 1 )) "metrics_listen with a broken libmicrohttpd.so.12: the daemon refuses to start, naming it (rc $rc)"

# --- every message arrives once, in batches, with the headers ----------
start_server basic
frames 300 1000
c=$(conf basic)
start_agent "$c"
wait_delivered 300 20 "$T/basic.srv"
check 300 '' "$T/basic.srv" >"$T/check.out"
ok $? "300 frames -> 300 messages delivered exactly once, in order"
cat "$T/check.out"
"$PY" - "$T/basic.srv" <<'EOF' >"$T/check.out"
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
h = rs[0]['headers']
print('# %d requests, sizes %s' % (len(rs), [len(r['body']) for r in rs][:8]))
ok = len(rs) < 300 and max(len(r['body']) for r in rs) <= 100 \
    and all(r['method'] == 'POST' and r['path'] == '/ingest' for r in rs) \
    and h.get('content-type') == 'application/json' \
    and h.get('authorization') == 'Bearer s3cret-token' and h.get('x-gateway') == 'gw-1'
sys.exit(0 if ok else 1)
EOF
ok $? "POST /ingest in batches of <= batch_max (100), JSON, bearer token, configured header"
cat "$T/check.out"
[ "$(metric 'm2mgwd_acked_total{output="web"}')" = 300 ] &&
	[ "$(metric 'm2mgwd_broker_connected{output="web",state="connected"}')" = 1 ]
ok $? "metrics: 300 acked, state connected"
stop_agent
ok $? "SIGTERM: drains and exits 0"
stop_server

# --- 500, 429 + Retry-After, timeout, closed connection -----------------
# (libcurl itself resends once when a reused connection closes without
# an answer: two closes in a row reach the agent as an error.)
rm -rf "$T/spool"
start_server fail '500,200,429:2,200,hang,200,close,close,200,503,200'
frames 400 10000	# 4 s of traffic
c=$(conf fail 'source.speed=1' 'output web.batch_max=20')
start_agent "$c"
wait_delivered 400 30 "$T/fail.srv"
check 400 some-historical "$T/fail.srv" >"$T/check.out"
ok $? "500, 429, hang (timeout), closed connection, 503: all 400 messages delivered exactly once, live and historical each in order"
cat "$T/check.out"
"$PY" - "$T/fail.srv" <<'EOF' >"$T/check.out"
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
k = [i for i, r in enumerate(rs) if r['action'] == '429:2'][0]
gap = rs[k + 1]['t'] - rs[k]['t']
print('# next request %.2f s after the 429 with Retry-After: 2' % gap)
sys.exit(0 if 1.9 <= gap <= 6 else 1)
EOF
ok $? "Retry-After: 2 is honoured"
cat "$T/check.out"
grep -q 'answered HTTP 500' "$T/agent.log" && grep -q 'Operation timed out after' "$T/agent.log" &&
	grep -q 'Empty reply from server' "$T/agent.log" && grep -q 'retrying in' "$T/agent.log"
ok $? "each failure is logged with its cause, and the backoff"
stop_agent
stop_server

# --- server down: spooled, delivered when it is back ---------------------
rm -rf "$T/spool"
start_server down
frames 300 10000	# 3 s
c=$(conf down 'source.speed=1')
start_agent "$c"
sleep 0.7
stop_server
sleep 2
start_server down
wait_delivered 300 15 "$T/down.srv"
check 300 some-historical "$T/down.srv" >"$T/check.out"
ok $? "server down 2 s during traffic: all 300 delivered once after it is back"
cat "$T/check.out"
grep -q "Couldn't connect to server" "$T/agent.log"
ok $? "connection refused is logged and retried"
stop_agent
stop_server

# --- bearer_token_file: a token longer than a config line ---------------
# libinih reads lines of at most 199 characters; a JWT is often longer.
tok=$("$PY" -c 'import secrets; print("eyJ" + secrets.token_urlsafe(900))')
printf '%s\n' "$tok" >"$T/token"
c=$(conf tokfile 'output web.bearer_token=' "output web.bearer_token_file=$T/token")
"$agent" -t -c "$c" >"$T/t.out" 2>&1
ok $? "bearer_token_file with a ${#tok}-character token: the config is valid"
line=$(grep -n '^bearer_token_file = ' "$c" | cut -d: -f1)
printf 'a\nb\n' >"$T/token2"
for bad in "missing:$T/nope:No such file or directory" \
	"two lines:$T/token2:not one line of at most 16384 bytes" \
	"empty:/dev/null:empty"; do
	IFS=: read -r what path msg <<<"$bad"
	c2=$(conf tokbad 'output web.bearer_token=' "output web.bearer_token_file=$path")
	"$agent" -t -c "$c2" >"$T/t.out" 2>&1
	rc=$?
	grep -q "^$c2:$line: \[output web\]: bearer_token_file \"$path\": $msg" "$T/t.out"
	ok $(( rc == 2 ? $? : 1 )) "bearer_token_file $what -> $c2:$line: ...: $msg, exit 2 (got $rc)"
done
c2=$(conf tokboth "output web.bearer_token_file=$T/token")
"$agent" -t -c "$c2" >"$T/t.out" 2>&1
rc=$?
grep -q "bearer_token and bearer_token_file exclude each other" "$T/t.out"
ok $(( rc == 2 ? $? : 1 )) "bearer_token and bearer_token_file together -> error, exit 2 (got $rc)"
rm -rf "$T/spool"
start_server tokfile
frames 50 1000
start_agent "$c"
wait_delivered 50 20 "$T/tokfile.srv"
"$PY" - "$T/tokfile.srv" "$tok" <<'EOF2'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if rs and all(r['headers'].get('authorization') == 'Bearer ' + sys.argv[2] for r in rs) else 1)
EOF2
ok $? "every request carries Authorization: Bearer <the file's token>"
stop_agent
stop_server

# --- SIGHUP during traffic: the changed output restarts, nothing lost ---
rm -rf "$T/spool"
start_server hup
frames 300 10000	# 3 s
c=$(conf hup 'source.speed=1')
start_agent "$c"
wait_delivered 30 10 "$T/hup.srv"
# The same file, another header: a changed output is restarted on the
# same spool; what it had in flight goes back to the spool in order.
sed -i 's/^header = X-Gateway: gw-1$/header = X-Gateway: gw-2/' "$c"
kill -HUP "$agent_pid"
wait_delivered 300 20 "$T/hup.srv"
sleep 0.5
check 300 '' "$T/hup.srv" >"$T/check.out"
ok $? "SIGHUP mid-stream: all 300 delivered exactly once, in order"
cat "$T/check.out"
"$PY" - "$T/hup.srv" <<'EOF2'
import json, sys
gw = [json.loads(l)['headers'].get('x-gateway') for l in open(sys.argv[1])
      if 200 <= json.loads(l)['status'] < 300]
# Once gw-2 is seen, gw-1 never comes back: the old transfer is gone.
first2 = gw.index('gw-2') if 'gw-2' in gw else len(gw)
ok = 'gw-1' in gw[:first2] and first2 < len(gw) and 'gw-1' not in gw[first2:]
print('# header per delivered request: %d gw-1 then %d gw-2' % (first2, len(gw) - first2))
sys.exit(0 if ok else 1)
EOF2
ok $? "SIGHUP: requests carry the new header from the reload on, never the old one after it"
grep -q 'reload: output web changed; restarting it' "$T/agent.log" &&
	[ "$(metric 'm2mgwd_reloads_total')" = 1 ]
ok $? "the restart is logged and the reload counted"
stop_agent
stop_server

# --- replay_rate paces the spool's backlog ------------------------------
# 300 messages spooled while the server is away, then sent back at
# replay_rate = 50/s with a burst of one second's worth: at least
# (300 - 50) / 50 = 5 s.  Load only makes it slower, so the lower bound
# is safe on a busy machine; the upper bound is loose for the same reason.
rm -rf "$T/spool"
frames 300 1000
c=$(conf pace 'output web.replay_rate=50' 'output web.batch_max=10')
start_agent "$c"
for _ in $(seq 100); do
	[ "$(metric 'm2mgwd_spool_records{output="web"}')" = 300 ] && break
	sleep 0.1
done
[ "$(metric 'm2mgwd_spool_records{output="web"}')" = 300 ]
ok $? "server away: all 300 spooled"
# Restart with nothing new to replay: the whole backlog is historical.
stop_agent
: >"$T/frames.log"
start_agent "$c"
start_server pace
wait_delivered 300 60 "$T/pace.srv"
check 300 some-historical "$T/pace.srv" >"$T/check.out"
ok $? "replay_rate = 50: the backlog is delivered exactly once, in order"
cat "$T/check.out"
"$PY" - "$T/pace.srv" <<'EOF2'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
rs = [r for r in rs if 200 <= r['status'] < 300]
hist = [r for r in rs if all(m.get('historical') for m in r['body'])]
n = sum(len(r['body']) for r in hist)
span = hist[-1]['t'] - hist[0]['t'] if hist else 0
# The first request holds up to 10 of the burst: rate-limited from there.
floor = (n - 50 - 10) / 50.0
print('# %d historical messages in %.2f s (floor %.2f s at 50/s)' % (n, span, floor))
sys.exit(0 if n >= 290 and span >= floor * 0.95 and span < 40 else 1)
EOF2
ok $? "replay_rate = 50: the backlog takes at least (n - burst) / rate seconds"
stop_agent
stop_server

# --- 4xx: the poison batch is dropped, counted, logged ------------------
rm -rf "$T/spool"
start_server reject '200,400,200'
frames 300 10000
c=$(conf reject 'source.speed=1' 'output web.batch_max=25')
start_agent "$c"
wait_delivered 250 20 "$T/reject.srv"
sleep 0.5
check 300 rejected "$T/reject.srv" >"$T/check.out"
ok $? "HTTP 400: that batch is dropped, every other message delivered once, in order"
cat "$T/check.out"
nrej=$("$PY" -c "
import json, sys
print(sum(len(json.loads(l)['body']) for l in open(sys.argv[1]) if json.loads(l)['status'] == 400))" "$T/reject.srv")
[ "$(metric 'm2mgwd_dropped_total{reason="http_rejected"}')" = "$nrej" ] &&
	[ "$(metric 'm2mgwd_http_rejected_batches_total{output="web"}')" = 1 ]
ok $? "the $nrej dropped messages and the batch are counted"
grep -q "rejected a batch of $nrej messages with HTTP 400: \"test server says 400 \"; dropped" "$T/agent.log" &&
	[ "$(grep -c 'rejected a batch' "$T/agent.log")" = 1 ]
ok $? "logged once, with the status and the start of the response body"
stop_agent
stop_server

# --- kill -9 with undelivered messages in the spool ---------------------
rm -rf "$T/spool"
start_server kill9
frames 400 10000
c=$(conf kill9 'source.speed=1' 'output web.batch_max=10')
start_agent "$c"
sleep 1
ctl default 500
sleep 1
kill -9 "$agent_pid"; wait "$agent_pid" 2>/dev/null; agent_pid=
"$agent" --spool-list "$T/spool/web" >"$T/spool.list" 2>"$T/spool.err"
ctl default 200
: >"$T/empty.log"
c=$(conf kill9b "source.file=$T/empty.log")
start_agent "$c"
"$PY" - "$T/kill9.srv" "$T/spool.list" <<'EOF' >"$T/check.out"
import json, sys, time
spooled = [json.loads(l.split(' ', 2)[2])['seq'] for l in open(sys.argv[2]) if l.strip()]
end = time.time() + 15
while True:
    recv = {}
    for l in open(sys.argv[1]):
        r = json.loads(l)
        if 200 <= r['status'] < 300:
            for m in r['body']:
                recv.setdefault(m['seq'], []).append(m)
    bad = [s for s in spooled if s not in recv or not any(m.get('historical') for m in recv[s])]
    if not bad or time.time() > end:
        break
    time.sleep(0.2)
top = max(list(recv) + spooled) if recv or spooled else -1
gaps = [i for i in range(top + 1) if i not in recv]
print('# %d delivered, %d were in the spool at kill -9, highest seq %d' % (len(recv), len(spooled), top))
if bad: print('# spooled but not delivered after restart: %s' % bad[:10])
if gaps: print('# lost: %s' % gaps[:10])
sys.exit(1 if bad or gaps or len(spooled) < 20 else 0)
EOF
ok $? "kill -9 while the server answers 500: the spooled messages arrive after restart, no gap"
cat "$T/check.out"
stop_agent
stop_server

# --- SenML, PUT, basic auth ---------------------------------------------
rm -rf "$T/spool"
start_server senml
frames 50 1000
c=$(conf senml 'output web.encoding=senml' 'output web.method=PUT' 'output web.bearer_token=' \
	'output web.username=gw' 'output web.password=pa:ss')
start_agent "$c"
sleep 2
"$PY" - "$T/senml.srv" <<'EOF' >"$T/check.out"
import base64, json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
heads = [rec for r in rs for rec in r['body'] if 'bn' in rec]
ok = all(r['method'] == 'PUT' and r['headers'].get('content-type') == 'application/senml+json'
         and r['headers'].get('authorization') == 'Basic ' + base64.b64encode(b'gw:pa:ss').decode()
         and isinstance(r['body'], list) for r in rs)
vals = [rec['v'] for rec in heads]
print('# %d requests, %d SenML records, %d packs' % (len(rs), sum(len(r['body']) for r in rs), len(heads)))
sys.exit(0 if ok and rs and vals == list(range(50)) else 1)
EOF
ok $? "SenML: PUT with basic auth, packs merged into one per request, all 50 in order"
cat "$T/check.out"
stop_agent
stop_server

# --- HTTPS: CA file, verification on/off, client certificate -------------
if command -v openssl >/dev/null; then
	(
		cd "$T" &&
		openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=test-ca \
			-keyout ca.key -out ca.pem &&
		openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
			-keyout srv.key -out srv.csr &&
		printf 'subjectAltName=IP:127.0.0.1\n' >san.ext &&
		openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
			-days 1 -extfile san.ext -out srv.pem &&
		openssl req -newkey rsa:2048 -nodes -subj /CN=gateway-1 \
			-keyout cli.key -out cli.csr &&
		openssl x509 -req -in cli.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
			-days 1 -out cli.pem
	) >"$T/openssl.log" 2>&1
	url="output web.url=https://127.0.0.1:$port/ingest"
	rm -rf "$T/spool"
	start_server tls '' --cert "$T/srv.pem" --key "$T/srv.key"
	frames 30 1000
	c=$(conf tls "$url" "output web.tls_ca=$T/ca.pem")
	start_agent "$c"
	wait_delivered 30 10 "$T/tls.srv"
	check 30 '' "$T/tls.srv" >"$T/check.out"
	ok $? "HTTPS with tls_ca: the server is verified, all 30 delivered"
	cat "$T/check.out"
	stop_agent
	rm -rf "$T/spool"
	: >"$T/tls.srv"
	c=$(conf tls2 "$url")
	start_agent "$c"
	sleep 1.5
	[ "$(delivered "$T/tls.srv")" = 0 ] && grep -q 'SSL certificate problem' "$T/agent.log"
	unverified=$?
	stop_agent
	c=$(conf tls3 "$url" 'output web.tls_insecure=yes')
	start_agent "$c"
	wait_delivered 30 10 "$T/tls.srv"
	ok $(( unverified == 0 ? $? : 1 )) "HTTPS: an unknown CA is refused (logged); tls_insecure = yes sends anyway"
	stop_agent
	stop_server
	rm -rf "$T/spool"
	start_server mtls '' --cert "$T/srv.pem" --key "$T/srv.key" --client-ca "$T/ca.pem"
	c=$(conf mtls "$url" "output web.tls_ca=$T/ca.pem")
	start_agent "$c"
	sleep 1.5
	[ "$(delivered "$T/mtls.srv")" = 0 ]
	nocert=$?
	stop_agent
	rm -rf "$T/spool"
	c=$(conf mtls2 "$url" "output web.tls_ca=$T/ca.pem" \
		"output web.tls_cert=$T/cli.pem" "output web.tls_key=$T/cli.key")
	start_agent "$c"
	wait_delivered 30 10 "$T/mtls.srv"
	check 30 '' "$T/mtls.srv" >"$T/check.out"
	ok $(( nocert == 0 ? $? : 1 )) "mutual TLS: refused without a client certificate, all 30 delivered with tls_cert/tls_key"
	cat "$T/check.out"
	stop_agent
	stop_server
else
	n=$((n + 1))
	echo "ok $n HTTPS # SKIP openssl not installed"
fi

# --- max_requests > 1: concurrent requests ------------------------------
rm -rf "$T/spool"
start_server conc
ctl default '200@0.2'
frames 2000 100
# timeout 10 s: with the 1 s default a loaded host made a 0.2 s answer
# late, the batch was retried and delivered twice (at-least-once, right,
# but not what this test is about).
c=$(conf conc 'output web.max_requests=4' 'output web.batch_max=50' 'output web.timeout=10s')
start_agent "$c"
wait_delivered 2000 30 "$T/conc.srv"
check 2000 unordered "$T/conc.srv" >"$T/check.out"
ok $? "max_requests = 4: all 2000 delivered exactly once"
cat "$T/check.out"
"$PY" - "$T/conc.srv" <<'EOF' >"$T/check.out"
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
ev = sorted([(r['t'], 1) for r in rs] + [(r['done'], -1) for r in rs])
cur = top = 0
for _, d in ev:
    cur += d
    top = max(top, cur)
print('# %d requests answered after 0.2 s each, up to %d at a time' % (len(rs), top))
sys.exit(0 if 2 <= top <= 4 else 1)
EOF
ok $? "max_requests = 4: requests overlap, never more than 4"
cat "$T/check.out"
stop_agent
stop_server

# --- throughput -----------------------------------------------------------
rm -rf "$T/spool"
start_server rate
frames "$rate_n" 100
c=$(conf rate 'spool.max_size=256M' 'spool.segment_size=4M' 'spool.batch=1024' \
	'output web.batch_max=1000' 'output web.batch_bytes=1M' 'agent.log_level=notice')
t0=$(date +%s.%N)
start_agent "$c"
end=$((SECONDS + 120))
while [ $SECONDS -lt $end ]; do
	[ "$(metric 'm2mgwd_acked_total{output="web"}')" = "$rate_n" ] && break
	sleep 0.1
done
t1=$(date +%s.%N)
check "$rate_n" '' "$T/rate.srv" >"$T/check.out"
ok $? "throughput run: $rate_n messages delivered exactly once, in order"
cat "$T/check.out"
"$PY" -c "import sys; print('# %d messages in %.2f s: %.0f messages/s through HTTP (replay -> spool fsync -> POST -> python3 http.server)' % (int(sys.argv[1]), float(sys.argv[3]) - float(sys.argv[2]), int(sys.argv[1]) / (float(sys.argv[3]) - float(sys.argv[2]))))" "$rate_n" "$t0" "$t1"
stop_agent
stop_server

echo "1..$n"
exit 0
