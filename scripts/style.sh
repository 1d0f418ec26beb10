#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make style`: checkpatch.pl --strict on the kernel code and the uapi
# header, clang-format (.clang-format) on every C file; one TAP result per
# file and tool in build/tap/style.tap, diagnostics as TAP comments.
# checkpatch.pl and its data files come from Debian's linux-source
# tarball at run time (never committed).
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tar_ball=/usr/src/linux-source-6.1.tar.xz
cp_dir=$top/build/checkpatch
checkpatch=$cp_dir/scripts/checkpatch.pl
out=$top/build/tap/style.tap
mkdir -p "$top/build/tap"

if [ ! -x "$checkpatch" ]; then
	mkdir -p "$cp_dir"
	tar -C "$cp_dir" --strip-components=1 -xf "$tar_ball" \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch || {
		echo "style: cannot extract checkpatch.pl from $tar_ball" >&2
		exit 1
	}
fi

n=0
fails=0
: >"$out"
result() { # result STATUS NAME DIAGNOSTICS
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n $2" >>"$out"
	else
		fails=$((fails + 1))
		echo "not ok $n $2" >>"$out"
		printf '%s\n' "$3" | head -n 40 | sed 's/^/# /' >>"$out"
	fi
}

shopt -s nullglob
for f in kernel/*.c kernel/*.h include/uapi/linux/*.h; do
	msg=$(perl "$checkpatch" --strict --no-tree --terse --show-types \
		--no-summary -f "$f" 2>&1)
	result $? "checkpatch $f" "$msg"
done

for f in $(git ls-files -co --exclude-standard -- kernel lib cli agent \
	tests include tools | grep -E '\.[ch]$'); do
	[ -f "$f" ] || continue
	msg=$(clang-format --dry-run --Werror "$f" 2>&1)
	result $? "clang-format $f" "$msg"
done
echo "1..$n" >>"$out"

# On the terminal: each failure with its first diagnostics.
awk '/^not ok/ { c = 0; print; next } /^#/ && c++ < 6 { print }' "$out"
echo "style: $((n - fails)) of $n files clean"
[ $fails -eq 0 ]
