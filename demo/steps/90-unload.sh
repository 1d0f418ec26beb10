# SPDX-License-Identifier: GPL-2.0
# demo: unload m2mgw: device and family go away, kernel log stays clean
# Shell fragment run by demo/run (bash -eu).

echo "\$ rmmod m2mgw"
rmmod m2mgw
if [ -e /dev/m2mgw ]; then
	echo "/dev/m2mgw still there after rmmod"
	exit 1
fi
echo "/dev/m2mgw is gone"
if genl ctrl get name m2mgw >/dev/null 2>&1; then
	echo "genl family m2mgw still registered after rmmod"
	exit 1
fi
echo "genl family m2mgw is gone"
if dmesg | grep -E 'BUG:|WARNING:|Oops|refcount_t|list_del corruption'; then
	echo "the kernel complained (above)"
	exit 1
fi
echo "kernel log clean"
