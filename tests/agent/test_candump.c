// SPDX-License-Identifier: GPL-2.0
/*
 * The candump -L line parser of the replay source: classic, extended,
 * CAN FD, remote and error frames become the right records; ids a bus
 * cannot carry, signs and garbled data are refused.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "candump.h"
#include "tap.h"

static uint8_t recbuf[CANDUMP_REC_MAX] __attribute__((aligned(8)));
static struct m2mgw_rec *const rec = (struct m2mgw_rec *)recbuf;
static const struct canfd_frame *const cf =
	(const struct canfd_frame *)(recbuf + M2MGW_REC_HDR_LEN);
static char ifname[IFNAMSIZ];
static double t;

static int parse(const char *line)
{
	return candump_parse(line, rec, ifname, &t);
}

static void test_good(void)
{
	ok(!parse("(1700000000.123456) vcan0 123#0A0B\n") &&
		   rec->type == M2MGW_REC_CAN && cf->can_id == 0x123 &&
		   cf->len == 2 && cf->data[0] == 0x0a && cf->data[1] == 0x0b &&
		   !strcmp(ifname, "vcan0") &&
		   rec->tstamp_ns == 1700000000123456000ULL,
	   "classic frame: id, data, interface, time stamp");
	ok(!parse("(1.000000) can1 1FFFFFFF#R") &&
		   cf->can_id == (0x1fffffff | CAN_EFF_FLAG | CAN_RTR_FLAG) &&
		   cf->len == 0,
	   "extended remote frame with the largest 29-bit id");
	ok(!parse("(1.000000) can1 7FF##30011.2233") &&
		   rec->type == M2MGW_REC_CANFD && cf->can_id == 0x7ff &&
		   cf->flags == 3 && cf->len == 4 && cf->data[3] == 0x33,
	   "CAN FD frame with flags and a '.' between bytes");
	ok(!parse("(1.000000) can1 20000080#0000000000000000") &&
		   cf->can_id == (CAN_ERR_FLAG | 0x80) && cf->len == 8,
	   "error frame keeps CAN_ERR_FLAG, no EFF flag");
}

static void test_bad(void)
{
	static const char *const bad[] = {
		"(1.000000) vcan0 825#9C",	/* 12 bits in a 3-digit id */
		"(1.000000) vcan0 FFF#00",	/* same */
		"(1.000000) vcan0 -12#00",	/* strtoul takes a sign */
		"(1.000000) vcan0 +7F#00",	/* same */
		"(1.000000) vcan0 5FFFFFFF#00", /* bit 30, no error flag */
		"(1.000000) vcan0 12#00",	/* 2 digits */
		"(1.000000) vcan0 123#0",	/* half a byte */
		"(1.000000) vcan0 123#001122334455667788", /* 9 bytes */
		"vcan0 123#00",				   /* no time stamp */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(parse(bad[i]) == -EINVAL, "refused: %s", bad[i]);
}

int main(void)
{
	test_good();
	test_bad();
	return tap_done();
}
