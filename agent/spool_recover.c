// SPDX-License-Identifier: GPL-2.0
/*
 * Opening a spool: find its segments, scan them in order, keep every
 * intact undelivered record (queued historical), skip acked ones, count
 * and skip damaged records (and find the next intact one after them),
 * cut a torn tail off.  See spool.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "spool_int.h"

/* A record at @off whose header and CRC hold, in @size bytes of @buf. */
static bool rec_intact(const uint8_t *buf, uint64_t off, uint64_t size,
		       struct disk_hdr *h)
{
	if (off + sizeof(*h) > size)
		return false;
	memcpy(h, buf + off, sizeof(*h));
	return h->magic == SPOOL_MAGIC && h->len <= REC_MAX &&
	       h->len <= size - off - sizeof(*h) && h->topic_len <= h->len &&
	       rec_crc(h, buf + off + sizeof(*h)) == h->crc;
}

/*
 * Where the next intact record after damage at @off starts, or @size.
 * A damaged header (or length) hides where its record ends, so look for
 * the next header whose CRC holds instead of giving up on the rest.
 */
static uint64_t resync(const uint8_t *buf, uint64_t off, uint64_t size)
{
	struct disk_hdr h;

	for (off++; off + sizeof(h) <= size; off++)
		if (rec_intact(buf, off, size, &h))
			return off;
	return size;
}

/* Queue the undelivered records of a scanned segment as historical. */
static void seg_queue(struct spool *sp, struct segment *s)
{
	for (uint32_t i = 0; i < s->nrecs; i++) {
		q_push(&sp->hist, s->recs[i]);
		sp->st.records++;
		sp->st.recovered++;
	}
}

/*
 * Scan one segment at open; returns 0 or -errno.  Its records are queued
 * only once the whole segment is scanned, so a failure leaves nothing of
 * it behind.
 */
static int seg_recover(struct spool *sp, const char *name, uint64_t first,
		       bool last)
{
	struct segment *s = calloc(1, sizeof(*s));
	struct stat stb;
	uint8_t *buf = NULL;
	uint64_t off = 0, end = 0, size;

	if (!s)
		return -ENOMEM;
	s->first_seq = first;
	s->fd = openat(sp->dirfd, name, O_RDWR | O_CLOEXEC);
	if (s->fd < 0 || fstat(s->fd, &stb))
		goto err;
	size = (uint64_t)stb.st_size;
	buf = malloc(size + 1);
	if (!buf || pread(s->fd, buf, size, 0) != stb.st_size)
		goto err;
	while (off + sizeof(struct disk_hdr) <= size) {
		struct disk_hdr h;
		struct spool_rec *r;
		uint64_t next;

		if (!rec_intact(buf, off, size, &h)) {
			next = resync(buf, off, size);
			if (next == size) {
				/* Nothing intact follows: a whole record that
				 * fails its CRC, else the tail. */
				if (h.magic != SPOOL_MAGIC || h.len > REC_MAX ||
				    h.len > size - off - sizeof(h))
					break;
				next = off + sizeof(h) + h.len;
				end = next;
			}
			log_err("spool: %s: %llu bytes at offset %llu fail their CRC; skipped",
				name, (unsigned long long)(next - off),
				(unsigned long long)off);
			sp->st.corrupt++;
			off = next;
			continue;
		}
		if (h.acked != ACK_BYTE) {
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
		}
		if (h.seq >= sp->next_seq)
			sp->next_seq = h.seq + 1;
		off += sizeof(h) + h.len;
		end = off;
	}
	if (end < size) {
		/* A torn write at the end (crash mid-append) or garbage: the
		 * records before it are kept, the rest cannot be trusted. */
		log_warn(
			"spool: %s: %llu bytes after offset %llu are %s; cut off",
			name, (unsigned long long)(size - end),
			(unsigned long long)end,
			last ? "a torn record" : "unreadable");
		if (!last)
			sp->st.corrupt++;
		/* Not fatal: appends never go to a recovered segment. */
		if (ftruncate(s->fd, (off_t)end))
			log_warn("spool: %s: truncate: %s", name,
				 strerror(errno));
	}
	free(buf);
	s->size = end;
	sp->st.bytes += end;
	seg_queue(sp, s);
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
	for (uint32_t i = 0; i < s->nrecs; i++)
		free(s->recs[i]);
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
			size_t ncap = cap ? 2 * cap : 16;
			char **nn = realloc(names, ncap * sizeof(*names));

			if (!nn)
				break;
			names = nn;
			cap = ncap;
		}
		names[n] = strdup(de->d_name);
		if (!names[n])
			break;
		n++;
	}
	if (de) /* stopped early: out of memory */
		snprintf(err, errlen, "spool: %s: out of memory", c->dir);
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
