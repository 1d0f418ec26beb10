// SPDX-License-Identifier: GPL-2.0
/*
 * Spool recovery: the input is the content of a segment file found at
 * start.  Records whose header has crc 0 get their right CRC filled in
 * here first, so intact records (not only garbage) reach recovery.
 * Every record recovery keeps must then read back intact; the rest must
 * have been counted as corrupt or cut off.  Then one new record is
 * appended, committed and read back, and everything is acked.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "fuzz_util.h"
#include "spool_int.h"

static void fill_crcs(uint8_t *buf, size_t size)
{
	size_t off = 0;
	struct disk_hdr h;

	while (off + sizeof(h) <= size) {
		memcpy(&h, buf + off, sizeof(h));
		if (h.magic != SPOOL_MAGIC || h.len > size - off - sizeof(h))
			return;
		if (!h.crc) {
			h.crc = rec_crc(&h, buf + off + sizeof(h));
			memcpy(buf + off, &h, sizeof(h));
		}
		off += sizeof(h) + h.len;
	}
}

static void clear_dir(const char *dir)
{
	char path[256];
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
}

/* Read, check and ack every record queued in @hist; how many read. */
static unsigned int drain(struct spool *sp, bool hist)
{
	unsigned int n = 0;
	struct spool_rec *r;
	const char *topic, *payload;
	size_t len;
	void *buf;

	while ((r = spool_peek(sp, hist))) {
		spool_take(sp, r);
		if (spool_read(sp, r, &buf, &topic, &payload, &len))
			__builtin_trap(); /* recovery kept a bad record */
		if (payload[len] || strlen(topic) > UINT16_MAX)
			__builtin_trap();
		free(buf);
		spool_ack(sp, r);
		n++;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[128], err[256];
	struct spool_conf c = { .dir = dir,
				.max_bytes = 1 << 20,
				.segment_bytes = 4096 };
	const struct spool_stats *st;
	uint8_t *buf = malloc(size + 1);
	struct spool *sp;

	if (!buf)
		return 0;
	fuzz_quiet();
	memcpy(buf, data, size);
	fill_crcs(buf, size);
	snprintf(dir, sizeof(dir), "%s/spool", fuzz_dir());
	clear_dir(dir);
	mkdir(dir, 0700);
	fuzz_file("spool/0000000000000010.seg", buf, size);
	free(buf);
	sp = spool_open(&c, err, sizeof(err));
	if (!sp)
		abort();
	st = spool_stats(sp);
	if (st->records != st->recovered)
		__builtin_trap();
	if (drain(sp, true) != st->recovered)
		__builtin_trap();
	if (spool_append(sp, "t/x", "{}", 2, false) == 0 &&
	    spool_commit(sp) == 1 && drain(sp, false) != 1)
		__builtin_trap();
	spool_close(sp);
	clear_dir(dir);
	return 0;
}
