#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# module-btf.sh KVER KO [BASE]: add a .BTF section (module BTF, split on
# the kernel's own BTF) to an m2mgw.ko built for KVER, unless Kbuild did
# (6.12's headers ship a BTF-only vmlinux, 6.1's none).  The kernel's BTF
# is kept as BASE (raw BTF; default vmlinux.btf next to KO, which must
# then be a directory of KVER's alone) for the next build.  Run by
# `make module` and by the DKMS build (dkms.conf MAKE[0]).
#
# Kbuild's "BTF [M]" step needs the kernel build tree's vmlinux as the
# BTF base, and Debian's linux-headers packages do not ship one ("Skipping
# BTF generation ... due to unavailability of vmlinux").  The kernel image
# has the same BTF: /boot/vmlinuz-KVER is a compressed vmlinux ELF whose
# .BTF section is exactly what /sys/kernel/btf/vmlinux serves once it
# boots.  So: decompress it, and run pahole -J --btf_base on it, as
# scripts/Makefile.modfinal would.  Module BTF must match its base type
# for type; both Debian kernels have MODULE_ALLOW_BTF_MISMATCH=y, so a
# mismatch (another build of the same release) would cost the BTF, not
# the module load.  Anything missing (pahole, the image, a .BTF section in
# it, the decompressor of its format): a message on stderr saying what
# to install, the module stays as it is, exit 0.  Debian's 6.1 images are
# xz (CONFIG_KERNEL_XZ), 6.12's zstd; scripts/deps.sh installs both tools.
set -u

kver=$1
ko=$2
base=${3:-$(dirname "$ko")/vmlinux.btf}
img=/boot/vmlinuz-$kver
skip() { echo "module-btf: no BTF for $ko: $*" >&2; exit 0; }

for t in readelf:binutils objcopy:binutils pahole:pahole; do
	command -v "${t%%:*}" >/dev/null ||
		skip "${t%%:*} missing (apt-get install ${t#*:})"
done
[ -r "$ko" ] || skip "no such module"
readelf -S "$ko" | grep -q ' \.BTF ' && exit 0
[ -r "$img" ] || skip "$img not readable"
tmp=$(mktemp -d) || skip "mktemp failed"
trap 'rm -rf "$tmp"' EXIT

# The compressed payload starts at its format's magic; whatever follows
# it in the image makes the decompressor complain after the output.
off_of() { # off_of HEX-MAGIC: byte offset in the image, or nothing
	LC_ALL=C grep -obUaP "$1" "$img" | head -n 1 | cut -d: -f1
}
if [ ! -s "$base" ] || [ "$img" -nt "$base" ]; then
	# PACKAGE:MAGIC:COMMAND.  Another format's magic may occur by chance
	# in the payload (6.1's xz image holds a gzip one): the first match
	# of each format is tried in turn until one gives a vmlinux with .BTF.
	need=
	for fmt in 'xz-utils:\xfd7zXZ\x00:xz -dc' \
		'zstd:\x28\xb5\x2f\xfd:zstd -dcq' 'gzip:\x1f\x8b\x08:gzip -dc'; do
		pkg=${fmt%%:*}
		magic=${fmt#*:}
		cmd=${magic#*:}
		magic=${magic%%:*}
		off=$(off_of "$magic")
		[ -n "$off" ] || continue
		if ! command -v "${cmd%% *}" >/dev/null; then
			need="$need ${cmd%% *} (apt-get install $pkg)"
			continue
		fi
		tail -c +$((off + 1)) "$img" | $cmd >"$tmp/vmlinux" 2>/dev/null
		readelf -S "$tmp/vmlinux" 2>/dev/null | grep -q ' \.BTF ' && break
		rm -f "$tmp/vmlinux"
	done
	[ -s "$tmp/vmlinux" ] ||
		skip "no vmlinux with .BTF inside $img${need:+ (missing:$need)}"
	objcopy -O binary --only-section=.BTF "$tmp/vmlinux" "$base" ||
		skip "objcopy could not take .BTF out of $img"
	rm -f "$tmp/vmlinux"
fi

LLVM_OBJCOPY=${OBJCOPY:-objcopy} pahole -J --btf_base "$base" "$ko" \
	>"$tmp/log" 2>&1 || skip "pahole: $(head -n 3 "$tmp/log")"
readelf -S "$ko" | grep -q ' \.BTF ' || skip "pahole wrote no .BTF"
echo "  BTF [M] $ko (base: $img)"
