// SPDX-License-Identifier: GPL-2.0
/*
 * Command-line value parsers (see parse.h).  The frame syntax is the one
 * of can-utils' cansend/candump; it is re-implemented here because
 * can-utils ships no library.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Exactly @n hex digits at @s into *out; returns the digits used or -1. */
static int hex_digits(const char *s, size_t n, uint32_t *out)
{
	uint32_t v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		int d = hexval(s[i]);

		if (d < 0)
			return -1;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return (int)n;
}

/* A CAN id of 3 (standard) or 8 (extended) hex digits ending at @end. */
static int parse_can_id(const char *s, size_t n, canid_t *id)
{
	uint32_t v;

	if (n == 3) {
		if (hex_digits(s, 3, &v) < 0 || v > CAN_SFF_MASK)
			return -EINVAL;
		*id = v;
		return 0;
	}
	if (n == 8) {
		if (hex_digits(s, 8, &v) < 0 || v > CAN_EFF_MASK)
			return -EINVAL;
		*id = v | CAN_EFF_FLAG;
		return 0;
	}
	return -EINVAL;
}

int parse_can_filter(const char *s, struct can_filter *f)
{
	const char *sep = strpbrk(s, ":/~");
	uint32_t id, mask;
	size_t n;
	char *end;

	if (!sep || sep == s || !sep[1])
		return -EINVAL;
	n = (size_t)(sep - s);
	if (n > 8 || hex_digits(s, n, &id) < 0)
		return -EINVAL;
	errno = 0;
	if (!isxdigit((unsigned char)sep[1]))
		return -EINVAL;
	mask = (uint32_t)strtoul(sep + 1, &end, 16);
	if (*end || errno || strlen(sep + 1) > 8)
		return -EINVAL;
	if (n == 8) {
		if (id > CAN_EFF_MASK || mask > CAN_EFF_MASK)
			return -ERANGE;
		/* Like candump: an extended id filter only matches EFF frames. */
		id |= CAN_EFF_FLAG;
		mask |= CAN_EFF_FLAG;
	} else if (id > CAN_SFF_MASK || mask > CAN_EFF_MASK) {
		return -ERANGE;
	}
	if (*sep == '~')
		id |= CAN_INV_FILTER;
	f->can_id = id;
	f->can_mask = mask;
	return 0;
}

void format_can_filter(const struct can_filter *f, char *buf, size_t len)
{
	char sep = (f->can_id & CAN_INV_FILTER) ? '~' : ':';

	if (f->can_id & CAN_EFF_FLAG)
		snprintf(buf, len, "%08X%c%08X", f->can_id & CAN_EFF_MASK, sep,
			 f->can_mask & CAN_EFF_MASK);
	else
		snprintf(buf, len, "%03X%c%X", f->can_id & CAN_SFF_MASK, sep,
			 f->can_mask & CAN_EFF_MASK);
}

static const uint8_t fd_lens[] = { 0, 1,  2,  3,  4,  5,  6,  7,
				   8, 12, 16, 20, 24, 32, 48, 64 };

static int valid_fd_len(unsigned int len)
{
	size_t i;

	for (i = 0; i < sizeof(fd_lens); i++)
		if (fd_lens[i] == len)
			return 1;
	return 0;
}

/* Hex byte pairs, optionally separated by '.', into @buf. */
static int parse_hex_bytes(const char *s, uint8_t *buf, size_t cap)
{
	size_t n = 0;

	while (*s) {
		int hi, lo;

		if (*s == '.') {
			s++;
			continue;
		}
		hi = hexval(s[0]);
		lo = hi < 0 ? -1 : hexval(s[1]);
		if (lo < 0)
			return -EINVAL;
		if (n == cap)
			return -ERANGE;
		buf[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return (int)n;
}

int parse_can_frame(const char *s, struct canfd_frame *cf, int *fd)
{
	const char *hash = strchr(s, '#');
	int n;

	memset(cf, 0, sizeof(*cf));
	*fd = 0;
	if (!hash || parse_can_id(s, (size_t)(hash - s), &cf->can_id))
		return -EINVAL;
	s = hash + 1;
	if (*s == '#') {
		int flags = hexval(s[1]);

		if (flags < 0)
			return -EINVAL;
		*fd = 1;
		cf->flags = (uint8_t)flags;
		n = parse_hex_bytes(s + 2, cf->data, CANFD_MAX_DLEN);
		if (n < 0)
			return n;
		if (!valid_fd_len((unsigned int)n))
			return -ERANGE;
		cf->len = (uint8_t)n;
		return 0;
	}
	if (*s == 'R' || *s == 'r') {
		cf->can_id |= CAN_RTR_FLAG;
		if (!s[1])
			return 0;
		if (s[2] || s[1] < '0' || s[1] > '8')
			return -EINVAL;
		cf->len = (uint8_t)(s[1] - '0');
		return 0;
	}
	n = parse_hex_bytes(s, cf->data, CAN_MAX_DLEN);
	if (n < 0)
		return n;
	cf->len = (uint8_t)n;
	return 0;
}

static int unescape(const char **sp, uint8_t *out)
{
	const char *s = *sp;
	uint32_t v;

	switch (*s) {
	case 'n':
		*out = '\n';
		break;
	case 'r':
		*out = '\r';
		break;
	case 't':
		*out = '\t';
		break;
	case '0':
		*out = '\0';
		break;
	case '\\':
		*out = '\\';
		break;
	case '"':
		*out = '"';
		break;
	case '\'':
		*out = '\'';
		break;
	case 'x':
		if (hex_digits(s + 1, 2, &v) < 0)
			return -EINVAL;
		*out = (uint8_t)v;
		s += 2;
		break;
	default:
		return -EINVAL;
	}
	*sp = s + 1;
	return 0;
}

int parse_serial_data(const char *s, uint8_t *buf, size_t cap)
{
	size_t len = strlen(s), n = 0;
	const char *end;

	if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
		end = s + len - 1;
		s++;
		while (s < end) {
			uint8_t c = (uint8_t)*s++;

			if (c == '\\' && (s >= end || unescape(&s, &c)))
				return -EINVAL;
			if (n == cap)
				return -ERANGE;
			buf[n++] = c;
		}
		return n ? (int)n : -EINVAL;
	}
	while (*s) {
		int hi, lo;

		if (*s == ' ' || *s == '.' || *s == ':') {
			s++;
			continue;
		}
		hi = hexval(s[0]);
		lo = hi < 0 ? -1 : hexval(s[1]);
		if (lo < 0)
			return -EINVAL;
		if (n == cap)
			return -ERANGE;
		buf[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return n ? (int)n : -EINVAL;
}

int parse_byte(const char *s, uint32_t *out)
{
	uint8_t c;

	if (s[0] == '\\' && s[1]) {
		const char *p = s + 1;

		if (unescape(&p, &c) || *p)
			return -EINVAL;
		*out = c;
		return 0;
	}
	return parse_u32(s, 0, 255, out);
}

void format_can_log(const struct canfd_frame *cf, int fd, char *buf, size_t len)
{
	size_t off;
	int i;

	if (cf->can_id & CAN_ERR_FLAG)
		off = (size_t)snprintf(buf, len, "%08X#",
				       cf->can_id &
					       (CAN_ERR_MASK | CAN_ERR_FLAG));
	else if (cf->can_id & CAN_EFF_FLAG)
		off = (size_t)snprintf(buf, len, "%08X#",
				       cf->can_id & CAN_EFF_MASK);
	else
		off = (size_t)snprintf(buf, len, "%03X#",
				       cf->can_id & CAN_SFF_MASK);
	if (fd) {
		off += (size_t)snprintf(buf + off, len - off, "#%X",
					cf->flags & 0xF);
	} else if (cf->can_id & CAN_RTR_FLAG) {
		if (cf->len && cf->len <= CAN_MAX_DLEN)
			snprintf(buf + off, len - off, "R%X", cf->len);
		else
			snprintf(buf + off, len - off, "R");
		return;
	}
	for (i = 0; i < cf->len && off + 3 <= len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%02X",
					cf->data[i]);
}
