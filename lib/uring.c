// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Userspace producer in the uapi ring layout (see uring.h).  The data
 * pages of the memfd are mapped twice back to back, exactly like the
 * kernel's vmap, so consumers are exercised on records that cross the end
 * of the data area.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "uring.h"

int m2mgw_uring_create(struct m2mgw_uring *u, uint64_t size)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *base;
	int err;

	if (!size || (size & (size - 1)) || size < pg)
		return -EINVAL;
	memset(u, 0, sizeof(*u));
	u->memfd = memfd_create("m2mgw-uring", MFD_CLOEXEC);
	if (u->memfd < 0)
		return -errno;
	if (ftruncate(u->memfd, (off_t)(2 * pg + size)) < 0)
		goto err_errno;
	u->map_len = 2 * pg + 2 * size;
	/* Reserve the whole range, then place both views of the data. */
	base = mmap(NULL, u->map_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	if (base == MAP_FAILED)
		goto err_errno;
	if (mmap(base, 2 * pg + size, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, u->memfd, 0) == MAP_FAILED ||
	    mmap(base + 2 * pg + size, size, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, u->memfd,
		 (off_t)(2 * pg)) == MAP_FAILED) {
		err = -errno;
		munmap(base, u->map_len);
		close(u->memfd);
		return err;
	}
	u->base = base;
	u->size = size;
	u->page_size = pg;
	u->cons = (void *)base;
	u->prod = (void *)(base + pg);
	u->data = base + 2 * pg;
	u->prod->data_size = size;
	pthread_mutex_init(&u->lock, NULL);
	return 0;

err_errno:
	err = -errno;
	close(u->memfd);
	return err;
}

void m2mgw_uring_destroy(struct m2mgw_uring *u)
{
	munmap(u->base, u->map_len);
	close(u->memfd);
	pthread_mutex_destroy(&u->lock);
}

void m2mgw_uring_commit(struct m2mgw_rec *rec, bool discard)
{
	uint32_t len = rec->len & M2MGW_REC_LEN_MASK;

	/* P6: pairs with the consumer's C2. */
	__atomic_store_n(&rec->len, len | (discard ? M2MGW_REC_DISCARD : 0),
			 __ATOMIC_RELEASE);
}

struct m2mgw_rec *m2mgw_uring_write(struct m2mgw_uring *u,
				    const struct m2mgw_rec *hdr,
				    const void *payload, uint32_t len,
				    bool commit, bool discard)
{
	uint32_t rlen = M2MGW_REC_HDR_LEN + len;
	uint64_t space = m2mgw_rec_space(rlen);
	struct m2mgw_rec *rec;
	uint64_t cons, prod;

	pthread_mutex_lock(&u->lock);
	/* P1: pairs with the consumer's C4. */
	cons = __atomic_load_n(&u->cons->consumer_pos, __ATOMIC_ACQUIRE);
	prod = u->prod->producer_pos;
	if (prod + space - cons > u->size) {
		u->prod->dropped++;
		u->prod->dropped_bytes += space;
		pthread_mutex_unlock(&u->lock);
		return NULL;
	}
	rec = (void *)(u->data + (prod & (u->size - 1)));
	/* P3 */
	__atomic_store_n(&rec->len, rlen | M2MGW_REC_BUSY, __ATOMIC_RELAXED);
	/* P4: pairs with the consumer's C1. */
	__atomic_store_n(&u->prod->producer_pos, prod + space,
			 __ATOMIC_RELEASE);
	pthread_mutex_unlock(&u->lock);

	/* P5 */
	rec->port_id = hdr->port_id;
	rec->type = hdr->type;
	rec->flags = hdr->flags;
	rec->reserved = 0;
	rec->tstamp_ns = hdr->tstamp_ns;
	rec->seq = hdr->seq;
	memcpy(rec->data, payload, len);
	memset(rec->data + len, 0, space - rlen);
	if (commit)
		m2mgw_uring_commit(rec, discard);
	return rec;
}
