/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The spool: a disk store-and-forward queue of messages (topic +
 * payload) in front of an output.
 *
 * On disk: a directory of append-only segment files named by the
 * sequence number of their first record (16 hex digits + ".seg").  A
 * record is a 24-byte header (magic, length, sequence number, CRC-32 of
 * header and data, an ack byte, flags, topic length) then the topic and
 * the payload.  The CRC is zlib's crc32 (IEEE): it is there to catch torn
 * and corrupted records, which it does as well as CRC-32C; zlib is
 * already a dependency and is hardware-neutral.
 *
 * Life of a record:
 *   spool_append()   written to the active segment (page cache); pending
 *   spool_commit()   fdatasync: every pending record is now *accepted*
 *                    and queued, live or historical
 *   spool_take()     the output is sending it (in flight)
 *   spool_ack()      delivered: the ack byte is written in place
 *                    (pwrite of one byte, atomic), the record freed; a
 *                    segment whose records are all acked is deleted
 *   spool_requeue()  not delivered (connection lost): back to the
 *                    historical queue, in sequence order
 *
 * After a crash spool_open() scans the segments in order: acked records
 * are skipped, a CRC mismatch is counted and skipped, a torn record at
 * the end of a segment is cut off; everything else is queued historical
 * in its original order.  kill -9 at any point loses no accepted record;
 * a record acked just before the crash may be sent again (MQTT QoS 1 is
 * at least once anyway).
 *
 * Full (max_size): drop-oldest deletes the oldest segment and counts its
 * undelivered records as dropped; stop-accepting refuses the new record
 * (spool_append returns -ENOSPC) and counts it.
 */
#ifndef M2MGWD_SPOOL_H
#define M2MGWD_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct spool_conf {
	const char *dir;
	uint64_t max_bytes;
	uint64_t segment_bytes;
	int policy; /* enum spool_policy */
};

struct spool_stats {
	uint64_t appended;	 /* records written */
	uint64_t accepted;	 /* records made durable */
	uint64_t acked;		 /* records delivered and removed */
	uint64_t dropped_full;	 /* refused: stop-accepting */
	uint64_t dropped_oldest; /* deleted undelivered: drop-oldest */
	uint64_t corrupt;	 /* CRC or format errors found */
	uint64_t recovered;	 /* records found at open */
	uint64_t records;	 /* undelivered records now */
	uint64_t bytes;		 /* bytes of segment files now */
	uint64_t commits;	 /* fsync batches */
};

struct spool;
struct spool_rec;

struct spool *spool_open(const struct spool_conf *c, char *err, size_t errlen);
void spool_close(struct spool *sp);

/* 0, -ENOSPC (full, stop-accepting) or another negative errno. */
int spool_append(struct spool *sp, const char *topic, const void *payload,
		 size_t len, bool hist);
/* Make pending records durable and queue them: their count or -errno. */
int spool_commit(struct spool *sp);
unsigned int spool_pending(const struct spool *sp);

/* Oldest queued record of the live or the historical queue, or NULL. */
struct spool_rec *spool_peek(struct spool *sp, bool hist);
/* Records queued (not in flight) in either queue. */
unsigned int spool_queued(const struct spool *sp, bool hist);
/*
 * Read a record: *topic and *payload point into one malloc'd block
 * returned in *buf (free it).  -EBADMSG if its CRC no longer matches
 * (the record is then dropped and counted), other -errno on I/O errors.
 */
int spool_read(struct spool *sp, struct spool_rec *r, void **buf,
	       const char **topic, const char **payload, size_t *len);
uint64_t spool_rec_seq(const struct spool_rec *r);
bool spool_rec_hist(const struct spool_rec *r);

void spool_take(struct spool *sp, struct spool_rec *r);
void spool_ack(struct spool *sp, struct spool_rec *r);
void spool_requeue(struct spool *sp, struct spool_rec *r);

const struct spool_stats *spool_stats(const struct spool *sp);

#endif /* M2MGWD_SPOOL_H */
