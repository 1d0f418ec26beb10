// SPDX-License-Identifier: GPL-2.0
/*
 * CAN traffic through the rings: every frame arrives once, in order,
 * exact; a stalled reader loses frames with exact accounting while
 * another loses none; poll wakes a sleeping reader; read() returns whole
 * records.  Frames are sent from a child process with sendmmsg while the
 * reader drains, as on a real bus.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "m2mgw_ring.h"
#include "testlib.h"

#define IFNAME "m2mtr0"
#define BATCH  64

/*
 * Send @n frames numbered from 0: frame i carries i in its data, id
 * (i * 7) & 0x7ff, and every @fd_every-th one is an FD frame of 24
 * bytes (0: classic only).  Runs in a child; returns its pid.
 */
static pid_t send_frames(uint64_t n, unsigned int fd_every)
{
	struct canfd_frame frames[BATCH];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	uint64_t sent = 0;
	pid_t pid;
	int s, i;

	pid = fork();
	if (pid)
		return pid;
	/*
	 * vcan loops frames back through netif_rx(), onto the backlog of
	 * the CPU that sent them: a sender that migrates between CPUs can
	 * have its frames captured in another order than it sent them (a
	 * real bus interrupts one CPU).  Stay on one CPU so the order sent
	 * is the order on the "wire".
	 */
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(0, &one);
	sched_setaffinity(0, sizeof(one), &one);
	s = tl_can_socket(IFNAME);
	if (s < 0)
		_exit(1);
	setsockopt(s, SOL_CAN_RAW, CAN_RAW_FILTER, NULL, 0);
	while (sent < n) {
		int k = n - sent < BATCH ? (int)(n - sent) : BATCH, done = 0;

		for (i = 0; i < k; i++) {
			uint64_t seq = sent + (uint64_t)i;
			int fd = fd_every && seq % fd_every == 0;

			memset(&frames[i], 0, sizeof(frames[i]));
			frames[i].can_id = (canid_t)((seq * 7) & 0x7ff);
			frames[i].len = fd ? 24 : 8;
			memcpy(frames[i].data, &seq, sizeof(seq));
			if (fd)
				frames[i].data[23] = 0x5a;
			iov[i].iov_base = &frames[i];
			iov[i].iov_len = fd ? CANFD_MTU : CAN_MTU;
			memset(&mm[i], 0, sizeof(mm[i]));
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		while (done < k) {
			int r = sendmmsg(s, mm + done, (unsigned int)(k - done),
					 0);

			if (r < 0) {
				if (errno == ENOBUFS)
					continue;
				_exit(2);
			}
			done += r;
		}
		sent += (uint64_t)k;
	}
	_exit(0);
}

static int wait_child(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

struct check {
	uint32_t port;
	unsigned int fd_every;
	uint64_t got, bad, next_seq;
	uint64_t t_min, t_last;
	int bad_ts;
	char why[160];
};

static int check_cb(void *ctx, const struct m2mgw_rec *rec)
{
	struct check *c = ctx;
	const struct canfd_frame *cf = (const void *)rec->data;
	uint64_t seq;
	int fd;

	memcpy(&seq, cf->data, sizeof(seq));
	fd = c->fd_every && seq % c->fd_every == 0;
	if (rec->port_id != c->port || rec->seq != c->next_seq ||
	    seq != c->got || cf->can_id != ((seq * 7) & 0x7ff) ||
	    rec->type != (fd ? M2MGW_REC_CANFD : M2MGW_REC_CAN) ||
	    m2mgw_rec_payload_len(rec) != (fd ? sizeof(struct canfd_frame) :
						sizeof(struct can_frame)) ||
	    cf->len != (fd ? 24 : 8) || (fd && cf->data[23] != 0x5a)) {
		if (!c->bad++)
			snprintf(c->why, sizeof(c->why),
				 "rec %llu: seq %llu type %u id %x len %u",
				 (unsigned long long)c->got,
				 (unsigned long long)rec->seq, rec->type,
				 cf->can_id, cf->len);
	}
	/* Software timestamps from one sender only move forward. */
	if (rec->tstamp_ns < c->t_last || rec->tstamp_ns < c->t_min ||
	    (rec->flags & M2MGW_RECF_TS_MASK) == M2MGW_RECF_TS_FIRST_BYTE)
		c->bad_ts++;
	c->t_last = rec->tstamp_ns;
	c->next_seq = rec->seq + 1;
	c->got++;
	return 0;
}

FIXTURE(traffic)
{
	struct tl_nl nl;
	uint32_t port;
};

FIXTURE_SETUP(traffic)
{
	ASSERT_EQ(0, tl_sh("modprobe vcan && (modprobe can_raw || "
			   "modprobe can-raw)"));
	ASSERT_EQ(0, tl_vcan(IFNAME));
	ASSERT_EQ(0, tl_nl_open(&self->nl));
	self->port = tl_port_add_can(&self->nl, IFNAME, "tr0");
	ASSERT_NE(0, self->port);
}

FIXTURE_TEARDOWN(traffic)
{
	tl_port_del(&self->nl, self->port);
	tl_nl_close(&self->nl);
	tl_sh("ip link del " IFNAME);
}

static void drain_until(struct m2mgw_ring *r, struct check *c, uint64_t n,
			pid_t sender, int *sender_rc)
{
	int idle = 0;

	*sender_rc = -1;
	while (c->got < n && idle < 20) {
		if (m2mgw_ring_consume(r, check_cb, c, 0) > 0) {
			idle = 0;
			continue;
		}
		if (sender && waitpid(sender, sender_rc, WNOHANG) == sender) {
			*sender_rc = WIFEXITED(*sender_rc) ?
					     WEXITSTATUS(*sender_rc) :
					     -1;
			sender = 0;
		}
		/* Once the sender is done, 20 empty 100 ms polls end it. */
		if (m2mgw_ring_wait(r, 100) == 0 && !sender)
			idle++;
	}
	if (sender)
		*sender_rc = wait_child(sender);
}

TEST_F_TIMEOUT(traffic, million_frames_arrive_in_order_exact, 900)
{
	const uint64_t n = 1000000;
	struct check c = { .port = self->port, .fd_every = 5 };
	struct m2mgw_ring r;
	struct tl_reply st;
	int rc;

	ASSERT_EQ(0, m2mgw_ring_open(&r, NULL, 1 << 22));
	ASSERT_EQ(0, m2mgw_ring_subscribe(&r, self->port));
	c.t_min = tl_now_ns();
	drain_until(&r, &c, n, send_frames(n, 5), &rc);
	EXPECT_EQ(0, rc);
	EXPECT_EQ(n, c.got);
	EXPECT_EQ(0, c.bad) TH_LOG("%s", c.why);
	EXPECT_EQ(0, c.bad_ts);
	EXPECT_LE(c.t_last, tl_now_ns());
	EXPECT_EQ(0, m2mgw_ring_dropped(&r));
	ASSERT_EQ(0, tl_port_get(&self->nl, self->port, &st));
	EXPECT_EQ(n, st.stats[M2MGW_STATS_A_RX_FRAMES]);
	EXPECT_EQ(0, st.stats[M2MGW_STATS_A_DROP_RING_FULL]);
	m2mgw_ring_close(&r);
}

static int count_cb(void *ctx, const struct m2mgw_rec *rec)
{
	(void)rec;
	(*(uint64_t *)ctx)++;
	return 0;
}

TEST_F_TIMEOUT(traffic, stalled_reader_loses_exactly_what_it_counts, 300)
{
	const uint64_t n = 20000;
	struct check c = { .port = self->port };
	struct m2mgw_ring fast, slow;
	uint64_t slow_got = 0;
	struct tl_reply st;
	int rc;

	ASSERT_EQ(0, m2mgw_ring_open(&fast, NULL, 1 << 22));
	ASSERT_EQ(0, m2mgw_ring_subscribe(&fast, self->port));
	/* 64 KiB holds 1365 classic records: most of n must drop. */
	ASSERT_EQ(0, m2mgw_ring_open(&slow, NULL, 1 << 16));
	ASSERT_EQ(0, m2mgw_ring_subscribe(&slow, M2MGW_PORT_ALL));
	drain_until(&fast, &c, n, send_frames(n, 0), &rc);
	EXPECT_EQ(0, rc);
	EXPECT_EQ(n, c.got);
	EXPECT_EQ(0, c.bad) TH_LOG("%s", c.why);
	EXPECT_EQ(0, m2mgw_ring_dropped(&fast));

	m2mgw_ring_consume(&slow, count_cb, &slow_got, 0);
	EXPECT_EQ((1 << 16) / 48, slow_got);
	EXPECT_EQ(n, slow_got + m2mgw_ring_dropped(&slow));
	EXPECT_EQ(m2mgw_ring_dropped(&slow) * 48, slow.prod->dropped_bytes);
	ASSERT_EQ(0, tl_port_get(&self->nl, self->port, &st));
	EXPECT_EQ(n, st.stats[M2MGW_STATS_A_RX_FRAMES]);
	EXPECT_EQ(m2mgw_ring_dropped(&slow),
		  st.stats[M2MGW_STATS_A_DROP_RING_FULL]);
	m2mgw_ring_close(&slow);
	m2mgw_ring_close(&fast);
}

TEST_F_TIMEOUT(traffic, epoll_wakes_a_sleeping_reader, 120)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct check c = { .port = self->port };
	struct m2mgw_ring r;
	int ep, rounds;

	ASSERT_EQ(0, m2mgw_ring_open(&r, NULL, 1 << 16));
	ASSERT_EQ(0, m2mgw_ring_subscribe(&r, self->port));
	ep = epoll_create1(0);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, r.fd, &ev));
	/* Each round: empty ring, sleep in epoll, one frame wakes us. */
	for (rounds = 0; rounds < 20; rounds++) {
		EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));
		ASSERT_EQ(0, wait_child(send_frames(1, 0)));
		ASSERT_EQ(1, epoll_wait(ep, &out, 1, 10000));
		c.got = 0;
		c.next_seq = (uint64_t)rounds;
		ASSERT_EQ(1, m2mgw_ring_consume(&r, check_cb, &c, 0));
		EXPECT_EQ(0, c.bad) TH_LOG("%s", c.why);
	}
	close(ep);
	m2mgw_ring_close(&r);
}

TEST_F_TIMEOUT(traffic, read_returns_whole_records, 120)
{
	unsigned char buf[48 * 10 + 40];
	struct m2mgw_ring_setup s = { .size = 1 << 16 };
	const struct m2mgw_rec *rec;
	uint64_t got = 0;
	ssize_t n, off;
	int fd;

	fd = open(M2MGW_DEV_PATH, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, M2MGW_IOC_RING_SETUP, &s));
	ASSERT_EQ(0, ioctl(fd, M2MGW_IOC_SUBSCRIBE, &self->port));
	ASSERT_EQ(0, wait_child(send_frames(100, 0)));
	/* A buffer smaller than one record is refused, not truncated. */
	EXPECT_EQ(-1, read(fd, buf, 40));
	EXPECT_EQ(EINVAL, errno);
	while (got < 100) {
		n = read(fd, buf, sizeof(buf));
		ASSERT_LT(0, n);
		/* 10 records fit; the 40 spare bytes never hold a part. */
		ASSERT_EQ(0, n % 48);
		EXPECT_GE(48 * 10, n);
		for (off = 0; off < n; off += 48) {
			rec = (const void *)(buf + off);
			EXPECT_EQ(48, rec->len);
			EXPECT_EQ(got, rec->seq);
			got++;
		}
	}
	EXPECT_EQ(100, got);
	close(fd);
}

TEST_HARNESS_MAIN
