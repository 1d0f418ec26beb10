#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms-tree.sh DIR: the DKMS source tree of m2mgw (what goes to
# /usr/src/m2mgw-VERSION): Kbuild, kernel/, include/, dkms.conf with the
# version filled in, and scripts/module-btf.sh, which dkms.conf runs
# after Kbuild for module BTF.  Prints the version.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
dir=$1
ver=$(cat "$top/VERSION")
rm -rf "$dir"
mkdir -p "$dir"
cp -r "$top/Kbuild" "$top/kernel" "$top/include" "$dir/"
install -D -m 0755 "$top/scripts/module-btf.sh" "$dir/scripts/module-btf.sh"
sed "s/@VERSION@/$ver/" "$top/dkms.conf" >"$dir/dkms.conf"
echo "$ver"
