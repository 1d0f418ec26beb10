// SPDX-License-Identifier: GPL-2.0
/* The candump -L line parser; see candump.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "candump.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int candump_parse(const char *line, struct m2mgw_rec *rec,
		  char ifname_out[IFNAMSIZ], double *t)
{
	char ifname[IFNAMSIZ + 1], frame[300], *hash, *p;
	struct canfd_frame *cf =
		(struct canfd_frame *)((uint8_t *)rec + M2MGW_REC_HDR_LEN);
	unsigned long long sec, usec;
	unsigned long id;
	int idlen, n;
	bool fd = false;

	if (sscanf(line, " (%llu.%llu) %16s %299s", &sec, &usec, ifname,
		   frame) != 4 ||
	    strlen(ifname) >= IFNAMSIZ)
		return -EINVAL;
	hash = strchr(frame, '#');
	if (!hash)
		return -EINVAL;
	idlen = (int)(hash - frame);
	*hash = '\0';
	/* Hex digits only (strtoul() would take a sign), and an id the bus
	 * can carry: 3 digits are 11 bits, 8 digits 29 bits unless it is
	 * an error frame (CAN_ERR_FLAG and the error class bits). */
	if ((idlen != 3 && idlen != 8) ||
	    strspn(frame, "0123456789abcdefABCDEF") != (size_t)idlen)
		return -EINVAL;
	id = strtoul(frame, &p, 16);
	if (idlen == 3 ? id > CAN_SFF_MASK :
			 !(id & CAN_ERR_FLAG) && id > CAN_EFF_MASK)
		return -EINVAL;
	memset(rec, 0, CANDUMP_REC_MAX);
	cf->can_id = (canid_t)id;
	if (idlen == 8 && !(id & CAN_ERR_FLAG))
		cf->can_id |= CAN_EFF_FLAG;
	p = hash + 1;
	if (*p == '#') {
		fd = true;
		if (hexval(p[1]) < 0)
			return -EINVAL;
		cf->flags = (uint8_t)hexval(p[1]);
		p += 2;
	} else if (*p == 'R') {
		cf->can_id |= CAN_RTR_FLAG;
		p = p + strlen(p);
	}
	for (n = 0; *p; n++, p += 2) {
		if (*p == '.')
			p++;
		int hi = hexval(p[0]), lo = hi < 0 ? -1 : hexval(p[1]);

		if (n >= (fd ? CANFD_MAX_DLEN : CAN_MAX_DLEN) || hi < 0 ||
		    lo < 0)
			return -EINVAL;
		cf->data[n] = (uint8_t)(hi << 4 | lo);
	}
	cf->len = (uint8_t)n;
	rec->type = fd ? M2MGW_REC_CANFD : M2MGW_REC_CAN;
	rec->len = M2MGW_REC_HDR_LEN + (fd ? CANFD_MTU : CAN_MTU);
	rec->flags = M2MGW_RECF_TS_SKB;
	rec->tstamp_ns = sec * 1000000000ull + usec * 1000ull;
	strcpy(ifname_out, ifname);
	*t = (double)sec + (double)usec / 1e6;
	return 0;
}
