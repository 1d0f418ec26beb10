// SPDX-License-Identifier: GPL-2.0
/*
 * m2mgw-bench-ring: the consumer library's cost per frame, on the host.
 * A userspace producer (lib/uring, the uapi layout on a memfd) writes
 * BATCH CAN records, then m2mgw_ring_consume() takes them all; ROUNDS
 * times.  Run it under `valgrind --tool=callgrind
 * --toggle-collect=m2mgw_ring_consume` for instruction counts per frame
 * (stable on a noisy machine), or plainly for frames/s per core.
 *
 *   ringbench [ROUNDS [BATCH]]
 */
#include <linux/can.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "m2mgw_ring.h"
#include "uring.h"

struct sink {
	uint64_t n, sum;
};

static int sink_cb(void *ctx, const struct m2mgw_rec *rec)
{
	struct sink *s = ctx;
	const struct can_frame *cf = (const void *)rec->data;

	s->n++;
	s->sum += cf->can_id + rec->seq;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long rounds = argc > 1 ? strtoul(argv[1], NULL, 0) : 1000;
	unsigned int batch = argc > 2 ? strtoul(argv[2], NULL, 0) : 1024;
	struct can_frame cf = { .len = 8 };
	struct m2mgw_uring u;
	struct m2mgw_ring r;
	struct m2mgw_rec h;
	struct sink s = { 0 };
	double t_prod = 0, t_cons = 0, t;
	uint64_t seq = 0;
	unsigned long i;
	unsigned int j;

	if (m2mgw_uring_create(&u, 1 << 20) ||
	    m2mgw_ring_attach(&r, u.base, 1 << 20, u.page_size)) {
		fprintf(stderr, "ringbench: cannot set the ring up\n");
		return 1;
	}
	memset(&h, 0, sizeof(h));
	h.type = M2MGW_REC_CAN;
	h.port_id = 1;
	for (i = 0; i < rounds; i++) {
		t = now_s();
		for (j = 0; j < batch; j++, seq++) {
			h.seq = seq;
			h.tstamp_ns = seq;
			cf.can_id = (canid_t)(seq & 0x7ff);
			memcpy(cf.data, &seq, sizeof(seq));
			if (!m2mgw_uring_write(&u, &h, &cf, sizeof(cf), true,
					       false)) {
				fprintf(stderr, "ringbench: ring full\n");
				return 1;
			}
		}
		t_prod += now_s() - t;
		t = now_s();
		if (m2mgw_ring_consume(&r, sink_cb, &s, 0) != (int)batch) {
			fprintf(stderr, "ringbench: short batch\n");
			return 1;
		}
		t_cons += now_s() - t;
	}
	if (s.n != seq) {
		fprintf(stderr, "ringbench: lost records\n");
		return 1;
	}
	printf("frames=%llu batch=%u consume_fps=%.0f produce_fps=%.0f check=%llu\n",
	       (unsigned long long)s.n, batch, s.n / t_cons, s.n / t_prod,
	       (unsigned long long)s.sum);
	m2mgw_ring_close(&r);
	m2mgw_uring_destroy(&u);
	return 0;
}
