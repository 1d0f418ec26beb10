// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Consumer side of the m2mgw ring.  The acquire/release pairs are the
 * ones named in include/uapi/linux/m2mgw.h, "MEMORY ORDERING".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "m2mgw_ring.h"

static int ring_map(struct m2mgw_ring *r, uint32_t size)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	void *cons, *rest;

	cons = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (cons == MAP_FAILED)
		return -errno;
	rest = mmap(NULL, pg + 2 * (size_t)size, PROT_READ, MAP_SHARED, r->fd,
		    (off_t)pg);
	if (rest == MAP_FAILED) {
		int err = -errno;

		munmap(cons, pg);
		return err;
	}
	r->cons = cons;
	r->prod = rest;
	r->data = (const uint8_t *)rest + pg;
	r->size = size;
	r->page_size = pg;
	r->owns_map = 1;
	/* The consumer page is ours alone: no ordering needed to read it. */
	r->pos = r->cons->consumer_pos;
	return 0;
}

int m2mgw_ring_open(struct m2mgw_ring *r, const char *dev, uint32_t size)
{
	struct m2mgw_ring_setup setup = { .size = size };
	int err;

	memset(r, 0, sizeof(*r));
	r->fd = open(dev ? dev : M2MGW_DEV_PATH,
		     O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (r->fd < 0)
		return -errno;
	if (ioctl(r->fd, M2MGW_IOC_RING_SETUP, &setup) < 0) {
		err = -errno;
		goto err_close;
	}
	err = ring_map(r, size);
	if (err)
		goto err_close;
	return 0;

err_close:
	close(r->fd);
	r->fd = -1;
	return err;
}

int m2mgw_ring_attach(struct m2mgw_ring *r, void *base, uint64_t size,
		      size_t page_size)
{
	if (!size || (size & (size - 1)) || !page_size)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->cons = base;
	r->prod = (const void *)((uint8_t *)base + page_size);
	r->data = (const uint8_t *)base + 2 * page_size;
	r->size = size;
	r->page_size = page_size;
	r->pos = r->cons->consumer_pos;
	return 0;
}

void m2mgw_ring_close(struct m2mgw_ring *r)
{
	if (r->owns_map) {
		munmap(r->cons, r->page_size);
		munmap((void *)r->prod, r->page_size + 2 * r->size);
	}
	if (r->fd >= 0)
		close(r->fd);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

int m2mgw_ring_subscribe(struct m2mgw_ring *r, uint32_t port_id)
{
	return ioctl(r->fd, M2MGW_IOC_SUBSCRIBE, &port_id) < 0 ? -errno : 0;
}

int m2mgw_ring_unsubscribe(struct m2mgw_ring *r, uint32_t port_id)
{
	return ioctl(r->fd, M2MGW_IOC_UNSUBSCRIBE, &port_id) < 0 ? -errno : 0;
}

int m2mgw_ring_set_wakeup(struct m2mgw_ring *r, uint32_t bytes, uint32_t usec)
{
	struct m2mgw_wakeup w = { .bytes = bytes, .usec = usec };

	return ioctl(r->fd, M2MGW_IOC_WAKEUP, &w) < 0 ? -errno : 0;
}

const struct m2mgw_rec *m2mgw_ring_peek(struct m2mgw_ring *r)
{
	const struct m2mgw_rec *rec;
	uint64_t prod;
	uint32_t len;

	for (;;) {
		/* C1: pairs with the kernel's P4 release of producer_pos. */
		prod = __atomic_load_n(&r->prod->producer_pos,
				       __ATOMIC_ACQUIRE);
		if (r->pos >= prod)
			return NULL;
		rec = (const void *)(r->data + (r->pos & (r->size - 1)));
		/* C2: pairs with P6, the release that clears BUSY. */
		len = __atomic_load_n(&rec->len, __ATOMIC_ACQUIRE);
		if (len & M2MGW_REC_BUSY)
			return NULL;
		if (!(len & M2MGW_REC_DISCARD))
			return rec;
		r->pos += m2mgw_rec_space(len & M2MGW_REC_LEN_MASK);
	}
}

void m2mgw_ring_advance(struct m2mgw_ring *r, const struct m2mgw_rec *rec)
{
	r->pos += m2mgw_rec_space(m2mgw_rec_len(rec));
}

void m2mgw_ring_release(struct m2mgw_ring *r)
{
	/*
	 * C4: pairs with the kernel's P1 acquire of consumer_pos; every read
	 * of the records before pos happens before the producer reuses them.
	 */
	__atomic_store_n(&r->cons->consumer_pos, r->pos, __ATOMIC_RELEASE);
}

int m2mgw_ring_consume(struct m2mgw_ring *r, m2mgw_rec_cb cb, void *ctx,
		       unsigned int max)
{
	const struct m2mgw_rec *rec;
	unsigned int n = 0;
	int ret = 0;

	while (!max || n < max) {
		rec = m2mgw_ring_peek(r);
		if (!rec)
			break;
		ret = cb(ctx, rec);
		if (ret)
			break;
		m2mgw_ring_advance(r, rec);
		n++;
	}
	m2mgw_ring_release(r);
	return ret < 0 ? ret : (int)n;
}

int m2mgw_ring_wait(struct m2mgw_ring *r, int timeout_ms)
{
	struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
	int n;

	if (m2mgw_ring_peek(r))
		return 1;
	/* poll() checks the record at consumer_pos: publish ours first. */
	m2mgw_ring_release(r);
	do {
		n = poll(&pfd, 1, timeout_ms);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n && (pfd.revents & (POLLERR | POLLNVAL)))
		return -EIO;
	return n;
}

uint64_t m2mgw_ring_dropped(const struct m2mgw_ring *r)
{
	return __atomic_load_n(&r->prod->dropped, __ATOMIC_RELAXED);
}

uint64_t m2mgw_ring_pending(const struct m2mgw_ring *r)
{
	return __atomic_load_n(&r->prod->producer_pos, __ATOMIC_ACQUIRE) -
	       r->pos;
}

size_t m2mgw_rec_build(void *buf, size_t cap, uint32_t port_id, uint16_t type,
		       const void *payload, uint32_t len)
{
	struct m2mgw_rec *rec = buf;
	size_t space = m2mgw_rec_space(M2MGW_REC_HDR_LEN + (size_t)len);

	if (space > cap)
		return 0;
	memset(buf, 0, space);
	rec->len = M2MGW_REC_HDR_LEN + len;
	rec->port_id = port_id;
	rec->type = type;
	memcpy(rec->data, payload, len);
	return space;
}
