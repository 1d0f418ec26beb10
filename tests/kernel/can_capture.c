// SPDX-License-Identifier: GPL-2.0
/*
 * CAN ports end to end, frame by frame: what is captured (classic, FD,
 * XL, error frames, filters incl. CAN_INV_FILTER, changed at run time),
 * how it is stamped, and TX through write() seen by a raw CAN socket,
 * with malformed and undeliverable records refused and nothing sent.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/wait.h>
#include <linux/can/error.h>

#include "kselftest_harness.h"
#include "portlib.h"

#define IF0 "m2mc0"

FIXTURE(can)
{
	struct pl nl;
	uint32_t port;
	struct m2mgw_ring r;
	struct pl_collect got;
	int s; /* raw CAN socket on IF0, FD enabled */
};

FIXTURE_SETUP(can)
{
	ASSERT_EQ(0, tl_sh("modprobe vcan && (modprobe can_raw || "
			   "modprobe can-raw)"));
	ASSERT_EQ(0, tl_vcan(IF0));
	ASSERT_EQ(0, pl_open(&self->nl));
	self->port = pl_port(&self->nl, IF0, NULL);
	ASSERT_NE(0, self->port);
	ASSERT_EQ(0, m2mgw_ring_open(&self->r, NULL, 1 << 16));
	ASSERT_EQ(0, m2mgw_ring_subscribe(&self->r, self->port));
	pl_collect_init(&self->got, 4096);
	ASSERT_NE(NULL, self->got.recs);
	self->s = tl_can_socket(IF0);
	ASSERT_LE(0, self->s);
}

FIXTURE_TEARDOWN(can)
{
	close(self->s);
	m2mgw_ring_close(&self->r);
	free(self->got.recs);
	pl_del(&self->nl, self->port);
	pl_close(&self->nl);
	tl_sh("ip link del " IF0 " 2>/dev/null");
}

/* Send frames with ids @ids, data = index; return the captured ids. */
static int send_ids(int s, const canid_t *ids, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (pl_send(s, ids[i], &i, 1, 0))
			return -1;
	return 0;
}

static int captured(struct pl_collect *c, canid_t id)
{
	int i, k = 0;

	for (i = 0; i < c->n; i++)
		if (c->recs[i].fd.can_id == id)
			k++;
	return k;
}

TEST_F(can, classic_and_fd_exact_with_seq_and_timestamps)
{
	struct pl_port p;
	uint8_t d[64];
	uint64_t t0, t1;
	int i;

	for (i = 0; i < 64; i++)
		d[i] = (uint8_t)(i * 3 + 1);
	t0 = tl_now_ns();
	ASSERT_EQ(0, pl_send(self->s, 0x123, d, 8, 0));
	ASSERT_EQ(0, pl_send(self->s, 0x1abcdef0 | CAN_EFF_FLAG, d, 3, 0));
	ASSERT_EQ(0, pl_send(self->s, 0x7ff, d, 64, 1));
	ASSERT_EQ(0, pl_send(self->s, 0x42 | CAN_RTR_FLAG, d, 0, 0));
	ASSERT_EQ(0, pl_send(self->s, 0x55, d, 12, 1));
	ASSERT_EQ(5, pl_drain(&self->r, &self->got, 300));
	t1 = tl_now_ns();

	for (i = 0; i < 5; i++) {
		struct pl_rec *p = &self->got.recs[i];

		EXPECT_EQ(self->port, p->port_id);
		EXPECT_EQ(i, p->seq);
		EXPECT_EQ(M2MGW_RECF_TS_SKB, p->flags & M2MGW_RECF_TS_MASK);
		EXPECT_LE(t0, p->tstamp_ns);
		EXPECT_GE(t1, p->tstamp_ns);
		/* Sent by a socket on this host. */
		EXPECT_TRUE(p->flags & M2MGW_RECF_TX_ECHO);
		EXPECT_FALSE(p->flags & M2MGW_RECF_ERR_FRAME);
		if (i)
			EXPECT_LE(self->got.recs[i - 1].tstamp_ns,
				  p->tstamp_ns);
	}
	EXPECT_EQ(M2MGW_REC_CAN, self->got.recs[0].type);
	EXPECT_EQ(CAN_MTU, self->got.recs[0].plen);
	EXPECT_EQ(0x123, self->got.recs[0].fd.can_id);
	EXPECT_EQ(8, self->got.recs[0].fd.len);
	EXPECT_EQ(0, memcmp(d, self->got.recs[0].fd.data, 8));
	EXPECT_EQ(0x1abcdef0 | CAN_EFF_FLAG, self->got.recs[1].fd.can_id);
	EXPECT_EQ(3, self->got.recs[1].fd.len);
	EXPECT_EQ(M2MGW_REC_CANFD, self->got.recs[2].type);
	EXPECT_EQ(CANFD_MTU, self->got.recs[2].plen);
	EXPECT_EQ(64, self->got.recs[2].fd.len);
	EXPECT_EQ(0, memcmp(d, self->got.recs[2].fd.data, 64));
	EXPECT_EQ(0x42 | CAN_RTR_FLAG, self->got.recs[3].fd.can_id);
	EXPECT_EQ(M2MGW_REC_CAN, self->got.recs[3].type);
	EXPECT_EQ(12, self->got.recs[4].fd.len);
	EXPECT_EQ(M2MGW_REC_CANFD, self->got.recs[4].type);
	ASSERT_EQ(0, pl_get(&self->nl, self->port, &p));
	EXPECT_EQ(5, p.stats[M2MGW_STATS_A_RX_FRAMES]);
	EXPECT_EQ(8 + 3 + 64 + 0 + 12, p.stats[M2MGW_STATS_A_RX_BYTES]);
}

TEST_F(can, error_frames_captured_and_flagged)
{
	canid_t eid = CAN_ERR_FLAG | CAN_ERR_BUSOFF;
	const struct can_filter f = { 0x10, CAN_SFF_MASK };
	const struct can_filter fe[2] = {
		{ 0x10, CAN_SFF_MASK },
		{ 0, CAN_ERR_FLAG | CAN_ERR_BUSOFF },
	};
	uint8_t d[8] = { 0 };

	ASSERT_EQ(0, pl_send(self->s, eid, d, CAN_ERR_DLC, 0));
	ASSERT_EQ(0, pl_send(self->s, 0x10, d, 1, 0));
	ASSERT_EQ(2, pl_drain(&self->r, &self->got, 300));
	EXPECT_EQ(eid, self->got.recs[0].fd.can_id);
	EXPECT_TRUE(self->got.recs[0].flags & M2MGW_RECF_ERR_FRAME);
	EXPECT_FALSE(self->got.recs[1].flags & M2MGW_RECF_ERR_FRAME);

	/* A data filter alone does not take error frames ... */
	ASSERT_EQ(0, pl_set_simple(&self->nl, self->port, &f, 1, -1));
	ASSERT_EQ(0, pl_send(self->s, eid, d, CAN_ERR_DLC, 0));
	ASSERT_EQ(0, pl_send(self->s, 0x10, d, 1, 0));
	ASSERT_EQ(1, pl_drain(&self->r, &self->got, 300));
	EXPECT_EQ(0x10, self->got.recs[2].fd.can_id);
	/* ... an error-class filter does, as on CAN_RAW. */
	ASSERT_EQ(0, pl_set_simple(&self->nl, self->port, fe, 2, -1));
	ASSERT_EQ(0, pl_send(self->s, eid, d, CAN_ERR_DLC, 0));
	ASSERT_EQ(0, pl_send(self->s, CAN_ERR_FLAG | CAN_ERR_CRTL, d,
			     CAN_ERR_DLC, 0));
	ASSERT_EQ(1, pl_drain(&self->r, &self->got, 300));
	EXPECT_EQ(eid, self->got.recs[3].fd.can_id);
}

TEST_F(can, filters_honoured_and_changed_at_run_time)
{
	const canid_t ids[] = { 0x100, 0x101, 0x1ff,
				0x200, 0x7ff, 0x100 | CAN_EFF_FLAG };
	const struct can_filter exact[2] = {
		{ 0x100, CAN_SFF_MASK | CAN_EFF_FLAG | CAN_RTR_FLAG },
		/* Overlaps the first: still captured once. */
		{ 0x100, 0x700 },
	};
	const struct can_filter inv = { 0x100 | CAN_INV_FILTER, 0x700 };
	struct pl_port p;
	uint64_t rx0;

	ASSERT_EQ(0, pl_set_simple(&self->nl, self->port, exact, 2, -1));
	ASSERT_EQ(0, send_ids(self->s, ids, 6));
	/*
	 * 0x100 matches both filters and is captured once; a mask without
	 * CAN_EFF_FLAG lets the extended id 0x100 through, as on CAN_RAW.
	 */
	ASSERT_EQ(4, pl_drain(&self->r, &self->got, 300));
	EXPECT_EQ(1, captured(&self->got, 0x100));
	EXPECT_EQ(1, captured(&self->got, 0x101));
	EXPECT_EQ(1, captured(&self->got, 0x1ff));
	EXPECT_EQ(1, captured(&self->got, 0x100 | CAN_EFF_FLAG));
	/* seq counts captured frames only: contiguous. */
	EXPECT_EQ(self->got.recs[0].seq + 3, self->got.recs[3].seq);
	ASSERT_EQ(0, pl_get(&self->nl, self->port, &p));
	rx0 = p.stats[M2MGW_STATS_A_RX_FRAMES];
	EXPECT_EQ(4, rx0);

	/* Inverted: everything whose id & 0x700 is not 0x100. */
	self->got.n = 0;
	ASSERT_EQ(0, pl_set_simple(&self->nl, self->port, &inv, 1, -1));
	ASSERT_EQ(0, send_ids(self->s, ids, 6));
	ASSERT_EQ(2, pl_drain(&self->r, &self->got, 300));
	EXPECT_EQ(1, captured(&self->got, 0x200));
	EXPECT_EQ(1, captured(&self->got, 0x7ff));

	/* No filters again: everything. */
	self->got.n = 0;
	ASSERT_EQ(0, pl_set_simple(&self->nl, self->port, NULL, 0, -1));
	ASSERT_EQ(0, send_ids(self->s, ids, 6));
	ASSERT_EQ(6, pl_drain(&self->r, &self->got, 300));

	/* Disabled: nothing captured, nothing counted. */
	self->got.n = 0;
	ASSERT_EQ(0, pl_set_simple(&self->nl, self->port, NULL, -1, 0));
	ASSERT_EQ(0, send_ids(self->s, ids, 6));
	EXPECT_EQ(0, pl_drain(&self->r, &self->got, 200));
	ASSERT_EQ(0, pl_get(&self->nl, self->port, &p));
	EXPECT_EQ(rx0 + 2 + 6, p.stats[M2MGW_STATS_A_RX_FRAMES]);
}

TEST_F_TIMEOUT(can, filter_change_under_traffic_loses_nothing, 120)
{
	/* Two filter sets that both pass id 0x321: switch while sending. */
	const struct can_filter a = { 0x321, CAN_SFF_MASK };
	const struct can_filter b[2] = { { 0x300, 0x700 }, { 0x21, 0xff } };
	const int n = 20000;
	int i, rc, st, bad = 0;
	pid_t pid;

	self->got.n = 0;
	free(self->got.recs);
	pl_collect_init(&self->got, n + 16);
	ASSERT_NE(NULL, self->got.recs);
	m2mgw_ring_close(&self->r);
	ASSERT_EQ(0, m2mgw_ring_open(&self->r, NULL, 1 << 21));
	ASSERT_EQ(0, m2mgw_ring_subscribe(&self->r, self->port));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int s = tl_can_socket(IF0);

		for (i = 0; i < n; i++)
			while (pl_send(s, 0x321, &i, 4, 0))
				usleep(100);
		_exit(0);
	}
	for (i = 0; i < 40; i++) {
		rc = pl_set_simple(&self->nl, self->port, i % 2 ? &a : b,
				   i % 2 ? 1 : 2, -1);
		if (rc)
			bad++;
		m2mgw_ring_consume(&self->r, pl_collect_cb, &self->got, 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, bad);
	pl_drain(&self->r, &self->got, 500);
	ASSERT_EQ(n, self->got.n);
	for (i = 0; i < n; i++) {
		int v;

		memcpy(&v, self->got.recs[i].fd.data, sizeof(v));
		if (v != i || self->got.recs[i].seq !=
				      self->got.recs[0].seq + (uint64_t)i) {
			EXPECT_EQ(i, v);
			break;
		}
	}
	EXPECT_EQ(0, m2mgw_ring_dropped(&self->r));
}

static int tx_record(int fd, uint32_t port, uint16_t type, canid_t id, int len)
{
	struct canfd_frame f;
	int i;

	memset(&f, 0, sizeof(f));
	f.can_id = id;
	f.len = (uint8_t)len;
	for (i = 0; i < len && i < 64; i++)
		f.data[i] = (uint8_t)(0xa0 + i);
	return (int)pl_write_rec(fd, port, type, &f,
				 type == M2MGW_REC_CAN ? CAN_MTU : CANFD_MTU);
}

TEST_F(can, tx_write_seen_on_the_bus_and_counted)
{
	struct can_frame c1 = { .can_id = 0x1, .len = 1 };
	struct can_frame c2 = { .can_id = 0x2, .len = 2 };
	uint8_t buf[256];
	struct canfd_frame f;
	size_t k;
	struct pl_port p;
	int i;

	EXPECT_LT(0,
		  tx_record(self->r.fd, self->port, M2MGW_REC_CAN, 0x333, 8));
	ASSERT_EQ(CAN_MTU, pl_recv(self->s, &f, 1000));
	EXPECT_EQ(0x333, f.can_id);
	EXPECT_EQ(8, f.len);
	for (i = 0; i < 8; i++)
		EXPECT_EQ(0xa0 + i, f.data[i]);
	EXPECT_LT(0, tx_record(self->r.fd, self->port, M2MGW_REC_CANFD,
			       0x1234567 | CAN_EFF_FLAG, 48));
	ASSERT_EQ(CANFD_MTU, pl_recv(self->s, &f, 1000));
	EXPECT_EQ(0x1234567 | CAN_EFF_FLAG, f.can_id);
	EXPECT_EQ(48, f.len);
	EXPECT_EQ(0xa0 + 47, f.data[47]);

	/* Two records in one write, sent in order. */
	k = m2mgw_rec_build(buf, sizeof(buf), self->port, M2MGW_REC_CAN, &c1,
			    sizeof(c1));
	k += m2mgw_rec_build(buf + k, sizeof(buf) - k, self->port,
			     M2MGW_REC_CAN, &c2, sizeof(c2));
	EXPECT_EQ((ssize_t)k, write(self->r.fd, buf, k));
	ASSERT_EQ(CAN_MTU, pl_recv(self->s, &f, 1000));
	EXPECT_EQ(0x1, f.can_id);
	ASSERT_EQ(CAN_MTU, pl_recv(self->s, &f, 1000));
	EXPECT_EQ(0x2, f.can_id);

	/* The port's reader sees what went out, without a sender socket. */
	ASSERT_EQ(4, pl_drain(&self->r, &self->got, 300));
	EXPECT_EQ(0x333, self->got.recs[0].fd.can_id);
	EXPECT_FALSE(self->got.recs[0].flags & M2MGW_RECF_TX_ECHO);
	ASSERT_EQ(0, pl_get(&self->nl, self->port, &p));
	EXPECT_EQ(4, p.stats[M2MGW_STATS_A_TX_FRAMES]);
	EXPECT_EQ(8 + 48 + 1 + 2, p.stats[M2MGW_STATS_A_TX_BYTES]);
	EXPECT_EQ(0, p.stats[M2MGW_STATS_A_TX_ERRORS]);
}

TEST_F(can, tx_malformed_refused_nothing_sent)
{
	struct can_frame ok = { .can_id = 0x1, .len = 1 };
	struct can_frame bad = { .can_id = 0x2, .len = 15 };
	uint8_t buf[256];
	struct canfd_frame f;
	size_t k;
	struct pl_port p;
	int fd = self->r.fd;

	/* Classic with len 9; FD with a length no DLC has; wrong sizes. */
	EXPECT_EQ(-EINVAL, tx_record(fd, self->port, M2MGW_REC_CAN, 1, 9));
	EXPECT_EQ(-EINVAL, tx_record(fd, self->port, M2MGW_REC_CANFD, 1, 13));
	EXPECT_EQ(-EINVAL, tx_record(fd, self->port, M2MGW_REC_CANFD, 1, 65));
	memset(&f, 0, sizeof(f));
	EXPECT_EQ(-EINVAL,
		  pl_write_rec(fd, self->port, M2MGW_REC_CAN, &f, CAN_MTU - 1));
	EXPECT_EQ(-EINVAL,
		  pl_write_rec(fd, self->port, M2MGW_REC_CANFD, &f, CAN_MTU));
	EXPECT_EQ(-EINVAL,
		  pl_write_rec(fd, self->port, M2MGW_REC_SERIAL, &f, 4));
	EXPECT_EQ(-EINVAL, pl_write_rec(fd, self->port, 99, &f, CAN_MTU));
	/* A good record followed by a bad one: neither is sent. */
	k = m2mgw_rec_build(buf, sizeof(buf), self->port, M2MGW_REC_CAN, &ok,
			    sizeof(ok));
	k += m2mgw_rec_build(buf + k, sizeof(buf) - k, self->port,
			     M2MGW_REC_CAN, &bad, sizeof(bad));
	EXPECT_EQ(-1, write(fd, buf, k));
	EXPECT_EQ(EINVAL, errno);
	/* FD on a device whose MTU is classic only. */
	ASSERT_EQ(0, tl_sh("ip link set " IF0 " down && ip link set " IF0
			   " mtu 16 && ip link set " IF0 " up"));
	EXPECT_EQ(-EINVAL, tx_record(fd, self->port, M2MGW_REC_CANFD, 1, 8));
	/* Unknown port. */
	EXPECT_EQ(-ENODEV, tx_record(fd, 0x7ffffff0, M2MGW_REC_CAN, 1, 1));
	/* The link went down meanwhile: a new socket, without ENETDOWN. */
	close(self->s);
	self->s = tl_can_socket(IF0);
	ASSERT_LE(0, self->s);
	EXPECT_EQ(-EINVAL, tx_record(fd, self->port, M2MGW_REC_CAN, 1, 9));

	EXPECT_EQ(-ETIMEDOUT, pl_recv(self->s, &f, 300));
	ASSERT_EQ(0, pl_get(&self->nl, self->port, &p));
	EXPECT_EQ(0, p.stats[M2MGW_STATS_A_TX_FRAMES]);
	EXPECT_EQ(0, pl_drain(&self->r, &self->got, 100));
}

TEST_F(can, tx_to_a_port_not_up_is_enetdown)
{
	struct canfd_frame f;
	int fd = self->r.fd;

	ASSERT_EQ(0, tl_sh("ip link set " IF0 " down"));
	EXPECT_EQ(-ENETDOWN, tx_record(fd, self->port, M2MGW_REC_CAN, 1, 1));
	ASSERT_EQ(0, tl_sh("ip link set " IF0 " up"));
	ASSERT_EQ(0, pl_set_simple(&self->nl, self->port, NULL, -1, 0));
	EXPECT_EQ(-ENETDOWN, tx_record(fd, self->port, M2MGW_REC_CAN, 1, 1));
	ASSERT_EQ(0, pl_set_simple(&self->nl, self->port, NULL, -1, 1));
	/* The link went down meanwhile: a new socket, without ENETDOWN. */
	close(self->s);
	self->s = tl_can_socket(IF0);
	ASSERT_LE(0, self->s);
	EXPECT_LT(0, tx_record(fd, self->port, M2MGW_REC_CAN, 7, 1));
	ASSERT_EQ(CAN_MTU, pl_recv(self->s, &f, 1000));
	EXPECT_EQ(7, f.can_id);
	close(self->s);
	self->s = -1;
	ASSERT_EQ(0, tl_sh("ip link del " IF0));
	EXPECT_EQ(-ENETDOWN, tx_record(fd, self->port, M2MGW_REC_CAN, 1, 1));
}

TEST_F(can, canxl_captured_and_sent_where_supported)
{
	uint8_t buf[sizeof(struct canxl_frame)];
	struct canxl_frame *x = (void *)buf;
	int s, on = 1, i;
	struct sockaddr_can addr = { .can_family = AF_CAN };

	if (tl_sh("ip link set " IF0 " down && ip link set " IF0
		  " mtu %d 2>/dev/null && ip link set " IF0 " up",
		  (int)CANXL_MTU))
		SKIP(return, "vcan has no CAN XL on this kernel");
	s = socket(PF_CAN, SOCK_RAW, CAN_RAW);
	ASSERT_LE(0, s);
	if (setsockopt(s, SOL_CAN_RAW, CAN_RAW_XL_FRAMES, &on, sizeof(on)))
		SKIP(close(s); return, "CAN_RAW_XL_FRAMES unsupported");
	addr.can_ifindex = (int)if_nametoindex(IF0);
	ASSERT_EQ(0, bind(s, (struct sockaddr *)&addr, sizeof(addr)));
	memset(buf, 0, sizeof(buf));
	x->prio = 0x42;
	x->flags = CANXL_XLF;
	x->sdt = 0x03;
	x->af = 0x1234;
	x->len = 100;
	for (i = 0; i < 100; i++)
		x->data[i] = (uint8_t)i;
	ASSERT_EQ(CANXL_HDR_SIZE + 100, write(s, buf, CANXL_HDR_SIZE + 100));
	ASSERT_EQ(1, pl_drain(&self->r, &self->got, 300));
	EXPECT_EQ(M2MGW_REC_CANXL, self->got.recs[0].type);
	EXPECT_EQ(CANXL_HDR_SIZE + 100, self->got.recs[0].plen);
	EXPECT_EQ(0, memcmp(buf, self->got.recs[0].raw, CANXL_HDR_SIZE + 100));

	/* And out through write(). */
	x->prio = 0x43;
	EXPECT_LT(0, pl_write_rec(self->r.fd, self->port, M2MGW_REC_CANXL, buf,
				  CANXL_HDR_SIZE + 100));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(CANXL_HDR_SIZE + 100, read(s, buf, sizeof(buf)));
	EXPECT_EQ(0x43, x->prio);
	EXPECT_EQ(99, x->data[99]);
	/* Length that does not match the header: refused. */
	x->len = 50;
	EXPECT_EQ(-EINVAL, pl_write_rec(self->r.fd, self->port, M2MGW_REC_CANXL,
					buf, CANXL_HDR_SIZE + 100));
	close(s);
}

TEST_HARNESS_MAIN
