#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check` stage: every in-VM test program the tree builds
# (tests/kernel/*.c -> build/tests/kernel/<name>) must be listed in
# tests/vm/tests.list, or it would silently never run.  TAP in
# build/tap/listed.tap.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=build/tap/listed.tap
mkdir -p build/tap
n=0
rc=0
: >"$out"
for c in tests/kernel/*.c; do
	prog=build/tests/kernel/$(basename "$c" .c)
	n=$((n + 1))
	if awk '!/^#/ { print $1 }' tests/vm/tests.list | grep -qx "$prog"; then
		echo "ok $n $c runs from tests/vm/tests.list" >>"$out"
	else
		echo "not ok $n $c runs from tests/vm/tests.list # add: $prog [timeout]" >>"$out"
		rc=1
	fi
done
echo "1..$n" >>"$out"
cat "$out"
exit $rc
