// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetime under traffic: the device unregistered, the port deleted, the
 * reader closed or unmapped, the module removed, all while frames flow;
 * and 8 ports x 2 readers created and destroyed in a loop.  The VM
 * harness fails the run on any BUG/WARNING/refcount line in dmesg, so
 * these tests check what they can see and let the kernel's own checks
 * catch the rest.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "portlib.h"

#define NPORTS 8

/* A child that sends frames on @ifname until killed or the device goes. */
static pid_t blast(const char *ifname, canid_t id)
{
	pid_t pid = fork();
	uint32_t i = 0;
	int s;

	if (pid)
		return pid;
	/* Hold no /dev/m2mgw file or mapping of the parent's. */
	for (s = 3; s < 1024; s++)
		close(s);
	s = tl_can_socket(ifname);
	if (s < 0)
		_exit(1);
	for (;;) {
		int err = pl_send(s, id, &i, 4, i % 4 == 0);

		if (!err)
			i++;
		else if (err != -ENOBUFS)
			_exit(0);
		else
			usleep(50);
	}
}

static void stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int count_port(struct pl_collect *c, uint32_t port)
{
	int i, k = 0;

	for (i = 0; i < c->n; i++)
		k += c->recs[i].port_id == port;
	return k;
}

FIXTURE(life)
{
	struct pl nl;
	struct pl_collect got;
};

FIXTURE_SETUP(life)
{
	ASSERT_EQ(0, tl_sh("modprobe vcan && (modprobe can_raw || "
			   "modprobe can-raw)"));
	ASSERT_EQ(0, pl_open(&self->nl));
	pl_collect_init(&self->got, 1 << 18);
	ASSERT_NE(NULL, self->got.recs);
}

FIXTURE_TEARDOWN(life)
{
	int i;

	free(self->got.recs);
	pl_close(&self->nl);
	for (i = 0; i < NPORTS; i++)
		tl_sh("ip link del m2ml%d 2>/dev/null", i);
}

TEST_F_TIMEOUT(life, netdev_unregister_during_traffic, 180)
{
	struct m2mgw_ring r[2];
	struct pl_port p;
	int round, i;

	for (round = 0; round < 3; round++) {
		uint32_t port;
		pid_t tx;

		self->got.n = 0;
		ASSERT_EQ(0, tl_vcan("m2ml0"));
		port = pl_port(&self->nl, "m2ml0", NULL);
		ASSERT_NE(0, port);
		for (i = 0; i < 2; i++) {
			ASSERT_EQ(0, m2mgw_ring_open(&r[i], NULL, 1 << 22));
			ASSERT_EQ(0, m2mgw_ring_subscribe(&r[i], port));
		}
		tx = blast("m2ml0", 0x100 + (canid_t)round);
		usleep(300000);
		ASSERT_EQ(0, tl_sh("ip link del m2ml0"));
		/* The sender sees the device vanish and exits by itself. */
		ASSERT_EQ(tx, waitpid(tx, NULL, 0));
		ASSERT_EQ(0, pl_get(&self->nl, port, &p));
		EXPECT_EQ(M2MGW_STATE_GONE, p.state);
		EXPECT_LT(0, p.stats[M2MGW_STATS_A_RX_FRAMES]);
		/* Both readers got every frame the port counted. */
		for (i = 0; i < 2; i++) {
			self->got.n = 0;
			pl_drain(&r[i], &self->got, 200);
			EXPECT_EQ(p.stats[M2MGW_STATS_A_RX_FRAMES],
				  (uint64_t)self->got.n + m2mgw_ring_dropped(&r[i]));
		}
		EXPECT_EQ(0, pl_del(&self->nl, port));
		/* The subscription ended with the port. */
		EXPECT_EQ(-ENOENT, m2mgw_ring_unsubscribe(&r[0], port));
		for (i = 0; i < 2; i++)
			m2mgw_ring_close(&r[i]);
	}
}

TEST_F_TIMEOUT(life, port_delete_during_traffic, 180)
{
	struct m2mgw_ring r;
	int round, n;

	ASSERT_EQ(0, tl_vcan("m2ml1"));
	for (round = 0; round < 3; round++) {
		uint32_t port = pl_port(&self->nl, "m2ml1", NULL);
		pid_t tx;

		ASSERT_NE(0, port);
		ASSERT_EQ(0, m2mgw_ring_open(&r, NULL, 1 << 22));
		ASSERT_EQ(0, m2mgw_ring_subscribe(&r, port));
		tx = blast("m2ml1", 0x200);
		usleep(300000);
		ASSERT_EQ(0, pl_del(&self->nl, port));
		/*
		 * PORT_DEL waited for frames in flight: once what is in the
		 * ring is drained, nothing more arrives.
		 */
		self->got.n = 0;
		pl_drain(&r, &self->got, 100);
		n = self->got.n;
		EXPECT_LT(0, n);
		usleep(200000);
		EXPECT_EQ(0, pl_drain(&r, &self->got, 100));
		EXPECT_EQ(-ENOENT, m2mgw_ring_unsubscribe(&r, port));
		EXPECT_EQ(-ENOENT, m2mgw_ring_subscribe(&r, port));
		stop(tx);
		m2mgw_ring_close(&r);
	}
}

TEST_F_TIMEOUT(life, close_and_munmap_during_traffic, 180)
{
	uint32_t port;
	pid_t tx;
	int i;

	ASSERT_EQ(0, tl_vcan("m2ml2"));
	port = pl_port(&self->nl, "m2ml2", NULL);
	ASSERT_NE(0, port);
	tx = blast("m2ml2", 0x300);
	for (i = 0; i < 30; i++) {
		struct m2mgw_ring r;
		int fd;

		ASSERT_EQ(0, m2mgw_ring_open(&r, NULL, 1 << 14));
		ASSERT_EQ(0, m2mgw_ring_subscribe(&r, port));
		ASSERT_EQ(1, m2mgw_ring_wait(&r, 2000));
		m2mgw_ring_consume(&r, pl_collect_cb, &self->got, 10);
		if (i % 2) {
			/* Close first; the mapping keeps the ring alive. */
			fd = dup(r.fd);
			close(r.fd);
			close(fd);
			usleep(20000);
			r.fd = -1;
			m2mgw_ring_close(&r);
		} else {
			/* Unmap first, then close. */
			fd = r.fd;
			r.fd = -1;
			m2mgw_ring_close(&r);
			usleep(20000);
			close(fd);
		}
	}
	stop(tx);
	EXPECT_LT(0, self->got.n);
	EXPECT_EQ(0, pl_del(&self->nl, port));
}

TEST_F_TIMEOUT(life, eight_ports_two_readers_loop, 300)
{
	struct m2mgw_ring r[NPORTS][2];
	uint32_t port[NPORTS];
	char ifn[IFNAMSIZ];
	int round, i, j, k, s;

	for (i = 0; i < NPORTS; i++) {
		snprintf(ifn, sizeof(ifn), "m2ml%d", i);
		ASSERT_EQ(0, tl_vcan(ifn));
	}
	for (round = 0; round < 10; round++) {
		for (i = 0; i < NPORTS; i++) {
			snprintf(ifn, sizeof(ifn), "m2ml%d", i);
			port[i] = pl_port(&self->nl, ifn, NULL);
			ASSERT_NE(0, port[i]);
			for (j = 0; j < 2; j++) {
				ASSERT_EQ(0, m2mgw_ring_open(&r[i][j], NULL,
							     1 << 14));
				ASSERT_EQ(0, m2mgw_ring_subscribe(&r[i][j],
								  port[i]));
			}
		}
		for (i = 0; i < NPORTS; i++) {
			snprintf(ifn, sizeof(ifn), "m2ml%d", i);
			s = tl_can_socket(ifn);
			ASSERT_LE(0, s);
			for (k = 0; k < 10; k++)
				ASSERT_EQ(0, pl_send(s, (canid_t)i, &k, 1, 0));
			close(s);
		}
		for (i = 0; i < NPORTS; i++) {
			for (j = 0; j < 2; j++) {
				self->got.n = 0;
				pl_drain(&r[i][j], &self->got, 50);
				ASSERT_EQ(10, self->got.n);
				EXPECT_EQ(10, count_port(&self->got, port[i]));
				EXPECT_EQ(9, self->got.recs[9].seq);
				EXPECT_EQ((canid_t)i,
					  self->got.recs[9].fd.can_id);
				/* Half the readers go before their port. */
				if ((i + j + round) % 2)
					m2mgw_ring_close(&r[i][j]);
			}
			EXPECT_EQ(0, pl_del(&self->nl, port[i]));
			for (j = 0; j < 2; j++)
				if (!((i + j + round) % 2))
					m2mgw_ring_close(&r[i][j]);
		}
	}
}

TEST_F_TIMEOUT(life, rmmod_busy_with_reader_clean_under_traffic, 180)
{
	const char *ko = getenv("M2MGW_KO");
	struct m2mgw_ring r;
	struct pl_call *c;
	uint32_t port;
	pid_t tx;
	int fam;

	if (!ko)
		SKIP(return, "M2MGW_KO not set (run by tests/vm/run)");
	ASSERT_EQ(0, tl_vcan("m2ml3"));
	port = pl_port(&self->nl, "m2ml3", NULL);
	ASSERT_NE(0, port);
	/* Started first: a child must not inherit the reader's mapping. */
	tx = blast("m2ml3", 0x400);
	ASSERT_EQ(0, m2mgw_ring_open(&r, NULL, 1 << 16));
	ASSERT_EQ(0, m2mgw_ring_subscribe(&r, port));
	/* An open reader pins the module. */
	EXPECT_NE(0, tl_sh("rmmod m2mgw 2>/dev/null"));
	EXPECT_EQ(0, tl_sh("test -d /sys/module/m2mgw"));
	m2mgw_ring_close(&r);
	pl_close(&self->nl);
	/* Ports and traffic do not: exit removes them cleanly. */
	EXPECT_EQ(0, tl_sh("rmmod m2mgw"));
	EXPECT_NE(0, tl_sh("test -d /sys/module/m2mgw"));
	stop(tx);
	ASSERT_EQ(0, tl_sh("insmod %s", ko));
	ASSERT_EQ(0, pl_open(&self->nl));
	fam = self->nl.family;
	EXPECT_LT(0, fam);
	/* A fresh module: no ports. */
	c = pl_call_new();
	ASSERT_EQ(0, pl_call(&self->nl,
			     pl_msg(&self->nl, M2MGW_CMD_PORT_GET, NLM_F_DUMP),
			     c));
	EXPECT_EQ(0, c->n);
	free(c);
}

TEST_HARNESS_MAIN
