// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetimes under traffic: the device unregistered while frames flow,
 * readers closed and unmapped while frames flow, rmmod while a reader is
 * open, and ports and readers created and destroyed in a loop.  What
 * these assert besides their own checks is that the kernel stays quiet:
 * the VM harness fails the run on any BUG/WARNING/refcount line.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "m2mgw_ring.h"
#include "testlib.h"

/* Flood @ifname with classic frames until killed. */
static pid_t flood(const char *ifname)
{
	struct can_frame cf = { .can_id = 0x7, .len = 8 };
	pid_t pid = fork();
	int s;

	if (pid)
		return pid;
	s = tl_can_socket(ifname);
	setsockopt(s, SOL_CAN_RAW, CAN_RAW_FILTER, NULL, 0);
	for (;;)
		if (write(s, &cf, sizeof(cf)) < 0 && errno != ENOBUFS)
			usleep(1000);
}

static void stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int count_cb(void *ctx, const struct m2mgw_rec *rec)
{
	(void)rec;
	(*(uint64_t *)ctx)++;
	return 0;
}

/* No state: the fixture is there for TEST_F_TIMEOUT (TCG is slow). */
FIXTURE(life)
{
	int unused;
};

FIXTURE_SETUP(life)
{
	ASSERT_EQ(0, tl_sh("modprobe vcan && (modprobe can_raw || "
			   "modprobe can-raw)"));
}

FIXTURE_TEARDOWN(life)
{
}

TEST_F_TIMEOUT(life, device_unregistered_under_traffic, 300)
{
	struct m2mgw_ring r;
	struct tl_reply st;
	struct tl_nl nl;
	uint64_t got = 0;
	uint32_t id;
	int i;
	pid_t f;

	ASSERT_EQ(0, tl_nl_open(&nl));
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, tl_vcan("m2ml0"));
		id = tl_port_add_can(&nl, "m2ml0", "l0");
		ASSERT_NE(0, id);
		ASSERT_EQ(0, m2mgw_ring_open(&r, NULL, 1 << 16));
		ASSERT_EQ(0, m2mgw_ring_subscribe(&r, id));
		f = flood("m2ml0");
		/* Per round: the port's counters start from zero. */
		got = 0;
		while (got < 500)
			if (m2mgw_ring_consume(&r, count_cb, &got, 0) <= 0)
				m2mgw_ring_wait(&r, 100);
		ASSERT_EQ(0, tl_sh("ip link del m2ml0"));
		stop(f);
		/* The port stays, gone, with its counters. */
		ASSERT_EQ(0, tl_port_get(&nl, id, &st));
		EXPECT_EQ(M2MGW_STATE_GONE, st.state);
		EXPECT_LE(got, st.stats[M2MGW_STATS_A_RX_FRAMES]);
		/* Nothing is captured for it any more. */
		m2mgw_ring_consume(&r, count_cb, &got, 0);
		EXPECT_EQ(0, m2mgw_ring_wait(&r, 200));
		ASSERT_EQ(0, tl_port_del(&nl, id));
		m2mgw_ring_close(&r);
	}
	tl_nl_close(&nl);
}

TEST_F_TIMEOUT(life, readers_close_and_unmap_under_traffic, 300)
{
	struct m2mgw_ring r;
	struct tl_nl nl;
	uint64_t got;
	uint32_t id;
	int i, fd;
	pid_t f;
	void *p;

	ASSERT_EQ(0, tl_vcan("m2ml1"));
	ASSERT_EQ(0, tl_nl_open(&nl));
	id = tl_port_add_can(&nl, "m2ml1", "l1");
	ASSERT_NE(0, id);
	f = flood("m2ml1");
	for (i = 0; i < 30; i++) {
		got = 0;
		ASSERT_EQ(0, m2mgw_ring_open(&r, NULL, 1 << 14));
		ASSERT_EQ(0, m2mgw_ring_subscribe(&r,
						  i % 2 ? id : M2MGW_PORT_ALL));
		m2mgw_ring_wait(&r, 1000);
		m2mgw_ring_consume(&r, count_cb, &got, 0);
		EXPECT_LT(0, got);
		if (i % 3 == 0) {
			/* Unmap first, the file goes last. */
			fd = dup(r.fd);
			m2mgw_ring_close(&r);
			close(fd);
		} else if (i % 3 == 1) {
			/* Close first: the mappings keep the ring alive. */
			close(r.fd);
			r.fd = -1;
			p = (void *)r.prod;
			EXPECT_EQ(1 << 14, r.prod->data_size);
			usleep(20000);
			munmap(r.cons, r.page_size);
			munmap(p, r.page_size + 2 * r.size);
		} else {
			m2mgw_ring_close(&r);
		}
	}
	stop(f);
	tl_port_del(&nl, id);
	tl_nl_close(&nl);
	tl_sh("ip link del m2ml1");
}

static int reload(void)
{
	const char *ko = getenv("M2MGW_KO");

	if (!ko)
		return -1;
	return tl_sh("insmod %s", ko);
}

TEST_F_TIMEOUT(life, rmmod_refused_while_a_reader_is_open, 300)
{
	struct tl_nl nl;
	uint32_t id;
	int fd;

	if (!getenv("M2MGW_KO"))
		SKIP(return, "M2MGW_KO not set: cannot reload the module");
	fd = open(M2MGW_DEV_PATH, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, syscall(SYS_delete_module, "m2mgw", O_NONBLOCK));
	EXPECT_TRUE(errno == EWOULDBLOCK || errno == EBUSY);
	close(fd);

	/* With ports but no reader, it goes, taking its ports along. */
	ASSERT_EQ(0, tl_vcan("m2ml2"));
	ASSERT_EQ(0, tl_nl_open(&nl));
	id = tl_port_add_can(&nl, "m2ml2", "l2");
	ASSERT_NE(0, id);
	tl_nl_close(&nl);
	/* The last close frees the reader after a grace period. */
	usleep(100000);
	EXPECT_EQ(0, syscall(SYS_delete_module, "m2mgw", O_NONBLOCK));
	EXPECT_NE(0, access(M2MGW_DEV_PATH, F_OK));
	ASSERT_EQ(0, reload());
	tl_sh("ip link del m2ml2");
}

TEST_F_TIMEOUT(life, ports_and_readers_churn, 300)
{
	struct m2mgw_ring r[2];
	struct tl_nl nl;
	uint32_t ids[8];
	char name[16];
	int round, i, j;

	ASSERT_EQ(0, tl_nl_open(&nl));
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "m2mc%d", i);
		ASSERT_EQ(0, tl_vcan(name));
	}
	for (round = 0; round < 10; round++) {
		for (i = 0; i < 8; i++) {
			snprintf(name, sizeof(name), "m2mc%d", i);
			ids[i] = tl_port_add_can(&nl, name, NULL);
			ASSERT_NE(0, ids[i]);
		}
		for (j = 0; j < 2; j++) {
			ASSERT_EQ(0, m2mgw_ring_open(&r[j], NULL, 1 << 14));
			for (i = 0; i < 8; i++)
				ASSERT_EQ(0,
					  m2mgw_ring_subscribe(&r[j], ids[i]));
		}
		tl_sh("cansend m2mc3 123#42");
		/* Ports go first half the time, readers first otherwise. */
		if (round % 2)
			for (i = 0; i < 8; i++)
				ASSERT_EQ(0, tl_port_del(&nl, ids[i]));
		for (j = 0; j < 2; j++)
			m2mgw_ring_close(&r[j]);
		if (!(round % 2))
			for (i = 0; i < 8; i++)
				ASSERT_EQ(0, tl_port_del(&nl, ids[i]));
	}
	for (i = 0; i < 8; i++)
		tl_sh("ip link del m2mc%d", i);
	tl_nl_close(&nl);
}

/* Records of one port seen by a reader: the span of seq and which. */
struct seen {
	uint32_t port;
	uint64_t first, n, dropped;
	uint8_t bits[4096];
};

static int seen_cb(void *ctx, const struct m2mgw_rec *rec)
{
	struct seen *s = ctx;
	uint64_t off;

	if (rec->port_id != s->port)
		return 0;
	if (!s->n++)
		s->first = rec->seq > 64 ? rec->seq - 64 : 0;
	off = rec->seq - s->first;
	if (rec->seq >= s->first && off < 8 * sizeof(s->bits))
		s->bits[off / 8] |= 1 << (off % 8);
	return 0;
}

/*
 * Seq numbers missing between the 64th and the last 64 of what @s saw
 * (frames of one port received on two CPUs may be reordered a little).
 */
static int seen_gaps(const struct seen *s)
{
	uint64_t i, last = 0;
	int gaps = 0;

	for (i = 0; i < 8 * sizeof(s->bits); i++)
		if (s->bits[i / 8] & (1 << (i % 8)))
			last = i;
	for (i = 128; i + 64 < last; i++)
		if (!(s->bits[i / 8] & (1 << (i % 8))))
			gaps++;
	return gaps;
}

/*
 * Readers that drop and take the "all" subscription again and again, as
 * a daemon reconfiguring might, while others keep theirs: a subscription
 * must never be put back on the list producers walk before they are
 * done with it, or a producer on it skips the readers after it, a loss
 * no counter shows.  The steady readers must see every frame.
 */
TEST_F_TIMEOUT(life, all_subscription_toggled_under_traffic, 120)
{
	uint32_t all = M2MGW_PORT_ALL, id;
	uint64_t end;
	struct m2mgw_ring r;
	struct tl_nl nl;
	struct seen *s;
	pid_t f, t;
	int rounds = 0;

	s = malloc(sizeof(*s));
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, tl_vcan("m2ml4"));
	ASSERT_EQ(0, tl_nl_open(&nl));
	id = tl_port_add_can(&nl, "m2ml4", "l4");
	ASSERT_NE(0, id);
	t = fork();
	ASSERT_LE(0, t);
	if (!t) {
		struct m2mgw_ring tr[3];
		uint64_t n = 0;
		int i;

		for (i = 0; i < 3; i++)
			if (m2mgw_ring_open(&tr[i], NULL, 1 << 14) ||
			    m2mgw_ring_subscribe(&tr[i], all))
				_exit(1);
		for (i = 0;; i = (i + 1) % 3) {
			m2mgw_ring_unsubscribe(&tr[i], all);
			m2mgw_ring_subscribe(&tr[i], all);
			/* Keep room in the ring: full rings are fast. */
			m2mgw_ring_consume(&tr[i], count_cb, &n, 0);
		}
	}
	f = flood("m2ml4");
	end = tl_now_ns() + 3000000000ULL;
	while (tl_now_ns() < end) {
		/* A new steady reader each round, among the togglers. */
		memset(s, 0, sizeof(*s));
		s->port = id;
		ASSERT_EQ(0, m2mgw_ring_open(&r, NULL, 1 << 20));
		ASSERT_EQ(0, m2mgw_ring_subscribe(&r, all));
		while (s->n < 2000)
			if (m2mgw_ring_consume(&r, seen_cb, s, 0) <= 0)
				m2mgw_ring_wait(&r, 100);
		s->dropped = m2mgw_ring_dropped(&r);
		m2mgw_ring_close(&r);
		ASSERT_EQ(0, s->dropped);
		ASSERT_EQ(0, seen_gaps(s))
		TH_LOG("round %d: a steady reader lost frames", rounds);
		rounds++;
	}
	TH_LOG("%d rounds of 2000 frames, no frame lost", rounds);
	stop(t);
	stop(f);
	ASSERT_EQ(0, tl_port_del(&nl, id));
	tl_sh("ip link del m2ml4");
	tl_nl_close(&nl);
	free(s);
}

TEST_HARNESS_MAIN
