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

base_pkgs="build-essential gcc make pkg-config git kmod xz-utils cpio
	busybox-static qemu-system-x86 dkms dwarves bc flex bison
	libelf-dev libssl-dev
	libnl-3-dev libnl-genl-3-dev libev-dev libbpf-dev bpftool bpftrace
	clang llvm libmosquitto-dev mosquitto mosquitto-clients
	libcurl4-openssl-dev libcjson-dev libinih-dev libsystemd-dev
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

pkgs=$need
if [ -z "$k61" ]; then
	# linux-image-amd64 is the 6.1 series on Debian 12.
	k61=$(apt-cache depends linux-image-amd64 |
		sed -n 's/.*Depends: linux-image-\(6\.1\..*-amd64\)$/\1/p' | head -n 1)
	[ -n "$k61" ] || { echo "deps: cannot resolve the 6.1 kernel" >&2; exit 1; }
	pkgs="$pkgs linux-image-$k61 linux-headers-$k61"
fi
if [ -z "$k612" ]; then
	k612=$(apt-cache search --names-only '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' |
		awk '{print $1}' | sed 's/^linux-headers-//' | sort -V | tail -n 1)
	[ -n "$k612" ] || { echo "deps: cannot resolve the 6.12 kernel" >&2; exit 1; }
	pkgs="$pkgs linux-image-$k612 linux-headers-$k612"
fi

echo "deps: installing" $pkgs >&2
apt-get install -y -qq --no-install-recommends $pkgs >/dev/null

mkdir -p "$top/build"
printf '%s\n%s\n' "$k61" "$k612" >"$stamp"
