#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install every Debian package that building, testing, demoing and
# benchmarking m2mgw needs.  Idempotent: prints nothing and touches
# nothing when all is present.  The 6.1 and 6.12 kernels are resolved
# from the archive at run time (the archive moves), and remembered in
# build/kernels so later steps need not ask apt again.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
stamp=$top/build/kernels

# Module BTF on 6.1 (scripts/module-btf.sh): pahole, binutils, and the
# decompressors of Debian's kernel images (6.1 xz, 6.12 zstd).
base_pkgs="build-essential gcc make pkg-config git kmod xz-utils zstd cpio
	busybox-static qemu-system-x86 dkms dwarves pahole binutils bc flex bison
	libelf-dev libssl-dev
	libnl-3-dev libnl-genl-3-dev libev-dev libbpf-dev bpftool bpftrace
	clang llvm libmosquitto-dev mosquitto mosquitto-clients
	libcurl4-openssl-dev libcjson-dev libinih-dev
	libmicrohttpd-dev libmodbus-dev can-utils iproute2 util-linux
	clang-format valgrind python3 perl
	linux-source-6.1 linux-source-6.12"

missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || echo "$p"
	done
}

# Newest installed kernels of each series that have image + headers.
installed_kernels() {
	local series=$1
	ls /lib/modules 2>/dev/null | grep -E "^${series}\.[0-9]+.*-amd64$" |
		grep -vE -- '-(rt|cloud)-amd64$' | sort -V |
		while read -r k; do
			[ -f "/boot/vmlinuz-$k" ] && [ -d "/lib/modules/$k/build" ] &&
				echo "$k"
		done | tail -n 1
}

need=$(missing $base_pkgs)
k61=$(installed_kernels 6.1)
k612=$(installed_kernels 6.12)

if [ -z "$need" ] && [ -n "$k61" ] && [ -n "$k612" ]; then
	mkdir -p "$top/build"
	printf '%s\n%s\n' "$k61" "$k612" >"$stamp"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "m2mgw: missing packages (run 'make deps' as root):" \
		$need ${k61:-linux-image-6.1-amd64} ${k612:-linux-image-6.12-amd64} >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "deps: apt-get update" >&2
apt-get update -qq

# apt knows a package name but can install it only with a candidate.
installable() {
	apt-cache policy "$1" 2>/dev/null | grep -q 'Candidate: [^(]'
}

# The image package of release $1 that the archive can install now: the
# signed one, or the -unsigned one while linux-signed-amd64 lags behind a
# security upload (seen with 6.12.118: headers and -unsigned published,
# signed image not yet).  Same /boot/vmlinuz and /lib/modules either way.
image_pkg() {
	local p
	for p in "linux-image-$1" "linux-image-$1-unsigned"; do
		installable "$p" && { echo "$p"; return 0; }
	done
	return 1
}

# Newest release of series $1 whose headers and an image are installable.
resolve_kernel() {
	local series=$1 k
	apt-cache search --names-only "^linux-headers-${series}\.[0-9].*-amd64\$" |
		awk '{print $1}' | sed 's/^linux-headers-//' |
		grep -vE -- '-(rt|cloud)-amd64$' | sort -rV |
		while read -r k; do
			installable "linux-headers-$k" && image_pkg "$k" >/dev/null &&
				{ echo "$k"; break; }
		done
}

pkgs=$need
for series in 6.1 6.12; do
	if [ "$series" = 6.1 ]; then k=$k61; else k=$k612; fi
	[ -n "$k" ] && continue
	k=$(resolve_kernel "$series")
	[ -n "$k" ] || { echo "deps: cannot resolve an installable $series kernel" >&2; exit 1; }
	pkgs="$pkgs $(image_pkg "$k") linux-headers-$k"
	if [ "$series" = 6.1 ]; then k61=$k; else k612=$k; fi
done

echo "deps: installing" $pkgs >&2
apt-get install -y -qq --no-install-recommends $pkgs >/dev/null

mkdir -p "$top/build"
printf '%s\n%s\n' "$k61" "$k612" >"$stamp"
