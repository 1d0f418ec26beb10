#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host tests of m2mctl that need no kernel: parser vectors, usage errors,
# help, and the text/JSON printing layer.  TAP on stdout.
#
# Env: M2MCTL (the binary), PARSE_TEST, PRINT_TEST (cli/Makefile sets
# them).  Usage errors are run with M2MGW_GENL_FAMILY pointing at a family
# that does not exist: had m2mctl sent anything to the kernel, it would
# fail with "cannot talk to the m2mgw module" and exit 1, not 2.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
M=${M2MCTL:-$top/build/bin/m2mctl}
PARSE_TEST=${PARSE_TEST:-$top/build/cli/parse_test}
PRINT_TEST=${PRINT_TEST:-$top/build/cli/print_test}
export M2MGW_GENL_FAMILY=m2mgw-does-not-exist-$$
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0

ok() { # ok COND-EXIT-STATUS NAME
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi
}

echo "TAP version 13"

# 1. parser vectors (C unit test), renumbered into this stream
if "$PARSE_TEST" >"$tmp/parse" 2>&1; then rc=0; else rc=1; fi
while read -r line; do
	case $line in
	"ok "* | "not ok "*)
		name=${line#ok }
		name=${name#not ok }
		name=${name#* }
		case $line in "not ok"*) ok 1 "parse: $name" ;; *) ok 0 "parse: $name" ;; esac
		;;
	esac
done <"$tmp/parse"
ok $rc "parse: unit test exits 0"

# 2. usage errors: exit 2, one line on stderr, nothing on stdout, no
#    netlink traffic.
usage() { # usage ARGS...
	"$M" "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$? lines
	lines=$(wc -l <"$tmp/err")
	if [ $rc = 2 ] && [ "$lines" = 1 ] && [ ! -s "$tmp/out" ] &&
		grep -q '^m2mctl: ' "$tmp/err" &&
		! grep -q 'cannot talk' "$tmp/err"; then
		ok 0 "usage error: m2mctl $*"
	else
		ok 1 "usage error: m2mctl $* (rc $rc, stderr: $(head -c 200 "$tmp/err"))"
	fi
}

usage bogus
usage -Z port show
usage port bogus
usage port add
usage port add can
usage port add bogus x
usage port add can vcan0 filter
usage port add can vcan0 filter 12x:7FF
usage port add can vcan0 filter 800:7FF
usage port add can vcan0 name
usage port add can vcan0 name aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
usage port add can vcan0 baud 9600
usage port add can vcan0 frobnicate
usage port add can vcan0 id 3
usage port add can aaaaaaaaaaaaaaaaaaaa
usage port add serial ttyS1
usage port add serial ttyS1 baud 49
usage port add serial ttyS1 baud 4000001
usage port add serial ttyS1 baud 9600x
usage port add serial ttyS1 baud 9600 bits 9
usage port add serial ttyS1 baud 9600 parity mark
usage port add serial ttyS1 baud 9600 stop 3
usage port add serial ttyS1 baud 9600 framing
usage port add serial ttyS1 baud 9600 framing foo
usage port add serial ttyS1 baud 9600 framing delimiter 256
usage port add serial ttyS1 baud 9600 framing gap 0
usage port add serial ttyS1 baud 9600 framing fixed 0
usage port add serial ttyS1 baud 9600 maxlen 4097
usage port add serial ttyS1 baud 9600 filter 123:7FF
usage port add serial /dev/ baud 9600
usage port del
usage port del a b
usage port set
usage port set vcan0
usage port set vcan0 bogus
usage port set vcan0 name x
usage port set vcan0 filter 123
usage port show a b
usage send
usage send vcan0
usage send vcan0 123#zz extra
usage send vcan0 123#zz
usage send vcan0 800#00
usage dump -n 0
usage dump -n
usage dump -x
usage -j dump -L
usage monitor -n abc
usage monitor extra
usage stats extra
usage version extra

# The check above can fail: a valid command does reach for the kernel.
"$M" port show >/dev/null 2>"$tmp/err"
rc=$?
[ $rc = 1 ] && grep -q 'cannot talk to the m2mgw module' "$tmp/err"
ok $? "a valid command without the family fails with exit 1 and says why"

# A family of another version is refused (nlctrl is version 2).
M2MGW_GENL_FAMILY=nlctrl "$M" version >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 1 ] && grep -q "netlink version 2, this tool version 1" "$tmp/err" &&
	grep -q "^m2mctl " "$tmp/out"
ok $? "version refuses a family of another version, exit 1"

# 3. help
"$M" help >"$tmp/out" 2>&1
rc=$?
for c in port monitor dump send stats version help; do
	grep -q "^  $c " "$tmp/out" || rc=1
done
ok $rc "m2mctl help lists every command"
for c in port monitor dump send stats version "port add" "port del" \
	"port set" "port show"; do
	# shellcheck disable=SC2086
	"$M" $c help >"$tmp/out" 2>&1
	rc=$?
	[ $rc = 0 ] && grep -q "^Usage: m2mctl.* ${c##* }" "$tmp/out"
	ok $? "m2mctl $c help"
done

# 4. JSON: valid, and the same values as the text output
"$M" -j version >"$tmp/out" 2>/dev/null
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["uapi"] == 1 and d["cli"], d
assert "module" not in d' "$tmp/out"
ok $? "-j version without a module: JSON with the CLI and uapi versions"

for mode in json pretty; do
	"$PRINT_TEST" $mode -s >"$tmp/$mode"
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert [p["name"] for p in d] == ["bus0", "gps"], d
assert d[0]["filters"] == ["123:7FF", "12345678:1FFFFFFF"]
assert d[0]["stats"]["drop_nomem"] == 1088
assert d[0]["stats"]["drops"] == 1066 + 1077 + 1088 + 1099 + 1110
assert d[1]["parity"] == "even" and d[1]["framing_arg"] == 10
' "$tmp/$mode"
	ok $? "print layer: $mode output parses with the expected values"
done
[ "$(wc -l <"$tmp/pretty")" -gt 10 ] && [ "$(wc -l <"$tmp/json")" = 1 ]
ok $? "print layer: -p pretty-prints, -j is one line"

"$PRINT_TEST" text -s >"$tmp/text"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read().split()
missing = []
def walk(k, v):
    if isinstance(v, dict):
        for kk, vv in v.items(): walk(kk, vv)
    elif isinstance(v, list):
        for vv in v: walk(k, vv)
    else:
        s = {True: "on", False: "off"}.get(v, str(v)) if isinstance(v, bool) else str(v)
        if not any(s == w.rstrip(":") for w in text):
            missing.append((k, s))
walk(None, d)
assert not missing, missing
' "$tmp/json" "$tmp/text"
ok $? "print layer: every JSON value is also in the text output"

# 5. install: binary, man page, completion under DESTDIR/PREFIX
make -s -C "$top/cli" TOP="$top" install DESTDIR="$tmp/inst" PREFIX=/usr \
	>/dev/null 2>&1 &&
	[ -x "$tmp/inst/usr/bin/m2mctl" ] &&
	[ -s "$tmp/inst/usr/share/man/man8/m2mctl.8" ] &&
	[ -s "$tmp/inst/usr/share/bash-completion/completions/m2mctl" ]
ok $? "make install puts m2mctl, m2mctl.8 and the completion under DESTDIR"
LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -l "$top/cli/m2mctl.8" \
	>/dev/null 2>"$tmp/man"
[ ! -s "$tmp/man" ]
ok $? "m2mctl.8 formats without warnings $(head -c 100 "$tmp/man")"
bash -n "$top/cli/m2mctl.bash-completion"
ok $? "bash completion parses"

echo "1..$n"
