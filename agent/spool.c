// SPDX-License-Identifier: GPL-2.0
/*
 * Disk store-and-forward queue: append, commit, send, ack.  The format
 * and guarantees are in spool.h; opening and crash recovery are in
 * spool_recover.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include "config.h"
#include "log.h"
#include "spool.h"
#include "spool_int.h"

void q_push(struct rec_queue *q, struct spool_rec *r)
{
	r->next = NULL;
	r->prev = q->tail;
	if (q->tail)
		q->tail->next = r;
	else
		q->head = r;
	q->tail = r;
	q->n++;
}

/* Insert in sequence order (requeued records go back where they were). */
static void q_insert_sorted(struct rec_queue *q, struct spool_rec *r)
{
	struct spool_rec *at = q->tail;

	while (at && at->seq > r->seq)
		at = at->prev;
	r->prev = at;
	r->next = at ? at->next : q->head;
	if (r->next)
		r->next->prev = r;
	else
		q->tail = r;
	if (at)
		at->next = r;
	else
		q->head = r;
	q->n++;
}

static void q_del(struct rec_queue *q, struct spool_rec *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		q->head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		q->tail = r->prev;
	r->prev = r->next = NULL;
	q->n--;
}

static struct rec_queue *rec_queue(struct spool *sp, struct spool_rec *r)
{
	if (r->state == R_PENDING)
		return &sp->pending;
	if (r->state == R_QUEUED)
		return r->hist ? &sp->hist : &sp->live;
	return NULL;
}

uint32_t rec_crc(const struct disk_hdr *h, const void *data)
{
	struct disk_hdr c = *h;
	uLong crc;

	c.crc = 0;
	c.acked = 0;
	crc = crc32(0L, (const Bytef *)&c, sizeof(c));
	return (uint32_t)crc32(crc, data, h->len);
}

int seg_add_rec(struct segment *s, struct spool_rec *r)
{
	if (s->nrecs == s->cap) {
		uint32_t cap = s->cap ? 2 * s->cap : 64;
		void *n = realloc(s->recs, cap * sizeof(*s->recs));

		if (!n)
			return -ENOMEM;
		s->recs = n;
		s->cap = cap;
	}
	r->seg = s;
	r->idx = s->nrecs;
	s->recs[s->nrecs++] = r;
	s->live++;
	return 0;
}

static void seg_name(char *buf, size_t n, uint64_t seq)
{
	snprintf(buf, n, "%016llx.seg", (unsigned long long)seq);
}

void seg_delete(struct spool *sp, struct segment *s)
{
	struct segment **pp;
	char name[32];

	for (pp = &sp->segs; *pp != s; pp = &(*pp)->next)
		;
	*pp = s->next;
	if (sp->active == s)
		sp->active = NULL;
	seg_name(name, sizeof(name), s->first_seq);
	if (unlinkat(sp->dirfd, name, 0))
		log_warn("spool: cannot remove %s: %s", name, strerror(errno));
	sp->st.bytes -= s->size;
	close(s->fd);
	free(s->recs);
	free(s);
}

/* A record leaves its segment for good (acked or dropped). */
static void rec_release(struct spool *sp, struct spool_rec *r)
{
	struct segment *s = r->seg;

	if (s) {
		s->recs[r->idx] = NULL;
		s->live--;
		if (!s->live && s != sp->active)
			seg_delete(sp, s);
	}
	sp->st.records--;
	free(r);
}

static void drop_oldest_segment(struct spool *sp)
{
	struct segment *s = sp->segs;

	for (uint32_t i = 0; i < s->nrecs; i++) {
		struct spool_rec *r = s->recs[i];
		struct rec_queue *q;

		if (!r)
			continue;
		sp->st.dropped_oldest++;
		s->live--;
		if (r->state == R_INFLIGHT) {
			/* The output still holds it: freed on ack/requeue. */
			r->seg = NULL;
			continue;
		}
		q = rec_queue(sp, r);
		q_del(q, r);
		sp->st.records--;
		free(r);
	}
	log_warn("spool: full, dropped oldest segment %016llx",
		 (unsigned long long)s->first_seq);
	seg_delete(sp, s);
}

static int seg_new(struct spool *sp)
{
	struct segment *s = calloc(1, sizeof(*s));
	char name[32];

	if (!s)
		return -ENOMEM;
	seg_name(name, sizeof(name), sp->next_seq);
	s->fd = openat(sp->dirfd, name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
		       0600);
	if (s->fd < 0) {
		int err = -errno;

		free(s);
		return err;
	}
	s->first_seq = sp->next_seq;
	if (sp->segs) {
		struct segment *t = sp->segs;

		while (t->next)
			t = t->next;
		t->next = s;
	} else {
		sp->segs = s;
	}
	sp->active = s;
	sp->dir_dirty = true;
	return 0;
}

int spool_commit(struct spool *sp)
{
	int n = 0;

	if (!sp->pending.n)
		return 0;
	for (struct segment *s = sp->segs; s; s = s->next)
		if (s->nrecs && s->recs[s->nrecs - 1] &&
		    s->recs[s->nrecs - 1]->state == R_PENDING &&
		    fdatasync(s->fd))
			return -errno;
	if (sp->dir_dirty) {
		if (fsync(sp->dirfd))
			return -errno;
		sp->dir_dirty = false;
	}
	while (sp->pending.head) {
		struct spool_rec *r = sp->pending.head;

		q_del(&sp->pending, r);
		r->state = R_QUEUED;
		q_push(r->hist ? &sp->hist : &sp->live, r);
		n++;
	}
	sp->st.accepted += (uint64_t)n;
	sp->st.commits++;
	return n;
}

int spool_append(struct spool *sp, const char *topic, const void *payload,
		 size_t len, bool hist)
{
	size_t tlen = strlen(topic);
	struct disk_hdr h = {
		.magic = SPOOL_MAGIC,
		.len = (uint32_t)(tlen + len),
		.seq = sp->next_seq,
		.flags = hist,
		.topic_len = (uint16_t)tlen,
	};
	uint64_t need = sizeof(h) + tlen + len;
	struct iovec iov[3];
	struct spool_rec *r;
	uint8_t *data;
	ssize_t w;
	int err;

	if (tlen > UINT16_MAX || need > REC_MAX ||
	    need > sp->conf.segment_bytes)
		return -EMSGSIZE;
	while (sp->st.bytes + need > sp->conf.max_bytes) {
		if (sp->conf.policy == SPOOL_STOP_ACCEPTING || !sp->segs ||
		    sp->segs == sp->active) {
			sp->st.dropped_full++;
			return -ENOSPC;
		}
		drop_oldest_segment(sp);
	}
	if (!sp->active || sp->active->size + need > sp->conf.segment_bytes) {
		/* Records never span segments; a full segment is made
		 * durable before the next one starts. */
		err = spool_commit(sp);
		if (err < 0)
			return err;
		if (sp->active && !sp->active->live)
			seg_delete(sp, sp->active);
		err = seg_new(sp);
		if (err)
			return err;
	}
	data = malloc(h.len);
	if (!data)
		return -ENOMEM;
	memcpy(data, topic, tlen);
	memcpy(data + tlen, payload, len);
	h.crc = rec_crc(&h, data);
	iov[0] = (struct iovec){ &h, sizeof(h) };
	iov[1] = (struct iovec){ data, h.len };
	w = pwritev(sp->active->fd, iov, 2, (off_t)sp->active->size);
	err = w < 0 ? -errno : 0;
	free(data);
	if (w != (ssize_t)need) {
		/* Cut a partial record off so the segment stays parseable. */
		if (ftruncate(sp->active->fd, (off_t)sp->active->size))
			log_warn("spool: truncate: %s", strerror(errno));
		return err ? err : -EIO;
	}
	r = calloc(1, sizeof(*r));
	if (!r || seg_add_rec(sp->active, r)) {
		free(r);
		return -ENOMEM;
	}
	r->seq = sp->next_seq++;
	r->off = (uint32_t)sp->active->size;
	r->len = h.len;
	r->hist = hist;
	r->state = R_PENDING;
	q_push(&sp->pending, r);
	sp->active->size += need;
	sp->st.bytes += need;
	sp->st.appended++;
	sp->st.records++;
	return 0;
}

unsigned int spool_pending(const struct spool *sp)
{
	return sp->pending.n;
}

struct spool_rec *spool_peek(struct spool *sp, bool hist)
{
	return hist ? sp->hist.head : sp->live.head;
}

unsigned int spool_queued(const struct spool *sp, bool hist)
{
	return hist ? sp->hist.n : sp->live.n;
}

uint64_t spool_rec_seq(const struct spool_rec *r)
{
	return r->seq;
}

bool spool_rec_hist(const struct spool_rec *r)
{
	return r->hist;
}

void spool_take(struct spool *sp, struct spool_rec *r)
{
	q_del(rec_queue(sp, r), r);
	r->state = R_INFLIGHT;
}

void spool_ack(struct spool *sp, struct spool_rec *r)
{
	static const uint8_t ack = ACK_BYTE;

	if (r->state == R_QUEUED)
		q_del(rec_queue(sp, r), r);
	if (r->seg) {
		/* One byte in place: either written or not, never torn.
		 * Not fsync'd: after kill -9 the page cache has it; after
		 * a power cut the record is merely sent again. */
		if (pwrite(r->seg->fd, &ack, 1,
			   (off_t)(r->off +
				   offsetof(struct disk_hdr, acked))) != 1)
			log_warn("spool: cannot mark record %llu acked: %s",
				 (unsigned long long)r->seq, strerror(errno));
		sp->st.acked++;
	}
	rec_release(sp, r);
}

void spool_requeue(struct spool *sp, struct spool_rec *r)
{
	if (!r->seg) { /* dropped (drop-oldest) while in flight */
		sp->st.records--;
		free(r);
		return;
	}
	r->state = R_QUEUED;
	r->hist = true;
	q_insert_sorted(&sp->hist, r);
}

int spool_read(struct spool *sp, struct spool_rec *r, void **buf,
	       const char **topic, const char **payload, size_t *len)
{
	struct disk_hdr h;
	uint8_t *data;
	ssize_t n;

	if (!r->seg)
		return -ENOENT;
	data = malloc(sizeof(h) + r->len + 1);
	if (!data)
		return -ENOMEM;
	n = pread(r->seg->fd, data, sizeof(h) + r->len, r->off);
	if (n < 0) {
		int err = -errno;

		free(data);
		return err;
	}
	memcpy(&h, data, sizeof(h));
	if ((size_t)n != sizeof(h) + r->len || h.magic != SPOOL_MAGIC ||
	    h.len != r->len || h.seq != r->seq || h.topic_len >= h.len + 1u ||
	    rec_crc(&h, data + sizeof(h)) != h.crc) {
		log_err("spool: record %llu is corrupt on disk; dropped",
			(unsigned long long)r->seq);
		free(data);
		sp->st.corrupt++;
		if (r->state == R_QUEUED)
			q_del(rec_queue(sp, r), r);
		rec_release(sp, r);
		return -EBADMSG;
	}
	/* Topic and payload are NUL terminated in place for the caller:
	 * the topic's terminator overwrites nothing but the header copy. */
	memmove(data, data + sizeof(h), h.topic_len);
	data[h.topic_len] = '\0';
	data[sizeof(h) + h.len] = '\0';
	*buf = data;
	*topic = (const char *)data;
	*payload = (const char *)data + sizeof(h) + h.topic_len;
	*len = h.len - h.topic_len;
	return 0;
}

void spool_close(struct spool *sp)
{
	if (!sp)
		return;
	spool_commit(sp);
	while (sp->segs) {
		struct segment *s = sp->segs;

		sp->segs = s->next;
		for (uint32_t i = 0; i < s->nrecs; i++)
			free(s->recs[i]);
		close(s->fd);
		free(s->recs);
		free(s);
	}
	close(sp->dirfd);
	free(sp);
}

const struct spool_stats *spool_stats(const struct spool *sp)
{
	return &sp->st;
}
