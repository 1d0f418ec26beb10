// SPDX-License-Identifier: GPL-2.0
/*
 * candump -L line parser of the replay source: the input is one line
 * (NUL-terminated here, as fgets() gives it).  An accepted line must
 * give a well-formed CAN or CAN FD record with an id a bus can carry.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "candump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t recbuf[CANDUMP_REC_MAX] __attribute__((aligned(8)));
	struct m2mgw_rec *rec = (struct m2mgw_rec *)recbuf;
	const struct canfd_frame *cf =
		(const struct canfd_frame *)(recbuf + M2MGW_REC_HDR_LEN);
	char ifname[IFNAMSIZ], *line = malloc(size + 1);
	double t;

	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (!candump_parse(line, rec, ifname, &t)) {
		if (strlen(ifname) >= IFNAMSIZ || rec->len > CANDUMP_REC_MAX ||
		    cf->len > (rec->type == M2MGW_REC_CANFD ? CANFD_MAX_DLEN :
							      CAN_MAX_DLEN))
			__builtin_trap();
		/* An id the bus can carry: 11 bits, or 29 with the EFF flag
		 * (error frames carry their class bits instead). */
		if (!(cf->can_id & CAN_ERR_FLAG) &&
		    (cf->can_id & CAN_EFF_FLAG ?
			     cf->can_id & ~CAN_EFF_MASK & ~CAN_EFF_FLAG &
				     ~CAN_RTR_FLAG :
			     cf->can_id & ~CAN_SFF_MASK & ~CAN_RTR_FLAG))
			__builtin_trap();
	}
	free(line);
	return 0;
}
