#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check` stage: `dkms add` + `dkms build` of this tree for every
# kernel in build/kernels, in a private DKMS tree under build/dkms (the
# host's /var/lib/dkms and /usr/src stay untouched).  Build only: the
# host cannot load modules.  Each built module must carry module BTF
# (.BTF; from Kbuild on 6.12, from dkms.conf's module-btf.sh step on 6.1)
# that reads as split BTF on its kernel's base.  TAP in build/tap/dkms.tap.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
d=$top/build/dkms
out=$top/build/tap/dkms.tap
mkdir -p "$top/build/tap"
rm -rf "$d"
mkdir -p "$d/tree" "$d/install"
read -r -d '' -a kernels <"$top/build/kernels"
n=0
rc=0

ok() { n=$((n + 1)); echo "ok $n $1" >>"$out"; }
notok() {
	n=$((n + 1))
	rc=1
	echo "not ok $n $1" >>"$out"
	printf '%s\n' "$2" | tail -n 25 | sed 's/^/# /' >>"$out"
	printf '%s\n' "$2" | tail -n 25 >&2
}

# The private trees; the MOK key dkms may want to sign with lives there too.
dk() {
	mok_signing_key=$d/mok.key mok_certificate=$d/mok.pub dkms "$@" --dkmstree "$d/tree" --sourcetree "$d/src" \
		--installtree "$d/install"
}

# btf_check KVER MODULE: .BTF in MODULE (.ko, or compressed as DKMS
# leaves it), and m2mgw's types in it on KVER's base BTF where there is
# one here (the headers' vmlinux, or the one `make module` extracted).
btf_check() {
	local k=$1 m=$2 ko=$d/btf.ko base
	case $m in
	*.xz) xz -dc "$m" >"$ko" ;;
	*.zst) zstd -dcq "$m" >"$ko" ;;
	*.gz) gzip -dc "$m" >"$ko" ;;
	*) cp "$m" "$ko" ;;
	esac || { echo "cannot decompress $m"; return 1; }
	readelf -S "$ko" | grep ' \.BTF ' || { echo "no .BTF section in $m"; return 1; }
	for base in "/lib/modules/$k/build/vmlinux" "$top/build/kmod/$k/vmlinux.btf" ""; do
		[ -z "$base" ] || [ -s "$base" ] && break
	done
	if [ -z "$base" ]; then
		echo "no base BTF for $k here: section checked only"
		return 0
	fi
	bpftool btf dump file "$ko" --base-btf "$base" 2>&1 |
		grep "STRUCT 'm2mgw_reader'" || {
		echo "bpftool: no struct m2mgw_reader on base $base"
		return 1
	}
}

: >"$out"
if ! ver=$("$top/scripts/dkms-tree.sh" "$d/src/m2mgw-X" 2>&1); then
	notok "dkms source tree" "$ver"
	echo "1..$n" >>"$out"
	exit 1
fi
mv "$d/src/m2mgw-X" "$d/src/m2mgw-$ver"
if msg=$(dk add -m m2mgw -v "$ver" 2>&1); then
	ok "dkms add m2mgw/$ver"
	for k in "${kernels[@]}"; do
		if msg=$(dk build -m m2mgw -v "$ver" -k "$k" 2>&1) &&
			compgen -G "$d/tree/m2mgw/$ver/$k/*/module/m2mgw.ko*" >/dev/null; then
			ok "dkms build m2mgw/$ver for $k"
			m=$(compgen -G "$d/tree/m2mgw/$ver/$k/*/module/m2mgw.ko*" | head -n 1)
			if msg=$(btf_check "$k" "$m" 2>&1); then
				ok "dkms-built m2mgw for $k carries module BTF"
			else
				notok "dkms-built m2mgw for $k carries module BTF" "$msg
$(grep -i btf "$d/tree/m2mgw/$ver/$k/"*/log/make.log 2>/dev/null)"
			fi
		else
			notok "dkms build m2mgw/$ver for $k" "$msg
$(cat "$d/tree/m2mgw/$ver/build/make.log" 2>/dev/null)"
		fi
	done
else
	notok "dkms add m2mgw/$ver" "$msg"
fi
echo "1..$n" >>"$out"
cat "$out"
exit $rc
