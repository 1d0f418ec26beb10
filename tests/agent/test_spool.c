// SPDX-License-Identifier: GPL-2.0
/*
 * The spool: order, durability, acks, both full policies, corruption
 * detection, and crash safety - a child process appends, commits and
 * acks while telling the parent over a pipe what was accepted and what
 * was acked; the parent kill -9s it at a random moment, reopens the
 * spool and checks that every accepted, unacked record is there, intact
 * and in order, and that no acked record comes back.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "spool.h"
#include "tap.h"

static char dir[64];

static void rmdir_all(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		printf("# rm failed\n");
}

static struct spool *open_sp(uint64_t max, uint64_t seg, int policy)
{
	struct spool_conf c = { .dir = dir,
				.max_bytes = max,
				.segment_bytes = seg,
				.policy = policy };
	char err[256];
	struct spool *sp = spool_open(&c, err, sizeof(err));

	if (!sp || err[0])
		printf("# spool_open: %s\n", err);
	return sp;
}

/* Payload of record i: recognisable, length varies with i. */
static int payload(char *buf, size_t n, unsigned long i)
{
	return snprintf(
		buf, n, "{\"i\":%lu,\"pad\":\"%.*s\"}", i, (int)(i % 50),
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
}

/* Pop every queued record: returns how many matched f(i) in order. */
static int drain_check(struct spool *sp, bool hist, unsigned long *first,
		       unsigned long *last, bool ack)
{
	struct spool_rec *r;
	long prev = -1;
	int n = 0;

	while ((r = spool_peek(sp, hist))) {
		const char *topic, *pl;
		char want[128];
		void *buf;
		size_t len;
		unsigned long i;

		if (spool_read(sp, r, &buf, &topic, &pl, &len))
			return -1;
		if (sscanf(pl, "{\"i\":%lu", &i) != 1)
			return -1;
		payload(want, sizeof(want), i);
		if (strcmp(pl, want) || len != strlen(want) ||
		    strcmp(topic, "t/x") || (long)i <= prev) {
			free(buf);
			return -1;
		}
		if (prev < 0)
			*first = i;
		*last = i;
		prev = (long)i;
		free(buf);
		spool_take(sp, r);
		if (ack)
			spool_ack(sp, r);
		else
			spool_requeue(sp, r);
		if (!ack && spool_peek(sp, hist) == r)
			break;
		n++;
	}
	return n;
}

static void test_basic(void)
{
	struct spool *sp = open_sp(1 << 20, 256 << 10, SPOOL_DROP_OLDEST);
	unsigned long first = 0, last = 0;
	char pl[128];
	int n;

	for (unsigned long i = 0; i < 1000; i++) {
		int l = payload(pl, sizeof(pl), i);

		spool_append(sp, "t/x", pl, (size_t)l, false);
	}
	ok(spool_pending(sp) == 1000 && spool_queued(sp, false) == 0,
	   "appended records are pending until commit");
	ok(spool_commit(sp) >= 0 && spool_queued(sp, false) == 1000 &&
		   spool_stats(sp)->accepted == 1000,
	   "commit accepts all 1000");
	/* Take three, requeue one (connection lost): it goes historical. */
	{
		struct spool_rec *a = spool_peek(sp, false);

		spool_take(sp, a);
		spool_requeue(sp, a);
		ok(spool_queued(sp, true) == 1 && spool_rec_seq(a) == 1,
		   "requeued record moves to the historical queue");
	}
	n = drain_check(sp, false, &first, &last, true);
	ok(n == 999 && first == 1 && last == 999,
	   "live records in order with intact payloads (%d)", n);
	spool_close(sp);
	sp = open_sp(1 << 20, 16 << 10, SPOOL_DROP_OLDEST);
	ok(sp && spool_queued(sp, true) == 1 && spool_stats(sp)->recovered == 1,
	   "after reopen only the unacked record is left, historical");
	n = drain_check(sp, true, &first, &last, true);
	ok(n == 1 && first == 0, "it is record 0");
	ok(spool_stats(sp)->records == 0, "empty after all acks");
	spool_close(sp);
	sp = open_sp(1 << 20, 16 << 10, SPOOL_DROP_OLDEST);
	ok(sp && spool_stats(sp)->recovered == 0 && spool_stats(sp)->bytes == 0,
	   "acked records never come back; segments deleted");
	spool_close(sp);
	rmdir_all();
}

static void test_full(void)
{
	struct spool *sp = open_sp(64 << 10, 8 << 10, SPOOL_STOP_ACCEPTING);
	char pl[128];
	int refused = 0, accepted = 0;

	for (unsigned long i = 0; i < 2000; i++) {
		int l = payload(pl, sizeof(pl), i);
		int rc = spool_append(sp, "t/x", pl, (size_t)l, false);

		if (rc == -ENOSPC)
			refused++;
		else if (!rc)
			accepted++;
	}
	spool_commit(sp);
	ok(refused > 0 && spool_stats(sp)->dropped_full == (uint64_t)refused &&
		   spool_stats(sp)->bytes <= 64 << 10,
	   "stop-accepting: %d refused and counted, size bound held", refused);
	ok(spool_queued(sp, false) == (unsigned int)accepted &&
		   spool_stats(sp)->dropped_oldest == 0,
	   "stop-accepting keeps the oldest");
	spool_close(sp);
	rmdir_all();

	sp = open_sp(64 << 10, 8 << 10, SPOOL_DROP_OLDEST);
	for (unsigned long i = 0; i < 2000; i++) {
		int l = payload(pl, sizeof(pl), i);

		spool_append(sp, "t/x", pl, (size_t)l, false);
		if (i % 100 == 99)
			spool_commit(sp);
	}
	spool_commit(sp);
	{
		const struct spool_stats *st = spool_stats(sp);
		unsigned long first = 0, last = 0;
		uint64_t q = spool_queued(sp, false);
		int n;

		ok(st->dropped_oldest > 0 && st->dropped_full == 0 &&
			   st->bytes <= 64 << 10 &&
			   q + st->dropped_oldest == 2000,
		   "drop-oldest: %llu dropped and counted, %llu kept, bound held",
		   (unsigned long long)st->dropped_oldest,
		   (unsigned long long)q);
		n = drain_check(sp, false, &first, &last, true);
		ok(n == (int)q && last == 1999 && first == 2000 - q,
		   "drop-oldest keeps the newest, in order");
	}
	spool_close(sp);
	rmdir_all();
}

/* Records 0..9 in one segment, committed, and the spool closed. */
static void write_ten_and_close(struct spool *sp)
{
	char pl[128];

	for (unsigned long i = 0; i < 10; i++) {
		int l = payload(pl, sizeof(pl), i);

		spool_append(sp, "t/x", pl, (size_t)l, false);
	}
	spool_commit(sp);
	spool_close(sp);
}

static void test_corrupt(void)
{
	struct spool *sp = open_sp(1 << 20, 64 << 10, SPOOL_DROP_OLDEST);
	unsigned long first = 0, last = 0;
	char path[128];
	int fd, n;

	write_ten_and_close(sp);
	/* Flip one payload byte of the 4th record, append a torn tail. */
	snprintf(path, sizeof(path), "%s/%016x.seg", dir, 1);
	fd = open(path, O_RDWR);
	{
		off_t off = 0;
		uint32_t len;

		for (int i = 0; i < 3; i++) {
			if (pread(fd, &len, 4, off + 4) != 4)
				break;
			off += 24 + len;
		}
		if (pwrite(fd, "#", 1, off + 24 + 8) != 1)
			printf("# pwrite failed\n");
		off = lseek(fd, 0, SEEK_END);
		if (pwrite(fd, "\x32\x32\x53\x50\x40\x00", 6, off) != 6)
			printf("# pwrite failed\n");
	}
	close(fd);
	sp = open_sp(1 << 20, 64 << 10, SPOOL_DROP_OLDEST);
	ok(sp && spool_stats(sp)->corrupt == 1 &&
		   spool_stats(sp)->recovered == 9,
	   "corrupted record detected by CRC and skipped; torn tail cut off");
	n = drain_check(sp, true, &first, &last, true);
	ok(n == 9 && first == 0 && last == 9, "the other 9 survive in order");
	spool_close(sp);
	rmdir_all();
}

/* Offset of record @idx in segment file @fd (records from offset 0). */
static off_t rec_off(int fd, int idx)
{
	off_t off = 0;
	uint32_t len;

	for (int i = 0; i < idx; i++) {
		if (pread(fd, &len, 4, off + 4) != 4)
			break;
		off += 24 + len;
	}
	return off;
}

/*
 * A damaged header (magic, length) hides where its record ends: the
 * intact records after it in the same segment must still be found
 * (they used to be cut off as a "torn tail").
 */
static void test_damaged_header(void)
{
	struct spool *sp = open_sp(1 << 20, 64 << 10, SPOOL_DROP_OLDEST);
	unsigned long first = 0, last = 0;
	char path[128];
	uint32_t len;
	int fd, n;

	write_ten_and_close(sp);
	snprintf(path, sizeof(path), "%s/%016x.seg", dir, 1);
	fd = open(path, O_RDWR);
	if (pwrite(fd, "XXXX", 4, rec_off(fd, 3)) != 4 ||
	    pread(fd, &len, 4, rec_off(fd, 6) + 4) != 4)
		printf("# pwrite/pread failed\n");
	len += 30; /* still inside the file, but wrong */
	if (pwrite(fd, &len, 4, rec_off(fd, 6) + 4) != 4)
		printf("# pwrite failed\n");
	close(fd);
	sp = open_sp(1 << 20, 64 << 10, SPOOL_DROP_OLDEST);
	ok(sp && spool_stats(sp)->corrupt == 2 &&
		   spool_stats(sp)->recovered == 8,
	   "bad magic and bad length: 2 corrupt, the 8 intact records recovered (%llu, %llu)",
	   sp ? (unsigned long long)spool_stats(sp)->corrupt : 0,
	   sp ? (unsigned long long)spool_stats(sp)->recovered : 0);
	n = drain_check(sp, true, &first, &last, true);
	ok(n == 8 && first == 0 && last == 9,
	   "records after the damage survive in order (%d)", n);
	spool_close(sp);
	rmdir_all();
}

/*
 * Child: append batches, commit, report "A <last i>" after each commit;
 * ack the oldest queued records now and then, reporting "T <i>" before
 * and "K <i>" after each spool_ack.  Runs until killed.
 */
static void crash_child(int wfd, unsigned int seed)
{
	struct spool *sp = open_sp(1 << 20, 4 << 10, SPOOL_DROP_OLDEST);
	unsigned long i = 0;
	char pl[128];
	FILE *w = fdopen(wfd, "w");

	srand(seed);
	setvbuf(w, NULL, _IONBF, 0);
	for (;;) {
		int batch = 1 + rand() % 20;
		struct spool_rec *r;

		for (int b = 0; b < batch; b++, i++) {
			int l = payload(pl, sizeof(pl), i);

			spool_append(sp, "t/x", pl, (size_t)l, false);
		}
		if (spool_commit(sp) < 0)
			_exit(3);
		fprintf(w, "A %lu\n", i - 1);
		for (int k = rand() % 15; k > 0 && (r = spool_peek(sp, false));
		     k--) {
			const char *t, *p;
			void *buf;
			size_t len;
			unsigned long j;

			if (spool_read(sp, r, &buf, &t, &p, &len) ||
			    sscanf(p, "{\"i\":%lu", &j) != 1)
				_exit(4);
			free(buf);
			/* Killed between these two lines, the parent cannot
			 * know: "T" marks it may be gone, "K" that it must. */
			fprintf(w, "T %lu\n", j);
			spool_take(sp, r);
			spool_ack(sp, r);
			fprintf(w, "K %lu\n", j);
		}
	}
}

static void test_crash(void)
{
	int rounds = 25, good = 0, total_checked = 0;

	for (int round = 0; round < rounds; round++) {
		static char acked[200000];
		unsigned long accepted_upto = 0, j, x;
		int have_accepted = 0, p[2], status, bad = 0;
		struct spool *sp;
		struct spool_rec *r;
		long prev = -1;
		pid_t pid;
		char c;
		FILE *rd;

		rmdir_all();
		memset(acked, 0, sizeof(acked));
		if (pipe(p))
			return;
		pid = fork();
		if (!pid) {
			close(p[0]);
			crash_child(p[1], (unsigned int)round * 7919u);
		}
		close(p[1]);
		usleep(2000 + (useconds_t)(rand() % 60000));
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		rd = fdopen(p[0], "r");
		while (fscanf(rd, " %c %lu", &c, &x) == 2) {
			if (c == 'A') {
				accepted_upto = x;
				have_accepted = 1;
			} else if (c == 'T' && x < sizeof(acked)) {
				acked[x] = 1;
			} else if (c == 'K' && x < sizeof(acked)) {
				acked[x] = 2;
			}
		}
		fclose(rd);
		sp = open_sp(1 << 20, 4 << 10, SPOOL_DROP_OLDEST);
		if (!sp)
			continue;
		/* Every recovered record: intact, in order, not acked. */
		j = 0;
		while ((r = spool_peek(sp, true))) {
			const char *t, *pl;
			char want[128];
			void *buf;
			size_t len;

			if (spool_read(sp, r, &buf, &t, &pl, &len) ||
			    sscanf(pl, "{\"i\":%lu", &x) != 1) {
				bad++;
				break;
			}
			payload(want, sizeof(want), x);
			if (strcmp(want, pl) || (long)x <= prev ||
			    (x < sizeof(acked) && acked[x] == 2))
				bad++;
			/* Accepted and unacked records below x must all be
			 * here: none may be skipped. */
			for (; j < x && have_accepted; j++)
				if (j <= accepted_upto && !acked[j])
					bad++;
			j = x + 1;
			prev = (long)x;
			free(buf);
			spool_take(sp, r);
			spool_ack(sp, r);
			total_checked++;
		}
		for (; have_accepted && j <= accepted_upto; j++)
			if (!acked[j])
				bad++;
		if (!bad && WIFSIGNALED(status) &&
		    spool_stats(sp)->corrupt == 0)
			good++;
		else
			printf("# round %d: %d problems (accepted up to %lu, status %d)\n",
			       round, bad, accepted_upto, status);
		spool_close(sp);
	}
	ok(good == rounds,
	   "kill -9 at random points x%d: no accepted unacked record lost, no acked one back, order kept (%d records checked)",
	   rounds, total_checked);
	rmdir_all();
}

int main(void)
{
	log_max_level = LOG_LVL_ERR - 1; /* the tests cause the errors */
	snprintf(dir, sizeof(dir), "/tmp/m2mgwd-spool-test-%d", getpid());
	srand((unsigned int)time(NULL));
	rmdir_all();
	test_basic();
	test_full();
	test_corrupt();
	test_damaged_header();
	test_crash();
	return tap_done();
}
