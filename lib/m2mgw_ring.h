/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * libm2mgw ring consumer: the one implementation of the consumer side of
 * the m2mgw ring protocol (include/uapi/linux/m2mgw.h, "MEMORY
 * ORDERING").  The CLI, the agent, the tests and the benchmarks all
 * consume through it.
 */
#ifndef M2MGW_RING_H
#define M2MGW_RING_H

#include <stddef.h>
#include <stdint.h>
#include <linux/can.h>
#include <linux/m2mgw.h>

#define M2MGW_DEV_PATH "/dev/m2mgw"

/**
 * struct m2mgw_ring - a mapped ring.
 * @fd: the /dev/m2mgw file, or -1 for a ring attached to plain memory.
 * @cons: consumer page (read-write).
 * @prod: producer page (read-only).
 * @data: data area, mapped twice back to back.
 * @size: data area size S.
 * @pos: local consumer position, published to @cons by
 *	m2mgw_ring_release().
 */
struct m2mgw_ring {
	int fd;
	struct m2mgw_ring_consumer *cons;
	const struct m2mgw_ring_producer *prod;
	const uint8_t *data;
	uint64_t size;
	uint64_t pos;
	size_t page_size;
	int owns_map;
};

/*
 * Open @dev (NULL: /dev/m2mgw) non-blocking, set up a ring of @size
 * bytes and map it.  Returns 0 or a negative errno.
 */
int m2mgw_ring_open(struct m2mgw_ring *r, const char *dev, uint32_t size);

/*
 * Use memory laid out like the mmap of a ring (consumer page, producer
 * page, data mapped twice) as a ring: for producers in userspace such as
 * benchmarks and tests.  @base must stay mapped until close.
 */
int m2mgw_ring_attach(struct m2mgw_ring *r, void *base, uint64_t size,
		      size_t page_size);

void m2mgw_ring_close(struct m2mgw_ring *r);

int m2mgw_ring_subscribe(struct m2mgw_ring *r, uint32_t port_id);
int m2mgw_ring_unsubscribe(struct m2mgw_ring *r, uint32_t port_id);

/*
 * Wakeup batching (M2MGW_IOC_WAKEUP): poll() and m2mgw_ring_wait()
 * report the ring readable once @bytes are pending or a record has
 * waited @usec.  (0, 0): one wakeup per record that finds the reader
 * caught up (the default).  Returns 0 or a negative errno (-EINVAL for
 * values the uapi header refuses).
 */
int m2mgw_ring_set_wakeup(struct m2mgw_ring *r, uint32_t bytes, uint32_t usec);

/*
 * The next committed record, or NULL when the ring is empty or the next
 * record is still being written (wait for POLLIN then).  DISCARD records
 * are skipped.  The record stays valid until m2mgw_ring_release().
 */
const struct m2mgw_rec *m2mgw_ring_peek(struct m2mgw_ring *r);

/* Move past the record m2mgw_ring_peek() returned (local only). */
void m2mgw_ring_advance(struct m2mgw_ring *r, const struct m2mgw_rec *rec);

/* Publish the local position so the producer can reuse the space. */
void m2mgw_ring_release(struct m2mgw_ring *r);

typedef int (*m2mgw_rec_cb)(void *ctx, const struct m2mgw_rec *rec);

/*
 * Call @cb for up to @max committed records (0: no limit), releasing the
 * space once at the end of the batch.  Stops early when @cb returns
 * nonzero; that record is not consumed.  Returns the number of records
 * consumed, or @cb's negative return.
 */
int m2mgw_ring_consume(struct m2mgw_ring *r, m2mgw_rec_cb cb, void *ctx,
		       unsigned int max);

/* Block in poll() up to @timeout_ms (-1: forever) for a record. */
int m2mgw_ring_wait(struct m2mgw_ring *r, int timeout_ms);

/* Records this reader lost because the ring was full. */
uint64_t m2mgw_ring_dropped(const struct m2mgw_ring *r);

/* Bytes waiting to be consumed. */
uint64_t m2mgw_ring_pending(const struct m2mgw_ring *r);

static inline uint32_t m2mgw_rec_len(const struct m2mgw_rec *rec)
{
	return rec->len & M2MGW_REC_LEN_MASK;
}

static inline uint32_t m2mgw_rec_payload_len(const struct m2mgw_rec *rec)
{
	return m2mgw_rec_len(rec) - M2MGW_REC_HDR_LEN;
}

static inline size_t m2mgw_rec_space(size_t len)
{
	return (len + M2MGW_REC_ALIGN - 1) & ~(size_t)(M2MGW_REC_ALIGN - 1);
}

/*
 * Build a TX record for write() at @buf: @payload of @len bytes for
 * @port_id with @type.  Returns the padded size used, or 0 if it does not
 * fit in @cap.
 */
size_t m2mgw_rec_build(void *buf, size_t cap, uint32_t port_id, uint16_t type,
		       const void *payload, uint32_t len);

#endif /* M2MGW_RING_H */
