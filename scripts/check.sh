#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: every stage, each writing TAP into build/tap/, then
# tests/summary.  A stage that fails, times out or produces no TAP gets a
# "not ok" of its own in build/tap/stages.tap; later stages still run.
# Logs of each stage: build/log/<stage>.log.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tap=$top/build/tap
log=$top/build/log
rm -rf "$tap" "$log"
mkdir -p "$tap" "$log"
read -r -d '' -a kernels <"$top/build/kernels"
n=0
t0=$(date +%s)

# stage NAME TIMEOUT TAPGLOB CMD...: run CMD, record the outcome.  TAPGLOB
# ('-' for none) names the TAP files CMD must leave with at least one
# result in them.
stage() {
	local name=$1 tmo=$2 s rc
	shift 2
	s=$(date +%s)
	stage_run "$name" "$tmo" "${@:2}"
	rc=$?
	stage_record "$name" "$1" "$rc" "$s"
	return $rc
}

# stage_run NAME TIMEOUT CMD...: CMD with its log and hard limit.
stage_run() {
	local name=$1 tmo=$2
	shift 2
	timeout -k 10 "$tmo" "$@" >"$log/$name.log" 2>&1 </dev/null
}

# stage_record NAME TAPGLOB RC START: the stage's line and TAP result.
stage_record() {
	local name=$1 glob=$2 rc=$3 s=$4 why=
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		why="timed out"
	elif [ "$rc" -ne 0 ]; then
		why="exit status $rc"
	elif [ "$glob" != - ] &&
		! cat $glob 2>/dev/null | grep -qE '^(not )?ok '; then
		why="no TAP results in $glob"
	fi
	n=$((n + 1))
	if [ -z "$why" ]; then
		echo "ok $n $name" >>"$tap/stages.tap"
		printf '%-28s ok     %4ss\n' "$name" $(($(date +%s) - s))
	else
		echo "not ok $n $name # $why" >>"$tap/stages.tap"
		printf '%-28s FAILED %4ss  %s, last lines of build/log/%s.log:\n' \
			"$name" $(($(date +%s) - s)) "$why" "$name"
		tail -n 15 "$log/$name.log" | sed 's/^/    /'
	fi
}

# 6.1.0-56-amd64 -> 6.1
short() { echo "$1" | cut -d. -f1,2; }

echo "m2mgw check: kernels ${kernels[*]}"
for k in "${kernels[@]}"; do
	stage "build-module-$(short "$k")" 600 - make module KVER="$k"
done
stage build-userspace 600 - make userspace
stage build-tests 600 - make tests
for d in lib cli agent; do
	[ -f "$d/Makefile" ] || continue
	stage "host-tests-$d" 900 "$tap/host-$d*.tap" make -C "$d" TOP="$top" check
done
stage tests-listed 60 "$tap/listed.tap" scripts/listed.sh
stage style 600 "$tap/style.tap" scripts/style.sh
stage dkms 900 "$tap/dkms.tap" scripts/dkms-check.sh
# One VM per kernel, both at once: most of a VM test's time is waiting
# (timeouts, sleeps, bpftrace compiling), and an idle TCG vCPU costs no
# host CPU, so two boots side by side take far less than one after the
# other.  M2MGW_VM_SERIAL=1 runs them one after the other.
declare -A vm_pid vm_start
for k in "${kernels[@]}"; do
	name="vm-$(short "$k")"
	vm_start[$k]=$(date +%s)
	# The VM has its own hard limit (tests/vm/run); this one is a backstop.
	stage_run "$name" 3600 tests/vm/run "$k" &
	vm_pid[$k]=$!
	[ "${M2MGW_VM_SERIAL:-0}" = 1 ] && wait "${vm_pid[$k]}"
done
for k in "${kernels[@]}"; do
	name="vm-$(short "$k")"
	wait "${vm_pid[$k]}"
	stage_record "$name" "$tap/vm-$k-*.tap" $? "${vm_start[$k]}"
	grep -E '^  ' "$log/$name.log"
	grep -E '^vm: ' "$log/$name.log"
done
echo "1..$n" >>"$tap/stages.tap"
echo "check took $(($(date +%s) - t0))s"
exec "$top/tests/summary"
