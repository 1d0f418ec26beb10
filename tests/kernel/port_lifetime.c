// SPDX-License-Identifier: GPL-2.0
/*
 * Port lifetime under traffic, beyond lifetime.c: PORT_DEL while frames
 * flow (nothing of the port reaches a ring once it returns, its
 * subscriptions end), and rmmod with ports under traffic once the last
 * reader is gone.  The VM harness fails the run on any BUG/WARNING/
 * refcount line in dmesg; these tests check what they can see.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "portlib.h"

#define NPORTS 4

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

TEST_F_TIMEOUT(life, namespace_exit_destroys_its_ports, 60)
{
	int up[2], down[2], i, err = 0;
	struct m2mgw_ring r;
	uint32_t port = 0;
	pid_t pid;
	char c = 0;

	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct pl nl;

		if (unshare(CLONE_NEWNET) || tl_vcan("m2mn0") || pl_open(&nl))
			_exit(1);
		port = pl_port(&nl, "m2mn0", NULL);
		if (write(up[1], &port, sizeof(port)) != sizeof(port) ||
		    read(down[0], &c, 1) != 1)
			_exit(2);
		/* Exit with the port still there: the namespace dies. */
		_exit(0);
	}
	ASSERT_EQ(sizeof(port), read(up[0], &port, sizeof(port)));
	ASSERT_NE(0, port);
	/* Port ids are global: a reader here can subscribe to it. */
	ASSERT_EQ(0, m2mgw_ring_open(&r, NULL, 1 << 14));
	ASSERT_EQ(0, m2mgw_ring_subscribe(&r, port));
	ASSERT_EQ(1, write(down[1], &c, 1));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	/* Namespaces are dismantled by a worker: give it a few seconds. */
	for (i = 0; i < 100; i++) {
		err = m2mgw_ring_subscribe(&r, port);
		if (err != -EALREADY)
			break;
		usleep(100000);
	}
	EXPECT_EQ(-ENOENT, err);
	m2mgw_ring_close(&r);
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
