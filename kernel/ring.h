/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One reader's ring: the producer side of the protocol described in
 * include/uapi/linux/m2mgw.h.
 */
#ifndef _M2MGW_RING_H
#define _M2MGW_RING_H

#include <linux/hrtimer.h>
#include <linux/mm_types.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <uapi/linux/m2mgw.h>

/*
 * Why a reader asleep in poll() or read() was woken: the why field of
 * m2mgw:ring_wakeup (kernel/trace.h).  NONE: no wakeup.
 */
enum m2mgw_wake_why {
	M2MGW_WAKE_NONE,
	M2MGW_WAKE_IMMEDIATE,
	M2MGW_WAKE_BYTES,
	M2MGW_WAKE_TIMER,
	M2MGW_WAKE_SETTING,
};

struct m2mgw_ring {
	/* Serialises producers' reservations; see m2mgw_ring_write(). */
	spinlock_t lock;
	u64 mask;
	unsigned long nr_pages;
	struct page **pages;
	void *vaddr;
	struct m2mgw_ring_consumer *cons;
	struct m2mgw_ring_producer *prod;
	u8 *data;
	/* The reader's poll()/read() waiters, woken by producers and timer. */
	wait_queue_head_t *wait;
	/* Who owns the ring, as m2mgw:ring_wakeup names it; never read. */
	const void *reader;
	/*
	 * Wakeup batching (M2MGW_IOC_WAKEUP), read locklessly by producers:
	 * wake_bytes 0 is the default (wake per caught-up record).
	 */
	u32 wake_bytes;
	u64 wake_ns;
	/* Records before due_pos have waited wake_ns: W3.  Timer-written. */
	u64 due_pos;
	/* Bit 0: timer armed; set by whoever arms it, cleared when it fires. */
	unsigned long timer_armed;
	struct hrtimer timer;
};

struct m2mgw_ring *m2mgw_ring_alloc(u32 size, wait_queue_head_t *wait,
				    const void *reader);
void m2mgw_ring_free(struct m2mgw_ring *ring);

int m2mgw_ring_write(struct m2mgw_ring *ring, const struct m2mgw_rec *hdr,
		     const void *payload, u32 payload_len);
int m2mgw_ring_readable(struct m2mgw_ring *ring);
int m2mgw_ring_set_wakeup(struct m2mgw_ring *ring,
			  const struct m2mgw_wakeup *w);
u32 m2mgw_ring_fill(struct m2mgw_ring *ring);
ssize_t m2mgw_ring_read(struct m2mgw_ring *ring, char __user *buf,
			size_t count);
int m2mgw_ring_mmap(struct m2mgw_ring *ring, struct vm_area_struct *vma);

#endif /* _M2MGW_RING_H */
