# SPDX-License-Identifier: GPL-2.0
# demo: load m2mgw.ko: the reader device and the generic netlink family
# Shell fragment run by demo/run (bash -eu).

show() {
	echo "\$ $*"
	"$@"
}

show insmod "$M2MGW_KO"
echo '$ lsmod | grep m2mgw'
lsmod | grep -E '^(Module|m2mgw) '
echo '$ dmesg | grep m2mgw'
dmesg --notime | grep m2mgw
show ls -l /dev/m2mgw
show genl ctrl get name m2mgw
show ls /sys/kernel/tracing/events/m2mgw
