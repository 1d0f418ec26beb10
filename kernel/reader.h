/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Readers of /dev/m2mgw: what the port layer calls to hand frames over.
 */
#ifndef _M2MGW_READER_H
#define _M2MGW_READER_H

#include <linux/types.h>
#include <uapi/linux/m2mgw.h>

int m2mgw_chrdev_init(void);
void m2mgw_chrdev_exit(void);

/*
 * Deliver one captured frame to every reader subscribed to hdr->port_id
 * and to every reader subscribed to all ports.  Any context; never
 * sleeps.  hdr->len must be M2MGW_REC_HDR_LEN + @payload_len; the other
 * header fields are copied as given.  Returns how many readers had no
 * room for it: the caller counts those as M2MGW_DROP_RING_FULL.
 */
unsigned int m2mgw_deliver(const struct m2mgw_rec *hdr, const void *payload,
			   u32 payload_len);

/* A port is going away: forget every subscription to it.  Sleeps. */
void m2mgw_readers_port_del(u32 port_id);

#endif /* _M2MGW_READER_H */
