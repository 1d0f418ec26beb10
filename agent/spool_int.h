/* SPDX-License-Identifier: GPL-2.0 */
/* Spool internals shared by spool.c and spool_recover.c. */
#ifndef M2MGWD_SPOOL_INT_H
#define M2MGWD_SPOOL_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "spool.h"

#define SPOOL_MAGIC 0x50533232u /* "22SP" little endian */
#define ACK_BYTE    0xac
#define REC_MAX	    (16u << 20)

struct disk_hdr {
	uint32_t magic;
	uint32_t len; /* bytes after the header */
	uint64_t seq;
	uint32_t crc;  /* over the header (crc, acked = 0) and data */
	uint8_t acked; /* ACK_BYTE once delivered; not in the CRC */
	uint8_t flags;
	uint16_t topic_len;
};
_Static_assert(sizeof(struct disk_hdr) == 24, "spool header layout");

enum {
	R_PENDING,
	R_QUEUED,
	R_INFLIGHT
};

struct segment;

struct spool_rec {
	struct spool_rec *prev, *next; /* in a queue while R_QUEUED */
	struct segment *seg;	       /* NULL once dropped while in flight */
	uint64_t seq;
	uint32_t off, len;
	uint32_t idx; /* in seg->recs */
	uint8_t state;
	bool hist;
};

struct segment {
	struct segment *next;
	uint64_t first_seq;
	int fd;
	uint64_t size;
	unsigned int live; /* records not yet acked/dropped */
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
	struct segment *segs, *active; /* oldest first; active is last */
	bool dir_dirty;		       /* a segment was created: fsync dir */
	uint64_t next_seq;
	struct rec_queue pending, live, hist;
	struct spool_stats st;
};

void q_push(struct rec_queue *q, struct spool_rec *r);
int seg_add_rec(struct segment *s, struct spool_rec *r);
void seg_delete(struct spool *sp, struct segment *s);
uint32_t rec_crc(const struct disk_hdr *h, const void *data);

#endif /* M2MGWD_SPOOL_INT_H */
