# SPDX-License-Identifier: GPL-2.0
# demo: m2mctl: a vcan port, frames in and out, counters, a dump
# Shell fragment run by demo/run (bash -eu).

show() {
	echo "\$ $*"
	"$@"
}

ip link add demo0 type vcan
ip link set demo0 mtu 72 up
show m2mctl version
show m2mctl port add can demo0 filter 100:700
show m2mctl port show
# A reader in the background prints the next four frames.
echo '$ m2mctl dump -n 4 demo0 &'
m2mctl dump -n 4 demo0 &
dump=$!
sleep 1
show cansend demo0 123#DEADBEEF
show cansend demo0 456#00          # not matched by the filter
show cansend demo0 1AB##1112233445566778899
show m2mctl send demo0 101#CAFE
show m2mctl send demo0 102#R
wait $dump
show m2mctl -s stats
echo '$ m2mctl -j port show demo0'
m2mctl -j -p port show demo0
echo '$ m2mctl port add can lo        # the kernel says why not'
m2mctl port add can lo || echo "(exit status $?)"
show m2mctl port del demo0
ip link del demo0
