/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One line of a candump -L log ("(1700000000.123456) vcan0 123#0A0B",
 * CAN FD "123##1AABB", remote "123#R") as an m2mgw record.  Split from
 * the replay source (source_replay.c) so the parser can be tested and
 * fuzzed without an event loop.
 */
#ifndef M2MGWD_CANDUMP_H
#define M2MGWD_CANDUMP_H

#include <net/if.h>
#include <linux/can.h>
#include <linux/m2mgw.h>

/* Room a record for candump_parse() needs. */
#define CANDUMP_REC_MAX (M2MGW_REC_HDR_LEN + CANFD_MTU)

/*
 * Parse @line into @rec (CANDUMP_REC_MAX bytes, 8-byte aligned: header
 * with type, len, flags and tstamp_ns, then the CAN (FD) frame), the
 * interface name into @ifname and the log time into *@t (seconds).
 * 0, or -EINVAL for a line that is no candump -L frame.
 */
int candump_parse(const char *line, struct m2mgw_rec *rec,
		  char ifname[IFNAMSIZ], double *t);

#endif /* M2MGWD_CANDUMP_H */
