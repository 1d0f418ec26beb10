// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of m2mctl's parsers (cli/parse.c): cansend syntax,
 * candump log output, filters, serial data, numbers.  TAP on stdout.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"

static int n, failed;

static void ok(int cond, const char *fmt, const char *arg)
{
	char name[256];

	snprintf(name, sizeof(name), fmt, arg);
	printf("%sok %d %s\n", cond ? "" : "not ", ++n, name);
	failed += !cond;
}

struct frame_vec {
	const char *in;
	int err; /* 0: valid */
	canid_t id;
	int fd;
	unsigned int len;
	const char *data; /* hex of the payload */
	unsigned int flags;
	const char *log; /* format_can_log() of it */
};

static const struct frame_vec frames[] = {
	{ "123#DEADBEEF", 0, 0x123, 0, 4, "DEADBEEF", 0, "123#DEADBEEF" },
	{ "123#", 0, 0x123, 0, 0, "", 0, "123#" },
	{ "7FF#00.11.22", 0, 0x7ff, 0, 3, "001122", 0, "7FF#001122" },
	{ "12345678#0102", 0, 0x12345678 | CAN_EFF_FLAG, 0, 2, "0102", 0,
	  "12345678#0102" },
	{ "1FFFFFFF#", 0, 0x1fffffff | CAN_EFF_FLAG, 0, 0, "", 0, "1FFFFFFF#" },
	{ "123#R", 0, 0x123 | CAN_RTR_FLAG, 0, 0, "", 0, "123#R" },
	{ "123#R4", 0, 0x123 | CAN_RTR_FLAG, 0, 4, "", 0, "123#R4" },
	{ "123##1112233", 0, 0x123, 1, 3, "112233", 1, "123##1112233" },
	{ "123##0", 0, 0x123, 1, 0, "", 0, "123##0" },
	{ "123##3"
	  "000102030405060708090A0B",
	  0, 0x123, 1, 12, "000102030405060708090A0B", 3,
	  "123##3000102030405060708090A0B" },
	{ "123#0102030405060708", 0, 0x123, 0, 8, "0102030405060708", 0,
	  "123#0102030405060708" },
	/* invalid */
	{ .in = "123#010203040506070809",
	  .err = -ERANGE }, /* 9 bytes classic */
	{ .in = "123##1"
		"010203040506070809",
	  .err = -ERANGE },			 /* 9 is no FD length */
	{ .in = "800#00", .err = -EINVAL },	 /* > 0x7FF */
	{ .in = "20000000#00", .err = -EINVAL }, /* > 29 bits */
	{ .in = "12#00", .err = -EINVAL },	 /* 2 digits */
	{ .in = "1234#00", .err = -EINVAL },	 /* 4 digits */
	{ .in = "123#0", .err = -EINVAL },	 /* half byte */
	{ .in = "123#zz", .err = -EINVAL },
	{ .in = "123", .err = -EINVAL },
	{ .in = "#00", .err = -EINVAL },
	{ .in = "123#R9", .err = -EINVAL },
	{ .in = "123##", .err = -EINVAL }, /* no flags nibble */
	{ .in = "123##G00", .err = -EINVAL },
	{ .in = "", .err = -EINVAL },
};

static void test_frames(void)
{
	char hex[200], log[200];
	struct canfd_frame cf;
	unsigned int i, k;
	int fd, err;

	for (i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
		const struct frame_vec *v = &frames[i];

		err = parse_can_frame(v->in, &cf, &fd);
		if (v->err) {
			ok(err == v->err, "frame '%s' is refused", v->in);
			continue;
		}
		hex[0] = '\0';
		for (k = 0; k < cf.len && !(cf.can_id & CAN_RTR_FLAG); k++)
			sprintf(hex + 2 * k, "%02X", cf.data[k]);
		ok(!err && cf.can_id == v->id && fd == v->fd &&
			   cf.len == v->len && !strcmp(hex, v->data) &&
			   cf.flags == v->flags,
		   "frame '%s' parses", v->in);
		format_can_log(&cf, fd, log, sizeof(log));
		ok(!strcmp(log, v->log), "frame '%s' logs back as candump does",
		   v->in);
	}
}

static void test_filters(void)
{
	struct can_filter f;
	char buf[32];

	ok(!parse_can_filter("123:7FF", &f) && f.can_id == 0x123 &&
		   f.can_mask == 0x7ff,
	   "filter %s", "123:7FF");
	ok(!parse_can_filter("123/7FF", &f) && f.can_id == 0x123,
	   "filter %s (slash)", "123/7FF");
	ok(!parse_can_filter("123~7FF", &f) &&
		   f.can_id == (0x123 | CAN_INV_FILTER),
	   "filter %s is inverted", "123~7FF");
	ok(!parse_can_filter("12345678:1FFFFFFF", &f) &&
		   f.can_id == (0x12345678 | CAN_EFF_FLAG) &&
		   f.can_mask == (0x1fffffff | CAN_EFF_FLAG),
	   "filter %s is extended", "12345678:1FFFFFFF");
	format_can_filter(&f, buf, sizeof(buf));
	ok(!strcmp(buf, "12345678:1FFFFFFF"), "filter prints back: %s", buf);
	ok(parse_can_filter("800:7FF", &f) == -ERANGE, "filter %s out of range",
	   "800:7FF");
	ok(parse_can_filter("123", &f) == -EINVAL, "filter %s without mask",
	   "123");
	ok(parse_can_filter("12x:7FF", &f) == -EINVAL, "filter %s not hex",
	   "12x:7FF");
	ok(parse_can_filter("123:", &f) == -EINVAL, "filter %s empty mask",
	   "123:");
}

static void test_serial(void)
{
	uint8_t b[16];

	ok(parse_serial_data("48656c6c6f", b, sizeof(b)) == 5 &&
		   !memcmp(b, "Hello", 5),
	   "serial hex %s", "48656c6c6f");
	ok(parse_serial_data("48 65.6c", b, sizeof(b)) == 3 &&
		   !memcmp(b, "Hel", 3),
	   "serial hex with separators %s", "48 65.6c");
	ok(parse_serial_data("\"A\\r\\n\\x7f\"", b, sizeof(b)) == 4 &&
		   !memcmp(b, "A\r\n\x7f", 4),
	   "serial string %s", "\"A\\r\\n\\x7f\"");
	ok(parse_serial_data("486", b, sizeof(b)) == -EINVAL,
	   "serial odd hex %s refused", "486");
	ok(parse_serial_data("\"\"", b, sizeof(b)) == -EINVAL,
	   "serial empty string %s refused", "\"\"");
	ok(parse_serial_data("\"\\q\"", b, sizeof(b)) == -EINVAL,
	   "serial bad escape %s refused", "\"\\q\"");
	ok(parse_serial_data("0102030405060708090a0b0c0d0e0f1011", b,
			     sizeof(b)) == -ERANGE,
	   "serial data longer than the buffer %s refused", "(17 bytes)");
}

static void test_numbers(void)
{
	uint32_t v;

	ok(!parse_u32("9600", 50, 4000000, &v) && v == 9600, "number %s",
	   "9600");
	ok(!parse_u32("0x10", 0, 255, &v) && v == 16, "number %s", "0x10");
	ok(parse_u32("49", 50, 4000000, &v) == -ERANGE, "number %s below min",
	   "49");
	ok(parse_u32("4000001", 50, 4000000, &v) == -ERANGE,
	   "number %s above max", "4000001");
	ok(parse_u32("-1", 0, 10, &v) == -EINVAL, "number %s negative", "-1");
	ok(parse_u32("12a", 0, 1000, &v) == -EINVAL, "number %s trailing junk",
	   "12a");
	ok(parse_u32("99999999999999999999", 0, UINT32_MAX, &v) == -ERANGE,
	   "number %s overflows", "99999999999999999999");
	ok(!parse_byte("\\n", &v) && v == '\n', "byte %s", "\\n");
	ok(!parse_byte("0x0d", &v) && v == '\r', "byte %s", "0x0d");
	ok(parse_byte("256", &v) == -ERANGE, "byte %s out of range", "256");
}

int main(void)
{
	printf("TAP version 13\n");
	test_frames();
	test_filters();
	test_serial();
	test_numbers();
	printf("1..%d\n", n);
	return failed ? 1 : 0;
}
