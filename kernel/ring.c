// SPDX-License-Identifier: GPL-2.0
/*
 * The per-reader ring: single copy from the capture path into pages that
 * the reader has mapped.  The protocol, its layout and its memory
 * ordering are specified in include/uapi/linux/m2mgw.h; the P and C
 * labels in the comments below are the steps named there.
 */

#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "ring.h"
#include "trace.h"

#define M2MGW_RING_META_PAGES  2
#define M2MGW_RING_TIMER_ARMED 0

static enum hrtimer_restart m2mgw_ring_timer(struct hrtimer *t);

/*
 * The ring's pages are vmap()ed into one kernel range, and the same
 * range is what userspace maps (remap_vmalloc_range()):
 *
 *   vaddr
 *   |
 *   v
 *   +----------+----------+-------------------+-------------------+
 *   | consumer | producer | data page 0 .. N-1| data page 0 .. N-1|
 *   +----------+----------+-------------------+-------------------+
 *     pages[0]   pages[1]   pages[2 .. N+1]     pages[2 .. N+1] again
 *
 * Mapping the N data pages twice, back to back, makes a record that
 * starts near the end of the data area continue into the alias of its
 * beginning, so neither side ever splits a record at the wrap.
 */
struct m2mgw_ring *m2mgw_ring_alloc(u32 size, wait_queue_head_t *wait,
				    const void *reader)
{
	unsigned long nr_data, nr_pages, i;
	struct m2mgw_ring *ring;
	struct page **map;

	if (size < M2MGW_RING_MIN || size > M2MGW_RING_MAX ||
	    size < PAGE_SIZE || !is_power_of_2(size))
		return ERR_PTR(-EINVAL);

	ring = kzalloc(sizeof(*ring), GFP_KERNEL_ACCOUNT);
	if (!ring)
		return ERR_PTR(-ENOMEM);
	spin_lock_init(&ring->lock);
	ring->mask = size - 1;
	ring->wait = wait;
	ring->reader = reader;
	hrtimer_init(&ring->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	ring->timer.function = m2mgw_ring_timer;

	nr_data = size >> PAGE_SHIFT;
	nr_pages = M2MGW_RING_META_PAGES + nr_data;
	/* The map array lists every data page twice: see above. */
	map = kvmalloc_array(nr_pages + nr_data, sizeof(*map),
			     GFP_KERNEL_ACCOUNT);
	if (!map)
		goto err_ring;
	ring->pages = map;

	for (i = 0; i < nr_pages; i++) {
		/* Zeroed: no kernel memory ever reaches the reader. */
		map[i] = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO |
				    __GFP_NOWARN);
		if (!map[i])
			goto err_pages;
		ring->nr_pages = i + 1;
	}
	for (i = 0; i < nr_data; i++)
		map[nr_pages + i] = map[M2MGW_RING_META_PAGES + i];

	ring->vaddr =
		vmap(map, nr_pages + nr_data, VM_MAP | VM_USERMAP, PAGE_KERNEL);
	if (!ring->vaddr)
		goto err_pages;

	ring->cons = ring->vaddr;
	ring->prod = ring->vaddr + PAGE_SIZE;
	ring->data = ring->vaddr + M2MGW_RING_META_PAGES * PAGE_SIZE;
	ring->prod->data_size = size;
	return ring;

err_pages:
	for (i = 0; i < ring->nr_pages; i++)
		__free_page(map[i]);
	kvfree(map);
err_ring:
	kfree(ring);
	return ERR_PTR(-ENOMEM);
}

void m2mgw_ring_free(struct m2mgw_ring *ring)
{
	unsigned long i;

	if (!ring)
		return;
	/*
	 * No producer can arm the timer any more (the caller waited for
	 * them), and no poll() or read() runs: this is the last arming.
	 */
	hrtimer_cancel(&ring->timer);
	vunmap(ring->vaddr);
	for (i = 0; i < ring->nr_pages; i++)
		__free_page(ring->pages[i]);
	kvfree(ring->pages);
	kfree(ring);
}

static u64 m2mgw_ring_size(const struct m2mgw_ring *ring)
{
	return ring->mask + 1;
}

/*
 * Check the consumer position userspace left us.  Returns the aligned
 * record at @cons, or NULL when the position cannot be a record boundary
 * (then the reader broke the protocol: report an error, never read
 * outside the ring).
 */
static struct m2mgw_rec *m2mgw_ring_at(struct m2mgw_ring *ring, u64 cons,
				       u64 prod)
{
	if ((cons & (M2MGW_REC_ALIGN - 1)) || cons > prod ||
	    prod - cons > m2mgw_ring_size(ring))
		return NULL;
	return (struct m2mgw_rec *)(ring->data + (cons & ring->mask));
}

/*
 * The committed record at consumer_pos, the oldest one the reader has
 * not consumed, or NULL.  For the timer's choice to wake, and for the
 * fields of m2mgw:ring_wakeup: were the reader consuming while it is
 * woken, a producer could rewrite the record as the event reads it and
 * show torn fields there; never anything outside the ring.
 */
static const struct m2mgw_rec *m2mgw_ring_oldest(struct m2mgw_ring *ring)
{
	u64 cons = READ_ONCE(ring->cons->consumer_pos);
	/* Pairs with P4, as C1 does. */
	u64 prod = smp_load_acquire(&ring->prod->producer_pos);
	struct m2mgw_rec *rec;
	u32 len;

	if (cons == prod)
		return NULL;
	rec = m2mgw_ring_at(ring, cons, prod);
	if (!rec)
		return NULL;
	/* Pairs with P6, as C2 does. */
	len = smp_load_acquire(&rec->len);
	return len & M2MGW_REC_BUSY ? NULL : rec;
}

/*
 * Every wakeup of the reader goes through here, so m2mgw:ring_wakeup
 * fires once per wakeup, with @why.  @rec is the record whose commit
 * wakes it, or NULL (then the event names the oldest pending record).
 * Any context: producers in softirq or process context, the timer in
 * hardirq.
 */
static void m2mgw_ring_wake(struct m2mgw_ring *ring, enum m2mgw_wake_why why,
			    const struct m2mgw_rec *rec)
{
	/*
	 * wq_has_sleeper()'s smp_mb() pairs with the one at the top of
	 * m2mgw_ring_readable(), which poll() and read() run after
	 * poll_wait() or prepare_to_wait() queued them: either they see
	 * what we published before calling here, or we see them queued and
	 * wake them.  A reader busy consuming costs no wakeup at all.
	 */
	if (!wq_has_sleeper(ring->wait))
		return;
	if (trace_ring_wakeup_enabled()) {
		if (!rec)
			rec = m2mgw_ring_oldest(ring);
		trace_ring_wakeup(ring->reader, why, rec);
	}
	wake_up_interruptible_poll(ring->wait, EPOLLIN | EPOLLRDNORM);
}

/*
 * Wakeup batching (uapi "WAKEUP BATCHING", W1..W3).  The W3 clock is an
 * hrtimer armed at most once at a time: whoever sets the armed bit starts
 * it, the callback clears the bit and then marks everything reserved so
 * far as due.
 */
static void m2mgw_ring_arm(struct m2mgw_ring *ring)
{
	/*
	 * Fully ordered, and pairs with the smp_mb__after_atomic() in
	 * m2mgw_ring_timer(): a producer that finds the timer armed has
	 * published its reservation (P4) before, so the firing timer's load
	 * of producer_pos covers its record, or the bit was clear and the
	 * producer arms a new timer.
	 */
	if (!test_and_set_bit(M2MGW_RING_TIMER_ARMED, &ring->timer_armed))
		hrtimer_start(&ring->timer,
			      ns_to_ktime(READ_ONCE(ring->wake_ns)),
			      HRTIMER_MODE_REL);
}

static enum hrtimer_restart m2mgw_ring_timer(struct hrtimer *t)
{
	struct m2mgw_ring *ring = container_of(t, struct m2mgw_ring, timer);
	const struct m2mgw_rec *rec;

	clear_bit(M2MGW_RING_TIMER_ARMED, &ring->timer_armed);
	/* Pairs with the test_and_set_bit() in m2mgw_ring_arm(). */
	smp_mb__after_atomic();
	/* Only this callback writes due_pos; see m2mgw_ring_due(). */
	WRITE_ONCE(ring->due_pos, smp_load_acquire(&ring->prod->producer_pos));
	/*
	 * Pairs with the smp_mb() after P6 in m2mgw_ring_write(): either we
	 * see the record at consumer_pos committed, or its producer sees
	 * due_pos and wakes the reader for W3 itself.  The reader we are
	 * for (its poll() or read() found that record committed and armed
	 * us, or saw us armed) has its consumer_pos published before the
	 * arming; one that has consumed everything since, or whose record
	 * is still BUSY, has nothing to wake for: no spurious wakeup.
	 */
	smp_mb();
	rec = m2mgw_ring_oldest(ring);
	if (rec)
		m2mgw_ring_wake(ring, M2MGW_WAKE_TIMER, rec);
	return HRTIMER_NORESTART;
}

/* W3: the record at @cons has waited its bound (@cons is untrusted). */
static bool m2mgw_ring_due(struct m2mgw_ring *ring, u64 cons)
{
	return (s64)(READ_ONCE(ring->due_pos) - cons) > 0;
}

/*
 * Should the commit of the @space bytes at @prod wake a batching reader
 * (watermark @wm), and for which reason?  Only at a transition: this is
 * the record the reader waits on (W1) and W2 or W3 holds already (W3:
 * the timer fired while the record was still BUSY), else its W3 clock
 * starts now; or its reservation took the pending bytes across the
 * watermark (W2; if the record at @cons is still BUSY, its own commit
 * re-checks).  A bogus consumer_pos only costs spurious wakeups.
 */
static enum m2mgw_wake_why m2mgw_ring_batch_wake(struct m2mgw_ring *ring,
						 u64 cons, u64 prod, u64 space,
						 u32 wm)
{
	if (cons == prod) {
		if (READ_ONCE(ring->prod->producer_pos) - cons >= wm)
			return M2MGW_WAKE_BYTES;
		if (m2mgw_ring_due(ring, cons))
			return M2MGW_WAKE_TIMER;
		m2mgw_ring_arm(ring);
		return M2MGW_WAKE_NONE;
	}
	if (prod - cons < wm && prod + space - cons >= wm)
		return M2MGW_WAKE_BYTES;
	return M2MGW_WAKE_NONE;
}

/**
 * m2mgw_ring_set_wakeup() - set the wakeup watermark and latency bound.
 * @ring: the ring.
 * @w: as M2MGW_IOC_WAKEUP takes it.
 *
 * The caller serialises calls.  Producers read the two fields without
 * a lock: one that sees a new watermark with the old bound arms a timer
 * of the old bound, which only changes when one wakeup comes.
 *
 * Return: 0 or -EINVAL.
 */
int m2mgw_ring_set_wakeup(struct m2mgw_ring *ring, const struct m2mgw_wakeup *w)
{
	if (!w->bytes != !w->usec || w->usec > M2MGW_WAKEUP_USEC_MAX ||
	    w->bytes > m2mgw_ring_size(ring) / 2)
		return -EINVAL;
	WRITE_ONCE(ring->wake_ns, (u64)w->usec * NSEC_PER_USEC);
	WRITE_ONCE(ring->wake_bytes, w->bytes);
	/*
	 * A sleeper may be readable under the new setting: wake it if so.
	 * The smp_mb() at the top of m2mgw_ring_readable() orders the
	 * stores above before m2mgw_ring_wake()'s check for sleepers, and
	 * pairs with the one a sleeper runs there after queueing itself:
	 * it saw the new setting, or we see it queued.  Unreadable under
	 * the new setting, a committed record starts its W3 clock here.
	 */
	if (m2mgw_ring_readable(ring))
		m2mgw_ring_wake(ring, M2MGW_WAKE_SETTING, NULL);
	return 0;
}

/**
 * m2mgw_ring_write() - copy one record into the ring.
 * @ring: the reader's ring.
 * @hdr: record header; len, port_id, type, flags, tstamp_ns, seq are used.
 * @payload: the frame.
 * @payload_len: its length; hdr->len == M2MGW_REC_HDR_LEN + @payload_len.
 *
 * Wakes the reader, if it sleeps in poll() or read(), when this record
 * may have made the ring readable: by default, when the reader had
 * consumed everything before it; with wakeup batching, see
 * m2mgw_ring_batch_wake().
 *
 * Any context.  The reservation is made under ring->lock; the copy and
 * the commit are not, so producers on several CPUs fill their records in
 * parallel.
 *
 * Return: 0, or -ENOSPC when the ring is full (the drop is counted in
 * the producer page).
 */
int m2mgw_ring_write(struct m2mgw_ring *ring, const struct m2mgw_rec *hdr,
		     const void *payload, u32 payload_len)
{
	u32 len = M2MGW_REC_HDR_LEN + payload_len;
	u64 space = ALIGN(len, M2MGW_REC_ALIGN);
	enum m2mgw_wake_why why;
	struct m2mgw_rec *rec;
	unsigned long flags;
	u64 cons, prod;
	u32 wm;

	spin_lock_irqsave(&ring->lock, flags);
	/*
	 * P1: pairs with the consumer's release of consumer_pos (C4): the
	 * reader is done with everything before cons, so it may be reused.
	 * consumer_pos is written by userspace and may be anything; it is
	 * used only to decide whether there is room, never as an address.
	 */
	cons = smp_load_acquire(&ring->cons->consumer_pos);
	prod = ring->prod->producer_pos;
	if (unlikely(prod + space - cons > m2mgw_ring_size(ring))) {
		/* Racy readers of these see a value that only grows. */
		WRITE_ONCE(ring->prod->dropped, ring->prod->dropped + 1);
		WRITE_ONCE(ring->prod->dropped_bytes,
			   ring->prod->dropped_bytes + space);
		spin_unlock_irqrestore(&ring->lock, flags);
		return -ENOSPC;
	}
	rec = (struct m2mgw_rec *)(ring->data + (prod & ring->mask));
	/* P3: stale bytes from the previous lap must never look committed. */
	WRITE_ONCE(rec->len, len | M2MGW_REC_BUSY);
	/* P4: pairs with C1; the BUSY length is visible before the space. */
	smp_store_release(&ring->prod->producer_pos, prod + space);
	spin_unlock_irqrestore(&ring->lock, flags);

	/* P5 */
	rec->port_id = hdr->port_id;
	rec->type = hdr->type;
	rec->flags = hdr->flags;
	rec->reserved = 0;
	rec->tstamp_ns = hdr->tstamp_ns;
	rec->seq = hdr->seq;
	memcpy(rec->data, payload, payload_len);
	memset(rec->data + payload_len, 0, space - len);

	/* P6: pairs with C2; the record is complete before BUSY clears. */
	smp_store_release(&rec->len, len);

	/*
	 * Pairs with the smp_mb() in m2mgw_ring_readable(): either the
	 * reader sees this commit there, or we see its consumer_pos here
	 * and wake it.  A reader that has not caught up with this record
	 * is awake already (or will be woken by the record it waits on).
	 */
	smp_mb();
	cons = READ_ONCE(ring->cons->consumer_pos);
	wm = READ_ONCE(ring->wake_bytes);
	if (likely(!wm))
		why = cons == prod ? M2MGW_WAKE_IMMEDIATE : M2MGW_WAKE_NONE;
	else
		why = m2mgw_ring_batch_wake(ring, cons, prod, space, wm);
	if (why != M2MGW_WAKE_NONE)
		m2mgw_ring_wake(ring, why, hdr);
	return 0;
}

/**
 * m2mgw_ring_fill() - how full the ring is, in per mille (for tracing).
 * @ring: the ring.
 *
 * Racy by design: a snapshot of two positions that move independently,
 * clamped to the ring size.
 */
u32 m2mgw_ring_fill(struct m2mgw_ring *ring)
{
	u64 used = READ_ONCE(ring->prod->producer_pos) -
		   READ_ONCE(ring->cons->consumer_pos);

	return min_t(u64, used, m2mgw_ring_size(ring)) * 1000 >>
	       ilog2(m2mgw_ring_size(ring));
}

/**
 * m2mgw_ring_readable() - should poll() report the ring readable?
 * @ring: the ring.
 *
 * By default: is the record at consumer_pos committed?  With wakeup
 * batching also W2 or W3; a committed record that satisfies neither
 * starts the W3 clock, so it is reported within the bound.
 *
 * Return: 1 if a record can be consumed, 0 if not, -EINVAL if
 * consumer_pos is not a position the producer could have written.
 */
int m2mgw_ring_readable(struct m2mgw_ring *ring)
{
	struct m2mgw_rec *rec;
	u64 cons, prod;
	u32 wm;

	/*
	 * Pairs with the smp_mb() at the end of m2mgw_ring_write(): the
	 * reader's store of consumer_pos, made before it entered poll() on
	 * this CPU, is ordered before our load of the record's length.
	 */
	smp_mb();
	cons = READ_ONCE(ring->cons->consumer_pos);
	/* Pairs with P4, as C1 does. */
	prod = smp_load_acquire(&ring->prod->producer_pos);
	if (cons == prod)
		return 0;
	rec = m2mgw_ring_at(ring, cons, prod);
	if (!rec)
		return -EINVAL;
	/* Pairs with P6, as C2 does. */
	if (smp_load_acquire(&rec->len) & M2MGW_REC_BUSY)
		return 0;
	wm = READ_ONCE(ring->wake_bytes);
	if (likely(!wm) || prod - cons >= wm || m2mgw_ring_due(ring, cons))
		return 1;
	m2mgw_ring_arm(ring);
	return 0;
}

/**
 * m2mgw_ring_read() - copy whole committed records to userspace.
 * @ring: the ring.
 * @buf: user buffer.
 * @count: its size.
 *
 * The read() fallback consumes exactly as an mmap reader would (C1..C4).
 * Records are copied with their padding, so the buffer is walked the same
 * way as the ring.  The caller serialises read() calls.
 *
 * Return: bytes copied; 0 when nothing is committed; -EINVAL when @count
 * cannot hold the next record or consumer_pos is corrupt; -EFAULT.
 */
ssize_t m2mgw_ring_read(struct m2mgw_ring *ring, char __user *buf, size_t count)
{
	struct m2mgw_rec *rec;
	u64 cons, prod, space;
	size_t done = 0;
	u32 len;

	cons = READ_ONCE(ring->cons->consumer_pos);
	/* C1: pairs with P4. */
	prod = smp_load_acquire(&ring->prod->producer_pos);
	while (cons != prod) {
		rec = m2mgw_ring_at(ring, cons, prod);
		if (!rec)
			return done ? done : -EINVAL;
		/* C2: pairs with P6. */
		len = smp_load_acquire(&rec->len);
		if (len & M2MGW_REC_BUSY)
			break;
		space = ALIGN(len & M2MGW_REC_LEN_MASK, M2MGW_REC_ALIGN);
		if (unlikely(space > prod - cons || space < M2MGW_REC_HDR_LEN))
			return done ? done : -EINVAL;
		if (!(len & M2MGW_REC_DISCARD)) {
			if (space > count - done) {
				if (!done)
					return -EINVAL;
				break;
			}
			if (copy_to_user(buf + done, rec, space))
				return done ? done : -EFAULT;
			done += space;
		}
		cons += space;
		/* C4: pairs with P1; we are done reading this record. */
		smp_store_release(&ring->cons->consumer_pos, cons);
	}
	return done;
}

/**
 * m2mgw_ring_mmap() - map the consumer page, or the producer page + data.
 * @ring: the ring.
 * @vma: exactly one of the two areas the uapi header describes.
 *
 * Return: 0, -EINVAL for another offset or size, -EPERM for a writable
 * mapping of the producer page or data.
 */
int m2mgw_ring_mmap(struct m2mgw_ring *ring, struct vm_area_struct *vma)
{
	unsigned long len = vma->vm_end - vma->vm_start;
	u64 size = m2mgw_ring_size(ring);

	switch (vma->vm_pgoff) {
	case 0:
		if (len != PAGE_SIZE)
			return -EINVAL;
		break;
	case 1:
		if (len != PAGE_SIZE + 2 * size)
			return -EINVAL;
		if (vma->vm_flags & VM_WRITE)
			return -EPERM;
		/* Nor may mprotect() make it writable later. */
		m2mgw_vm_flags_clear(vma, VM_MAYWRITE);
		break;
	default:
		return -EINVAL;
	}
	return remap_vmalloc_range(vma, ring->vaddr, vma->vm_pgoff);
}
