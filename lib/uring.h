/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * A ring in the uapi layout produced from userspace, on a memfd: the
 * stand-in for the kernel in host tests of consumers and in the agent
 * benchmark.  The producer follows the same P1..P6 steps as
 * kernel/ring.c, with a mutex for the reservation.
 */
#ifndef M2MGW_URING_H
#define M2MGW_URING_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "m2mgw_ring.h"

struct m2mgw_uring {
	int memfd;
	void *base; /* consumer page, producer page, data x 2 */
	size_t map_len;
	uint64_t size;
	size_t page_size;
	pthread_mutex_t lock;
	struct m2mgw_ring_consumer *cons;
	struct m2mgw_ring_producer *prod;
	uint8_t *data;
};

int m2mgw_uring_create(struct m2mgw_uring *u, uint64_t size);
void m2mgw_uring_destroy(struct m2mgw_uring *u);

/*
 * Reserve, fill and commit one record.  @commit false leaves it BUSY
 * (m2mgw_uring_commit() finishes it); @discard marks it DISCARD.
 * Returns the record, or NULL when the ring is full (counted as a drop).
 */
struct m2mgw_rec *m2mgw_uring_write(struct m2mgw_uring *u,
				    const struct m2mgw_rec *hdr,
				    const void *payload, uint32_t len,
				    bool commit, bool discard);
void m2mgw_uring_commit(struct m2mgw_rec *rec, bool discard);

#endif /* M2MGW_URING_H */
