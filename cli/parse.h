/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command-line value parsers.  Pure functions, no I/O: unit-tested on
 * the host (tests/cli/parse_test.c).  Each returns 0 or -EINVAL/-ERANGE.
 */
#ifndef M2MCTL_PARSE_H
#define M2MCTL_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/can.h>

/* Decimal or 0x-hex unsigned integer in [min, max]. */
int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);

/*
 * A CAN filter as candump takes it: ID:MASK or ID/MASK (match), ID~MASK
 * (inverted), hex.  An 8-digit ID is an extended (29-bit) id.
 */
int parse_can_filter(const char *s, struct can_filter *f);
/* Print a filter back in the same syntax (at least 20 bytes). */
void format_can_filter(const struct can_filter *f, char *buf, size_t len);

/*
 * A frame in cansend syntax:
 *   <id>#<data>            classic, 3 hex digits standard, 8 extended;
 *                          data up to 8 bytes, '.' separators allowed
 *   <id>#R[<len>]          remote frame, optional length digit 0..8
 *   <id>##<flags><data>    CAN FD, flags one hex nibble (BRS 1, ESI 2),
 *                          data up to 64 bytes (a valid FD length)
 * Fills a struct canfd_frame (a struct can_frame for classic frames,
 * same layout for the first 16 bytes); *fd is set for FD frames.
 */
int parse_can_frame(const char *s, struct canfd_frame *cf, int *fd);

/*
 * Serial payload: hex bytes ("48656c6c6f", "48 65 6c", "48.65") or, with
 * a leading and trailing quote in the argument ('"Hello\r\n"' passed as
 * the shell word "\"Hello\\r\\n\""), a string with C escapes \r \n \t
 * \\ \" \xHH.  Returns the length or a negative errno.
 */
int parse_serial_data(const char *s, uint8_t *buf, size_t cap);

/* A delimiter byte: decimal/0x-hex 0..255, or a C escape like '\n'. */
int parse_byte(const char *s, uint32_t *out);

/* candump log form of a CAN frame: "123#DEADBEEF", "123##1AA", "123#R". */
void format_can_log(const struct canfd_frame *cf, int fd, char *buf,
		    size_t len);

#endif /* M2MCTL_PARSE_H */
