// SPDX-License-Identifier: GPL-2.0
/* Disk store-and-forward queue; the format and guarantees are in spool.h. */
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

#define SPOOL_MAGIC 0x50533232u	/* "22SP" little endian */
#define ACK_BYTE 0xac
#define REC_MAX (16u << 20)

struct disk_hdr {
	uint32_t magic;
	uint32_t len;		/* bytes after the header */
	uint64_t seq;
	uint32_t crc;		/* over the header (crc, acked = 0) and data */
	uint8_t acked;		/* ACK_BYTE once delivered; not in the CRC */
	uint8_t flags;
	uint16_t topic_len;
};
_Static_assert(sizeof(struct disk_hdr) == 24, "spool header layout");

enum { R_PENDING, R_QUEUED, R_INFLIGHT };

struct segment;

struct spool_rec {
	struct spool_rec *prev, *next;	/* in a queue while R_QUEUED */
	struct segment *seg;		/* NULL once dropped while in flight */
	uint64_t seq;
	uint32_t off, len;
	uint32_t idx;			/* in seg->recs */
	uint8_t state;
	bool hist;
};

struct segment {
	struct segment *next;
	uint64_t first_seq;
	int fd;
	uint64_t size;
	unsigned int live;		/* records not yet acked/dropped */
	struct spool_rec **recs;
	uint32_t nrecs, cap;
};

struct rec_queue {
	struct spool_rec *head, *tail;
	unsigned int n;
};

struct spool {
	struct spool_conf conf;
	int dirfd;
	struct segment *segs, *active;	/* oldest first; active is last */
	bool dir_dirty;			/* a segment was created: fsync dir */
	uint64_t next_seq;
	struct rec_queue pending, live, hist;
	struct spool_stats st;
};

static void q_push(struct rec_queue *q, struct spool_rec *r)
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

static uint32_t rec_crc(const struct disk_hdr *h, const void *data)
{
	struct disk_hdr c = *h;
	uLong crc;

	c.crc = 0;
	c.acked = 0;
	crc = crc32(0L, (const Bytef *)&c, sizeof(c));
	return (uint32_t)crc32(crc, data, h->len);
}

static int seg_add_rec(struct segment *s, struct spool_rec *r)
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

static void seg_delete(struct spool *sp, struct segment *s)
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
		.magic = SPOOL_MAGIC, .len = (uint32_t)(tlen + len),
		.seq = sp->next_seq, .flags = hist, .topic_len = (uint16_t)tlen,
	};
	uint64_t need = sizeof(h) + tlen + len;
	struct iovec iov[3];
	struct spool_rec *r;
	uint8_t *data;
	ssize_t w;
	int err;

	if (tlen > UINT16_MAX || need > REC_MAX || need > sp->conf.segment_bytes)
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
			   (off_t)(r->off + offsetof(struct disk_hdr, acked))) != 1)
			log_warn("spool: cannot mark record %llu acked: %s",
				 (unsigned long long)r->seq, strerror(errno));
		sp->st.acked++;
	}
	rec_release(sp, r);
}

void spool_requeue(struct spool *sp, struct spool_rec *r)
{
	if (!r->seg) {		/* dropped (drop-oldest) while in flight */
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

/* Scan one segment at open; returns 0 or -errno. */
static int seg_recover(struct spool *sp, const char *name, uint64_t first,
		       bool last)
{
	struct segment *s = calloc(1, sizeof(*s));
	struct stat stb;
	uint8_t *buf = NULL;
	uint64_t off = 0;

	if (!s)
		return -ENOMEM;
	s->first_seq = first;
	s->fd = openat(sp->dirfd, name, O_RDWR | O_CLOEXEC);
	if (s->fd < 0 || fstat(s->fd, &stb))
		goto err;
	buf = malloc((size_t)stb.st_size + 1);
	if (!buf || pread(s->fd, buf, (size_t)stb.st_size, 0) != stb.st_size)
		goto err;
	while (off + sizeof(struct disk_hdr) <= (uint64_t)stb.st_size) {
		struct disk_hdr h;
		struct spool_rec *r;

		memcpy(&h, buf + off, sizeof(h));
		if (h.magic != SPOOL_MAGIC || h.len > REC_MAX ||
		    off + sizeof(h) + h.len > (uint64_t)stb.st_size)
			break;
		if (rec_crc(&h, buf + off + sizeof(h)) != h.crc ||
		    h.topic_len > h.len) {
			log_err("spool: %s: record at offset %llu fails its CRC; skipped",
				name, (unsigned long long)off);
			sp->st.corrupt++;
		} else if (h.acked != ACK_BYTE) {
			r = calloc(1, sizeof(*r));
			if (!r || seg_add_rec(s, r)) {
				free(r);
				goto err;
			}
			r->seq = h.seq;
			r->off = (uint32_t)off;
			r->len = h.len;
			r->hist = true;
			r->state = R_QUEUED;
			q_push(&sp->hist, r);
			sp->st.records++;
			sp->st.recovered++;
		}
		if (h.seq >= sp->next_seq)
			sp->next_seq = h.seq + 1;
		off += sizeof(h) + h.len;
	}
	if (off < (uint64_t)stb.st_size) {
		/* A torn write at the end (crash mid-append) or garbage: the
		 * records before it are kept, the rest cannot be trusted. */
		log_warn("spool: %s: %llu bytes after offset %llu are %s; cut off",
			 name, (unsigned long long)(stb.st_size - off),
			 (unsigned long long)off,
			 last ? "a torn record" : "unreadable");
		if (!last)
			sp->st.corrupt++;
		if (ftruncate(s->fd, (off_t)off))
			goto err;
	}
	free(buf);
	s->size = off;
	sp->st.bytes += off;
	if (sp->segs) {
		struct segment *t = sp->segs;

		while (t->next)
			t = t->next;
		t->next = s;
	} else {
		sp->segs = s;
	}
	if (!s->live)
		seg_delete(sp, s);
	return 0;
err:
	log_err("spool: %s: %s", name, strerror(errno));
	free(buf);
	if (s->fd >= 0)
		close(s->fd);
	free(s->recs);
	free(s);
	return -EIO;
}

/* mkdir -p: the spool lives in [spool] dir/OUTPUT. */
static int mkdir_p(const char *dir)
{
	char path[4096], *p;

	if (strlen(dir) >= sizeof(path))
		return -1;
	strcpy(path, dir);
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(path, 0700) && errno != EEXIST ? -1 : 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct spool *spool_open(const struct spool_conf *c, char *err, size_t errlen)
{
	struct spool *sp = calloc(1, sizeof(*sp));
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	if (!sp)
		return NULL;
	err[0] = '\0';
	sp->conf = *c;
	sp->next_seq = 1;
	if (mkdir_p(c->dir)) {
		snprintf(err, errlen, "spool: mkdir %s: %s", c->dir,
			 strerror(errno));
		free(sp);
		return NULL;
	}
	sp->dirfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = sp->dirfd >= 0 ? fdopendir(dup(sp->dirfd)) : NULL;
	if (!d) {
		snprintf(err, errlen, "spool: open %s: %s", c->dir,
			 strerror(errno));
		if (sp->dirfd >= 0)
			close(sp->dirfd);
		free(sp);
		return NULL;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l != 20 || strcmp(de->d_name + 16, ".seg") ||
		    strspn(de->d_name, "0123456789abcdef") != 16)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			names = realloc(names, cap * sizeof(*names));
		}
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		uint64_t first = strtoull(names[i], NULL, 16);

		if (seg_recover(sp, names[i], first, i == n - 1) && !err[0])
			snprintf(err, errlen, "spool: cannot recover %s/%s",
				 c->dir, names[i]);
		if (first >= sp->next_seq)
			sp->next_seq = first + 1;
		free(names[i]);
	}
	free(names);
	if (sp->st.recovered)
		log_notice("spool: %llu undelivered records recovered from %s",
			   (unsigned long long)sp->st.recovered, c->dir);
	return sp;
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
