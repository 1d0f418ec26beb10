// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the ring consumer library against a userspace producer
 * that follows the uapi protocol: record fields, the wrap of the double
 * mapping, BUSY and DISCARD records, full-ring accounting, and several
 * producer threads racing one consumer.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "m2mgw_ring.h"
#include "uring.h"

struct collect {
	unsigned int n;
	uint64_t seq[64];
	uint32_t len[64];
	int stop_at;
};

static int collect_cb(void *ctx, const struct m2mgw_rec *rec)
{
	struct collect *c = ctx;

	if (c->stop_at >= 0 && (int)c->n == c->stop_at)
		return 1;
	c->seq[c->n] = rec->seq;
	c->len[c->n] = m2mgw_rec_payload_len(rec);
	c->n++;
	return 0;
}

static void set_hdr(struct m2mgw_rec *h, uint32_t port, uint64_t seq)
{
	memset(h, 0, sizeof(*h));
	h->port_id = port;
	h->type = M2MGW_REC_SERIAL;
	h->flags = M2MGW_RECF_TS_FIRST_BYTE;
	h->tstamp_ns = 1000 + seq;
	h->seq = seq;
}

FIXTURE(ring)
{
	struct m2mgw_uring u;
	struct m2mgw_ring r;
};

FIXTURE_SETUP(ring)
{
	ASSERT_EQ(0, m2mgw_uring_create(&self->u, 4096));
	ASSERT_EQ(0, m2mgw_ring_attach(&self->r, self->u.base, 4096,
				       self->u.page_size));
}

FIXTURE_TEARDOWN(ring)
{
	m2mgw_ring_close(&self->r);
	m2mgw_uring_destroy(&self->u);
}

TEST_F(ring, fields_arrive_exactly)
{
	struct can_frame cf = { .can_id = 0x123,
				.len = 3,
				.data = { 1, 2, 3 } };
	struct m2mgw_rec h;
	const struct m2mgw_rec *rec;

	set_hdr(&h, 7, 42);
	h.type = M2MGW_REC_CAN;
	h.flags = M2MGW_RECF_TS_SKB;
	ASSERT_NE(NULL, m2mgw_uring_write(&self->u, &h, &cf, sizeof(cf), true,
					  false));
	rec = m2mgw_ring_peek(&self->r);
	ASSERT_NE(NULL, rec);
	EXPECT_EQ(M2MGW_REC_HDR_LEN + sizeof(cf), m2mgw_rec_len(rec));
	EXPECT_EQ(7, rec->port_id);
	EXPECT_EQ(M2MGW_REC_CAN, rec->type);
	EXPECT_EQ(M2MGW_RECF_TS_SKB, rec->flags);
	EXPECT_EQ(1042, rec->tstamp_ns);
	EXPECT_EQ(42, rec->seq);
	EXPECT_EQ(0, memcmp(rec->data, &cf, sizeof(cf)));
	m2mgw_ring_advance(&self->r, rec);
	EXPECT_EQ(NULL, m2mgw_ring_peek(&self->r));
	/* Nothing is handed back to the producer until release. */
	EXPECT_EQ(0, self->u.cons->consumer_pos);
	m2mgw_ring_release(&self->r);
	EXPECT_EQ(48, self->u.cons->consumer_pos);
	EXPECT_EQ(0, m2mgw_ring_pending(&self->r));
}

TEST_F(ring, records_cross_the_wrap_whole)
{
	uint8_t payload[1000], *copy;
	const struct m2mgw_rec *rec;
	struct m2mgw_rec h;
	unsigned int i, j, wrapped = 0;
	uint32_t len;

	/* Sizes chosen so records keep landing across the 4 KiB end. */
	for (i = 0; i < 200; i++) {
		len = 1 + (i * 37) % 700;
		for (j = 0; j < len; j++)
			payload[j] = (uint8_t)(i + j);
		set_hdr(&h, 1, i);
		ASSERT_NE(NULL, m2mgw_uring_write(&self->u, &h, payload, len,
						  true, false));
		rec = m2mgw_ring_peek(&self->r);
		ASSERT_NE(NULL, rec);
		if ((self->r.pos & 4095) + m2mgw_rec_len(rec) > 4096)
			wrapped++;
		ASSERT_EQ(len, m2mgw_rec_payload_len(rec));
		copy = (uint8_t *)rec->data;
		for (j = 0; j < len; j++)
			ASSERT_EQ((uint8_t)(i + j), copy[j])
		TH_LOG("rec %u", i);
		m2mgw_ring_advance(&self->r, rec);
		m2mgw_ring_release(&self->r);
	}
	EXPECT_LT(10, wrapped);
}

TEST_F(ring, busy_record_stops_the_consumer)
{
	struct m2mgw_rec h, *busy;
	struct collect c = { .stop_at = -1 };
	uint8_t b = 0xaa;

	set_hdr(&h, 1, 0);
	busy = m2mgw_uring_write(&self->u, &h, &b, 1, false, false);
	ASSERT_NE(NULL, busy);
	h.seq = 1;
	ASSERT_NE(NULL, m2mgw_uring_write(&self->u, &h, &b, 1, true, false));
	/* The later record is committed but must wait for the earlier. */
	EXPECT_EQ(0, m2mgw_ring_consume(&self->r, collect_cb, &c, 0));
	m2mgw_uring_commit(busy, false);
	EXPECT_EQ(2, m2mgw_ring_consume(&self->r, collect_cb, &c, 0));
	EXPECT_EQ(0, c.seq[0]);
	EXPECT_EQ(1, c.seq[1]);
}

TEST_F(ring, discarded_records_are_skipped)
{
	struct m2mgw_rec h;
	struct collect c = { .stop_at = -1 };
	uint8_t b[3] = { 0 };

	set_hdr(&h, 1, 0);
	ASSERT_NE(NULL, m2mgw_uring_write(&self->u, &h, b, 3, true, true));
	h.seq = 1;
	ASSERT_NE(NULL, m2mgw_uring_write(&self->u, &h, b, 2, true, false));
	EXPECT_EQ(1, m2mgw_ring_consume(&self->r, collect_cb, &c, 0));
	EXPECT_EQ(1, c.seq[0]);
	EXPECT_EQ(2, c.len[0]);
	EXPECT_EQ(0, m2mgw_ring_pending(&self->r));
}

TEST_F(ring, full_ring_drops_and_counts)
{
	struct collect c = { .stop_at = -1 };
	uint8_t payload[96] = { 0 };
	struct m2mgw_rec h;
	unsigned int ok = 0, i;

	/* 128-byte records: exactly 32 fit in 4 KiB. */
	for (i = 0; i < 40; i++) {
		set_hdr(&h, 1, i);
		if (m2mgw_uring_write(&self->u, &h, payload, sizeof(payload),
				      true, false))
			ok++;
	}
	EXPECT_EQ(32, ok);
	EXPECT_EQ(8, m2mgw_ring_dropped(&self->r));
	EXPECT_EQ(8 * 128, self->u.prod->dropped_bytes);
	/* Batch of at most 10, then the rest. */
	EXPECT_EQ(10, m2mgw_ring_consume(&self->r, collect_cb, &c, 10));
	/* Space is given back: the producer can write again. */
	set_hdr(&h, 1, 100);
	EXPECT_NE(NULL, m2mgw_uring_write(&self->u, &h, payload,
					  sizeof(payload), true, false));
	c.n = 0;
	EXPECT_EQ(23, m2mgw_ring_consume(&self->r, collect_cb, &c, 0));
	EXPECT_EQ(100, c.seq[22]);
}

TEST_F(ring, callback_can_stop_a_batch)
{
	struct collect c = { .stop_at = 2 };
	struct m2mgw_rec h;
	uint8_t b = 0;
	int i;

	for (i = 0; i < 5; i++) {
		set_hdr(&h, 1, i);
		ASSERT_NE(NULL,
			  m2mgw_uring_write(&self->u, &h, &b, 1, true, false));
	}
	EXPECT_EQ(2, m2mgw_ring_consume(&self->r, collect_cb, &c, 0));
	c.stop_at = -1;
	c.n = 0;
	/* The refused record is delivered again. */
	EXPECT_EQ(3, m2mgw_ring_consume(&self->r, collect_cb, &c, 0));
	EXPECT_EQ(2, c.seq[0]);
}

TEST(rec_build_pads_with_zeroes)
{
	uint8_t buf[64];
	uint8_t payload[5] = { 1, 2, 3, 4, 5 };
	struct m2mgw_rec *rec = (void *)buf;

	memset(buf, 0xff, sizeof(buf));
	EXPECT_EQ(40, m2mgw_rec_build(buf, sizeof(buf), 3, M2MGW_REC_SERIAL,
				      payload, 5));
	EXPECT_EQ(37, rec->len);
	EXPECT_EQ(3, rec->port_id);
	EXPECT_EQ(0, rec->flags | rec->reserved);
	EXPECT_EQ(0, rec->tstamp_ns | rec->seq);
	EXPECT_EQ(0, buf[37] | buf[38] | buf[39]);
	EXPECT_EQ(0, m2mgw_rec_build(buf, 39, 3, M2MGW_REC_SERIAL, payload, 5));
}

#define PRODUCERS    4
#define PER_PRODUCER 200000

struct race {
	struct m2mgw_uring *u;
	uint32_t port;
	uint64_t dropped;
};

static void *producer(void *arg)
{
	struct race *r = arg;
	struct m2mgw_rec h;
	uint64_t i, payload;

	for (i = 0; i < PER_PRODUCER; i++) {
		set_hdr(&h, r->port, i);
		payload = i * 2654435761u;
		if (!m2mgw_uring_write(r->u, &h, &payload, sizeof(payload),
				       true, false))
			r->dropped++;
	}
	return NULL;
}

struct verify {
	uint64_t next[PRODUCERS];
	uint64_t got[PRODUCERS];
	int bad;
};

static int verify_cb(void *ctx, const struct m2mgw_rec *rec)
{
	struct verify *v = ctx;
	uint64_t payload;

	memcpy(&payload, rec->data, sizeof(payload));
	/* Per producer, seq only grows (gaps are drops), data matches. */
	if (rec->port_id >= PRODUCERS || rec->seq < v->next[rec->port_id] ||
	    payload != rec->seq * 2654435761u)
		v->bad++;
	else
		v->next[rec->port_id] = rec->seq + 1;
	v->got[rec->port_id < PRODUCERS ? rec->port_id : 0]++;
	return 0;
}

TEST(concurrent_producers_lose_nothing_uncounted)
{
	struct race races[PRODUCERS];
	pthread_t th[PRODUCERS];
	struct verify v = { 0 };
	struct m2mgw_uring u;
	struct m2mgw_ring r;
	uint64_t got = 0, dropped = 0;
	int i, alive;

	ASSERT_EQ(0, m2mgw_uring_create(&u, 1 << 16));
	ASSERT_EQ(0, m2mgw_ring_attach(&r, u.base, 1 << 16, u.page_size));
	for (i = 0; i < PRODUCERS; i++) {
		races[i] = (struct race){ .u = &u, .port = (uint32_t)i };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, producer, &races[i]));
	}
	do {
		alive = __atomic_load_n(&u.prod->producer_pos,
					__ATOMIC_ACQUIRE) != r.pos;
		m2mgw_ring_consume(&r, verify_cb, &v, 256);
		for (i = 0, got = 0; i < PRODUCERS; i++)
			got += v.got[i];
	} while (alive || got + m2mgw_ring_dropped(&r) <
				  (uint64_t)PRODUCERS * PER_PRODUCER);
	for (i = 0; i < PRODUCERS; i++) {
		pthread_join(th[i], NULL);
		dropped += races[i].dropped;
	}
	m2mgw_ring_consume(&r, verify_cb, &v, 0);
	for (i = 0, got = 0; i < PRODUCERS; i++)
		got += v.got[i];
	EXPECT_EQ(0, v.bad);
	EXPECT_EQ(dropped, m2mgw_ring_dropped(&r));
	EXPECT_EQ((uint64_t)PRODUCERS * PER_PRODUCER, got + dropped);
	m2mgw_ring_close(&r);
	m2mgw_uring_destroy(&u);
}

TEST_HARNESS_MAIN
