#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# install.sh DESTDIR PREFIX (`make install`): the module's DKMS source
# tree in /usr/src/m2mgw-VERSION (then dkms add/build/install when DESTDIR
# is empty and dkms is there), the programs in build/bin (m2mgw-top
# among them), the bpftrace scripts in PREFIX/share/m2mgw/bpf, and man pages,
# systemd units and udev rules where the tree has them.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-}
prefix=${2:-/usr}
ver=$(cat "$top/VERSION")
src=$dest/usr/src/m2mgw-$ver

echo "install: module source in $src"
"$top/scripts/dkms-tree.sh" "$src" >/dev/null

shopt -s nullglob
for b in "$top"/build/bin/*; do
	install -D -m 0755 "$b" "$dest$prefix/bin/$(basename "$b")"
	echo "install: $prefix/bin/$(basename "$b")"
done
# bpftrace scripts (executable: #!/usr/bin/env bpftrace), next to the
# data of the package; m2mgw-top came with build/bin above.
for s in "$top"/tools/bpf/*.bt; do
	install -D -m 0755 "$s" "$dest$prefix/share/m2mgw/bpf/$(basename "$s")"
	echo "install: $prefix/share/m2mgw/bpf/$(basename "$s")"
done
for m in "$top"/{cli,agent,man,doc}/*.[1-8]; do
	sec=${m##*.}
	install -D -m 0644 "$m" "$dest$prefix/share/man/man$sec/$(basename "$m")"
	echo "install: $prefix/share/man/man$sec/$(basename "$m")"
done
for c in "$top"/cli/*.bash-completion; do
	n=$(basename "$c" .bash-completion)
	install -D -m 0644 "$c" "$dest$prefix/share/bash-completion/completions/$n"
	echo "install: $prefix/share/bash-completion/completions/$n"
done
for u in "$top"/agent/*.service; do
	install -D -m 0644 "$u" "$dest/lib/systemd/system/$(basename "$u")"
	echo "install: /lib/systemd/system/$(basename "$u")"
done
for r in "$top"/agent/*.rules "$top"/udev/*.rules; do
	install -D -m 0644 "$r" "$dest/lib/udev/rules.d/$(basename "$r")"
	echo "install: /lib/udev/rules.d/$(basename "$r")"
done

if [ -z "$dest" ] && command -v dkms >/dev/null; then
	dkms remove -m m2mgw -v "$ver" --all >/dev/null 2>&1 || true
	dkms add -m m2mgw -v "$ver"
	dkms install -m m2mgw -v "$ver" ||
		echo "install: dkms could not build for $(uname -r) (headers installed?)" >&2
fi
