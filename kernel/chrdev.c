// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/m2mgw: every open file is a reader with its own ring, subscribed
 * to ports by id.  Subscriptions live in a small hash keyed by port id so
 * the capture path finds a port's readers under RCU without touching any
 * lock but the rings' own.
 */

#include <linux/fs.h>
#include <linux/hash.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "port.h"
#include "reader.h"
#include "ring.h"
#include "trace.h"

#define M2MGW_SUB_HASH_BITS 8

struct m2mgw_reader {
	/* Serialises ring setup and read() of this file. */
	struct mutex lock;
	/* Set once by RING_SETUP, before the reader is on any list. */
	struct m2mgw_ring *ring;
	wait_queue_head_t wait;
	/* Subscribed to every port: its one sub is on m2mgw_all_subs. */
	bool all;
	/* Its struct m2mgw_sub entries, under m2mgw_subs_lock. */
	struct list_head subs;
	struct rcu_work free_work;
};

/*
 * A subscription: to one port, in its m2mgw_sub_hash chain, or to all
 * (port_id M2MGW_PORT_ALL), on m2mgw_all_subs.  Each is a new allocation
 * freed after a grace period, never re-linked while producers may still
 * be walking it: a node taken off an RCU list and put back at once would
 * send a walker standing on it to its new neighbours, past readers it
 * has not served yet.
 */
struct m2mgw_sub {
	struct hlist_node hash_node;  /* RCU, in m2mgw_sub_hash or _all_subs */
	struct list_head reader_node; /* in reader->subs */
	struct m2mgw_reader *reader;
	u32 port_id;
	struct rcu_head rcu;
};

/* Protects all subscription lists and hash chains against each other. */
static DEFINE_MUTEX(m2mgw_subs_lock);
static struct hlist_head m2mgw_sub_hash[1 << M2MGW_SUB_HASH_BITS];
static HLIST_HEAD(m2mgw_all_subs);
static struct workqueue_struct *m2mgw_free_wq;

static struct hlist_head *m2mgw_sub_head(u32 port_id)
{
	return &m2mgw_sub_hash[hash_32(port_id, M2MGW_SUB_HASH_BITS)];
}

static unsigned int m2mgw_reader_push(struct m2mgw_reader *reader,
				      const struct m2mgw_rec *hdr,
				      const void *payload, u32 payload_len)
{
	/* The ring wakes the reader (and traces it) when it should. */
	if (m2mgw_ring_write(reader->ring, hdr, payload, payload_len))
		return 1;
	return 0;
}

/* For tracing only: the CAN id of a CAN record's payload, else 0. */
static u32 m2mgw_rec_can_id(const struct m2mgw_rec *hdr, const void *payload,
			    u32 payload_len)
{
	u32 id;

	if (hdr->type == M2MGW_REC_SERIAL || payload_len < sizeof(id))
		return 0;
	/* can_id, or the priority id of CAN XL, leads every CAN payload. */
	memcpy(&id, payload, sizeof(id));
	return id;
}

static void m2mgw_trace_rx(const struct m2mgw_rec *hdr, const void *payload,
			   u32 payload_len, unsigned int full)
{
	unsigned int readers = 0;
	struct m2mgw_sub *sub;
	u32 fill = 0;

	/* Under the caller's rcu_read_lock(). */
	hlist_for_each_entry_rcu(sub, m2mgw_sub_head(hdr->port_id), hash_node)
		if (sub->port_id == hdr->port_id) {
			fill = max(fill, m2mgw_ring_fill(sub->reader->ring));
			readers++;
		}
	hlist_for_each_entry_rcu(sub, &m2mgw_all_subs, hash_node) {
		fill = max(fill, m2mgw_ring_fill(sub->reader->ring));
		readers++;
	}
	trace_rx(hdr, m2mgw_rec_can_id(hdr, payload, payload_len), readers,
		 full, fill);
}

unsigned int m2mgw_deliver(const struct m2mgw_rec *hdr, const void *payload,
			   u32 payload_len)
{
	unsigned int full = 0;
	struct m2mgw_sub *sub;

	rcu_read_lock();
	hlist_for_each_entry_rcu(sub, m2mgw_sub_head(hdr->port_id), hash_node)
		if (sub->port_id == hdr->port_id)
			full += m2mgw_reader_push(sub->reader, hdr, payload,
						  payload_len);
	hlist_for_each_entry_rcu(sub, &m2mgw_all_subs, hash_node)
		full += m2mgw_reader_push(sub->reader, hdr, payload,
					  payload_len);
	if (trace_rx_enabled())
		m2mgw_trace_rx(hdr, payload, payload_len, full);
	rcu_read_unlock();
	return full;
}

static void m2mgw_sub_del(struct m2mgw_sub *sub)
{
	lockdep_assert_held(&m2mgw_subs_lock);
	hlist_del_rcu(&sub->hash_node);
	list_del(&sub->reader_node);
	kfree_rcu(sub, rcu);
}

void m2mgw_readers_port_del(u32 port_id)
{
	struct hlist_node *tmp;
	struct m2mgw_sub *sub;

	mutex_lock(&m2mgw_subs_lock);
	hlist_for_each_entry_safe(sub, tmp, m2mgw_sub_head(port_id), hash_node)
		if (sub->port_id == port_id)
			m2mgw_sub_del(sub);
	mutex_unlock(&m2mgw_subs_lock);
}

static int m2mgw_subscribe(struct m2mgw_reader *reader, u32 port_id)
{
	struct m2mgw_sub *sub, *tmp, *new;
	int err;

	lockdep_assert_held(&m2mgw_subs_lock);
	if (reader->all)
		return -EALREADY;
	if (port_id != M2MGW_PORT_ALL) {
		list_for_each_entry(sub, &reader->subs, reader_node)
			if (sub->port_id == port_id)
				return -EALREADY;
		/* Under m2mgw_subs_lock: m2mgw_readers_port_del() sees it. */
		err = m2mgw_port_exists(port_id);
		if (err)
			return err;
	}
	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	new->reader = reader;
	new->port_id = port_id;
	if (port_id == M2MGW_PORT_ALL) {
		/* "All" covers every port: the single ones are redundant. */
		list_for_each_entry_safe(sub, tmp, &reader->subs, reader_node)
			m2mgw_sub_del(sub);
		reader->all = true;
		list_add_tail(&new->reader_node, &reader->subs);
		hlist_add_head_rcu(&new->hash_node, &m2mgw_all_subs);
		return 0;
	}
	list_add_tail(&new->reader_node, &reader->subs);
	hlist_add_head_rcu(&new->hash_node, m2mgw_sub_head(port_id));
	return 0;
}

static int m2mgw_unsubscribe(struct m2mgw_reader *reader, u32 port_id)
{
	struct m2mgw_sub *sub;

	lockdep_assert_held(&m2mgw_subs_lock);
	list_for_each_entry(sub, &reader->subs, reader_node) {
		if (sub->port_id == port_id) {
			m2mgw_sub_del(sub);
			if (port_id == M2MGW_PORT_ALL)
				reader->all = false;
			return 0;
		}
	}
	return -ENOENT;
}

static int m2mgw_open(struct inode *inode, struct file *file)
{
	struct m2mgw_reader *reader;

	reader = kzalloc(sizeof(*reader), GFP_KERNEL_ACCOUNT);
	if (!reader)
		return -ENOMEM;
	mutex_init(&reader->lock);
	init_waitqueue_head(&reader->wait);
	INIT_LIST_HEAD(&reader->subs);
	file->private_data = reader;
	return stream_open(inode, file);
}

static void m2mgw_reader_free(struct work_struct *work)
{
	struct m2mgw_reader *reader =
		container_of(to_rcu_work(work), struct m2mgw_reader, free_work);

	m2mgw_ring_free(reader->ring);
	mutex_destroy(&reader->lock);
	kfree(reader);
}

static int m2mgw_release(struct inode *inode, struct file *file)
{
	struct m2mgw_reader *reader = file->private_data;
	struct m2mgw_sub *sub, *tmp;

	mutex_lock(&m2mgw_subs_lock);
	list_for_each_entry_safe(sub, tmp, &reader->subs, reader_node)
		m2mgw_sub_del(sub);
	mutex_unlock(&m2mgw_subs_lock);

	/*
	 * Producers in m2mgw_deliver() may still hold the reader under RCU;
	 * free it, and vunmap its ring (which sleeps), after a grace period.
	 */
	INIT_RCU_WORK(&reader->free_work, m2mgw_reader_free);
	queue_rcu_work(m2mgw_free_wq, &reader->free_work);
	return 0;
}

static struct m2mgw_ring *m2mgw_reader_ring(struct m2mgw_reader *reader)
{
	/* Pairs with the smp_store_release() in m2mgw_ring_setup(). */
	return smp_load_acquire(&reader->ring);
}

static long m2mgw_ring_setup(struct m2mgw_reader *reader, void __user *arg)
{
	struct m2mgw_ring_setup setup;
	struct m2mgw_ring *ring;
	long ret = 0;

	if (copy_from_user(&setup, arg, sizeof(setup)))
		return -EFAULT;
	if (setup.flags)
		return -EINVAL;

	mutex_lock(&reader->lock);
	if (reader->ring) {
		ret = -EBUSY;
		goto out;
	}
	ring = m2mgw_ring_alloc(setup.size, &reader->wait, reader);
	if (IS_ERR(ring)) {
		ret = PTR_ERR(ring);
		goto out;
	}
	/* Pairs with m2mgw_reader_ring(): the ring is whole when seen. */
	smp_store_release(&reader->ring, ring);
out:
	mutex_unlock(&reader->lock);
	return ret;
}

static long m2mgw_set_wakeup(struct m2mgw_reader *reader, void __user *arg)
{
	struct m2mgw_ring *ring = m2mgw_reader_ring(reader);
	struct m2mgw_wakeup w;
	long ret;

	if (copy_from_user(&w, arg, sizeof(w)))
		return -EFAULT;
	if (!ring)
		return -ENXIO;
	mutex_lock(&reader->lock);
	ret = m2mgw_ring_set_wakeup(ring, &w);
	mutex_unlock(&reader->lock);
	return ret;
}

static long m2mgw_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct m2mgw_reader *reader = file->private_data;
	void __user *uarg = (void __user *)arg;
	u32 port_id;
	long ret;

	switch (cmd) {
	case M2MGW_IOC_RING_SETUP:
		return m2mgw_ring_setup(reader, uarg);
	case M2MGW_IOC_SUBSCRIBE:
	case M2MGW_IOC_UNSUBSCRIBE:
		if (get_user(port_id, (u32 __user *)uarg))
			return -EFAULT;
		if (!m2mgw_reader_ring(reader))
			return -ENXIO;
		mutex_lock(&m2mgw_subs_lock);
		if (cmd == M2MGW_IOC_SUBSCRIBE)
			ret = m2mgw_subscribe(reader, port_id);
		else
			ret = m2mgw_unsubscribe(reader, port_id);
		mutex_unlock(&m2mgw_subs_lock);
		return ret;
	case M2MGW_IOC_WAKEUP:
		return m2mgw_set_wakeup(reader, uarg);
	default:
		return -ENOTTY;
	}
}

static int m2mgw_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct m2mgw_ring *ring = m2mgw_reader_ring(file->private_data);

	if (!ring)
		return -ENXIO;
	return m2mgw_ring_mmap(ring, vma);
}

static __poll_t m2mgw_poll(struct file *file, poll_table *wait)
{
	struct m2mgw_reader *reader = file->private_data;
	struct m2mgw_ring *ring = m2mgw_reader_ring(reader);
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;
	int ret;

	if (!ring)
		return mask | EPOLLERR;
	poll_wait(file, &reader->wait, wait);
	ret = m2mgw_ring_readable(ring);
	if (ret < 0)
		mask |= EPOLLERR;
	else if (ret)
		mask |= EPOLLIN | EPOLLRDNORM;
	return mask;
}

static ssize_t m2mgw_read(struct file *file, char __user *buf, size_t count,
			  loff_t *ppos)
{
	struct m2mgw_reader *reader = file->private_data;
	struct m2mgw_ring *ring = m2mgw_reader_ring(reader);
	ssize_t ret;

	if (!ring)
		return -ENXIO;
	/* Nothing to copy: no record could fit, so do not wait for one. */
	if (!count)
		return 0;
	for (;;) {
		if (mutex_lock_interruptible(&reader->lock))
			return -ERESTARTSYS;
		ret = m2mgw_ring_read(ring, buf, count);
		mutex_unlock(&reader->lock);
		if (ret)
			return ret;
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(reader->wait,
					       m2mgw_ring_readable(ring));
		if (ret)
			return ret;
	}
}

/*
 * Check one record of a TX buffer.  Returns its padded size, or -errno:
 * the whole write fails before anything is sent.
 */
static int m2mgw_tx_check(const u8 *buf, size_t left)
{
	const struct m2mgw_rec *rec = (const void *)buf;
	u32 len;
	int err;

	if (left < M2MGW_REC_HDR_LEN)
		return -EINVAL;
	len = rec->len;
	if (len < M2MGW_REC_HDR_LEN || len > left ||
	    ALIGN(len, M2MGW_REC_ALIGN) > left)
		return -EINVAL;
	if (rec->flags || rec->reserved || rec->tstamp_ns || rec->seq)
		return -EINVAL;
	err = m2mgw_port_tx_check(rec, len - M2MGW_REC_HDR_LEN);
	if (err)
		return err;
	return ALIGN(len, M2MGW_REC_ALIGN);
}

static ssize_t m2mgw_write(struct file *file, const char __user *ubuf,
			   size_t count, loff_t *ppos)
{
	bool nonblock = file->f_flags & O_NONBLOCK;
	size_t off, sent = 0;
	ssize_t ret = 0;
	u8 *buf;
	int n;

	if (!count)
		return 0;
	if (count > M2MGW_WRITE_MAX)
		return -EMSGSIZE;
	buf = memdup_user(ubuf, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);

	/* Validate everything first: a malformed buffer sends nothing. */
	for (off = 0; off < count; off += n) {
		n = m2mgw_tx_check(buf + off, count - off);
		if (n < 0) {
			ret = n;
			goto out;
		}
	}
	for (off = 0; off < count; off += n) {
		const struct m2mgw_rec *rec = (const void *)(buf + off);

		n = ALIGN(rec->len, M2MGW_REC_ALIGN);
		ret = m2mgw_port_tx(rec, rec->len - M2MGW_REC_HDR_LEN,
				    nonblock);
		if (ret)
			break;
		sent += n;
	}
	if (sent)
		ret = sent;
out:
	kfree(buf);
	return ret;
}

static const struct file_operations m2mgw_fops = {
	.owner = THIS_MODULE,
	.open = m2mgw_open,
	.release = m2mgw_release,
	.read = m2mgw_read,
	.write = m2mgw_write,
	.poll = m2mgw_poll,
	.mmap = m2mgw_mmap,
	.unlocked_ioctl = m2mgw_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice m2mgw_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = M2MGW_DEVICE_NAME,
	.fops = &m2mgw_fops,
	.mode = 0600,
};

int m2mgw_chrdev_init(void)
{
	int err;

	m2mgw_free_wq = alloc_workqueue("m2mgw_free", WQ_UNBOUND, 0);
	if (!m2mgw_free_wq)
		return -ENOMEM;
	err = misc_register(&m2mgw_miscdev);
	if (err)
		goto err_wq;
	return 0;

err_wq:
	destroy_workqueue(m2mgw_free_wq);
	return err;
}

void m2mgw_chrdev_exit(void)
{
	misc_deregister(&m2mgw_miscdev);
	/* Readers freed after a grace period: let their work run first. */
	rcu_barrier();
	destroy_workqueue(m2mgw_free_wq);
}
