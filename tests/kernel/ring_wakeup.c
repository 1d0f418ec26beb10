// SPDX-License-Identifier: GPL-2.0
/*
 * Wakeup batching (M2MGW_IOC_WAKEUP, uapi "WAKEUP BATCHING"): poll()
 * does not report a batching ring readable below the watermark until the
 * bound has passed, reports it at the watermark, and always within the
 * bound; bad arguments are refused; the default (one wakeup for the first
 * record) is unchanged; a reader closed with its timer armed lets the
 * module go.  Frames come from a CAN socket on a vcan with one port.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "m2mgw_ring.h"
#include "testlib.h"

#define IFNAME	  "m2mwk0"
#define RING_SIZE (64 * 1024)
/* A classic CAN record: 32-byte header + struct can_frame. */
#define REC	  (M2MGW_REC_HDR_LEN + 16)

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int send_frames(int s, int n)
{
	struct can_frame cf = { .can_id = 0x123, .len = 8 };
	int i;

	for (i = 0; i < n; i++) {
		cf.data[0] = (uint8_t)i;
		if (write(s, &cf, sizeof(cf)) != sizeof(cf))
			return -1;
	}
	return 0;
}

/* poll() for POLLIN up to @ms; returns poll's result. */
static int poll_in(const struct m2mgw_ring *r, int ms)
{
	struct pollfd p = { .fd = r->fd, .events = POLLIN };
	int n;

	do {
		n = poll(&p, 1, ms);
	} while (n < 0 && errno == EINTR);
	return n > 0 && !(p.revents & POLLIN) ? -1 : n;
}

static int wait_child(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

FIXTURE(wake)
{
	struct tl_nl nl;
	uint32_t port;
	struct m2mgw_ring r;
	int s;
};

FIXTURE_SETUP(wake)
{
	ASSERT_EQ(0, tl_sh("modprobe vcan && (modprobe can_raw || "
			   "modprobe can-raw)"));
	ASSERT_EQ(0, tl_vcan(IFNAME));
	ASSERT_EQ(0, tl_nl_open(&self->nl));
	self->port = tl_port_add_can(&self->nl, IFNAME, "wk0");
	ASSERT_NE(0, self->port);
	ASSERT_EQ(0, m2mgw_ring_open(&self->r, NULL, RING_SIZE));
	ASSERT_EQ(0, m2mgw_ring_subscribe(&self->r, self->port));
	self->s = tl_can_socket(IFNAME);
	ASSERT_LE(0, self->s);
}

FIXTURE_TEARDOWN(wake)
{
	close(self->s);
	m2mgw_ring_close(&self->r);
	tl_port_del(&self->nl, self->port);
	tl_nl_close(&self->nl);
	tl_sh("ip link del " IFNAME);
}

TEST_F(wake, bad_arguments_are_refused)
{
	struct m2mgw_wakeup w = { .bytes = 100, .usec = 1000 };
	int fd;

	fd = open(M2MGW_DEV_PATH, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, ioctl(fd, M2MGW_IOC_WAKEUP, &w));
	EXPECT_EQ(ENXIO, errno);
	close(fd);

	EXPECT_EQ(-EINVAL, m2mgw_ring_set_wakeup(&self->r, 1, 0));
	EXPECT_EQ(-EINVAL, m2mgw_ring_set_wakeup(&self->r, 0, 1));
	EXPECT_EQ(-EINVAL, m2mgw_ring_set_wakeup(&self->r, 100,
						 M2MGW_WAKEUP_USEC_MAX + 1));
	EXPECT_EQ(-EINVAL,
		  m2mgw_ring_set_wakeup(&self->r, RING_SIZE / 2 + 1, 1000));
	EXPECT_EQ(-EINVAL,
		  m2mgw_ring_set_wakeup(&self->r, 0xffffffffU, 0xffffffffU));
	EXPECT_EQ(-1, ioctl(self->r.fd, M2MGW_IOC_WAKEUP, NULL));
	EXPECT_EQ(EFAULT, errno);
	/* The extremes that are allowed, and back to the default. */
	EXPECT_EQ(0, m2mgw_ring_set_wakeup(&self->r, RING_SIZE / 2,
					   M2MGW_WAKEUP_USEC_MAX));
	EXPECT_EQ(0, m2mgw_ring_set_wakeup(&self->r, 1, 1));
	EXPECT_EQ(0, m2mgw_ring_set_wakeup(&self->r, 0, 0));
}

TEST_F(wake, default_is_readable_at_the_first_record)
{
	uint64_t t0;
	pid_t pid;

	/* Nothing set: a caught-up reader is woken by one record. */
	EXPECT_EQ(0, poll_in(&self->r, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		usleep(100000);
		_exit(send_frames(self->s, 1) ? 1 : 0);
	}
	t0 = mono_ms();
	EXPECT_EQ(1, poll_in(&self->r, 10000));
	EXPECT_GT(10000, mono_ms() - t0);
	EXPECT_EQ(0, wait_child(pid));
	EXPECT_EQ(REC, m2mgw_ring_pending(&self->r));
}

TEST_F(wake, watermark_holds_poll_until_reached)
{
	uint64_t t_first, el;
	pid_t pid;
	int n;

	ASSERT_EQ(0, m2mgw_ring_set_wakeup(&self->r, 10 * REC,
					   M2MGW_WAKEUP_USEC_MAX));
	t_first = mono_ms();
	ASSERT_EQ(0, send_frames(self->s, 3));
	ASSERT_EQ(3 * REC, m2mgw_ring_pending(&self->r));
	/* The records are there, but below the watermark: no POLLIN ... */
	n = poll_in(&self->r, 300);
	el = mono_ms() - t_first;
	/* ... unless the 1 s bound passed meanwhile (a very slow VM). */
	EXPECT_TRUE(n == 0 || (n == 1 && el >= 1000))
	TH_LOG("poll %d after %llu ms", n, (unsigned long long)el);
	/* A non-blocking consumer still sees them at once. */
	EXPECT_NE(NULL, m2mgw_ring_peek(&self->r));

	/* Catch up, then a burst crossing the watermark wakes a sleeper. */
	while (m2mgw_ring_peek(&self->r))
		m2mgw_ring_advance(&self->r, m2mgw_ring_peek(&self->r));
	m2mgw_ring_release(&self->r);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		usleep(100000);
		_exit(send_frames(self->s, 10) ? 1 : 0);
	}
	t_first = mono_ms();
	EXPECT_EQ(1, poll_in(&self->r, 10000));
	el = mono_ms() - t_first;
	EXPECT_EQ(0, wait_child(pid));
	EXPECT_LE(10 * REC, m2mgw_ring_pending(&self->r));
	/* Woken by the watermark, not by the 1 s bound. */
	EXPECT_GT(1000, el) TH_LOG("poll took %llu ms", (unsigned long long)el);
}

TEST_F(wake, bound_reports_fewer_bytes_in_time)
{
	uint64_t t0, el;

	ASSERT_EQ(0, m2mgw_ring_set_wakeup(&self->r, RING_SIZE / 2, 200000));
	t0 = mono_ms();
	ASSERT_EQ(0, send_frames(self->s, 1));
	EXPECT_EQ(1, poll_in(&self->r, 10000));
	el = mono_ms() - t0;
	/* Never before the bound (hrtimers do not fire early) ... */
	EXPECT_LE(199, el);
	/* ... and soon after it (generous: TCG on a shared host). */
	EXPECT_GT(3000, el) TH_LOG("poll took %llu ms", (unsigned long long)el);
	EXPECT_EQ(REC, m2mgw_ring_pending(&self->r));
	/* Level-triggered: still readable until consumed. */
	EXPECT_EQ(1, poll_in(&self->r, 0));
}

/*
 * A record committed while the reader was still behind starts no clock
 * at commit; the poll() that finds it below the watermark must.
 */
TEST_F(wake, leftover_found_by_poll_is_bounded)
{
	const struct m2mgw_rec *rec;
	uint64_t t0, el;

	ASSERT_EQ(0, m2mgw_ring_set_wakeup(&self->r, RING_SIZE / 2, 200000));
	ASSERT_EQ(0, send_frames(self->s, 1));
	/* Let the first record's bound pass: it is due now. */
	usleep(400000);
	EXPECT_EQ(1, poll_in(&self->r, 0));
	/* A second record, committed while the first is unread. */
	ASSERT_EQ(0, send_frames(self->s, 1));
	rec = m2mgw_ring_peek(&self->r);
	ASSERT_NE(NULL, rec);
	m2mgw_ring_advance(&self->r, rec);
	m2mgw_ring_release(&self->r);
	ASSERT_EQ(REC, m2mgw_ring_pending(&self->r));

	t0 = mono_ms();
	EXPECT_EQ(1, poll_in(&self->r, 10000));
	el = mono_ms() - t0;
	EXPECT_LE(199, el);
	EXPECT_GT(3000, el) TH_LOG("poll took %llu ms", (unsigned long long)el);
}

TEST_F(wake, back_to_default_wakes_the_sleeper)
{
	uint64_t t0, el;
	pid_t pid;

	ASSERT_EQ(0, m2mgw_ring_set_wakeup(&self->r, RING_SIZE / 2,
					   M2MGW_WAKEUP_USEC_MAX));
	t0 = mono_ms();
	ASSERT_EQ(0, send_frames(self->s, 1));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		usleep(100000);
		_exit(m2mgw_ring_set_wakeup(&self->r, 0, 0) ? 1 : 0);
	}
	EXPECT_EQ(1, poll_in(&self->r, 10000));
	el = mono_ms() - t0;
	EXPECT_EQ(0, wait_child(pid));
	/* Woken by the ioctl, well before the 1 s bound. */
	EXPECT_GT(900, el) TH_LOG("poll took %llu ms", (unsigned long long)el);
}

/*
 * Close a reader whose timer is armed (1 s), then unload the module
 * before it would fire: release must cancel it, or the callback runs in
 * freed module text (the VM harness catches the Oops in dmesg).
 */
TEST(close_with_armed_timer_then_rmmod)
{
	const char *ko = getenv("M2MGW_KO");
	struct m2mgw_ring r;
	struct tl_nl nl;
	uint32_t port;
	int s;

	if (!ko)
		SKIP(return, "M2MGW_KO not set: cannot reload the module");
	ASSERT_EQ(0, tl_vcan(IFNAME));
	ASSERT_EQ(0, tl_nl_open(&nl));
	port = tl_port_add_can(&nl, IFNAME, "wk1");
	ASSERT_NE(0, port);
	ASSERT_EQ(0, m2mgw_ring_open(&r, NULL, RING_SIZE));
	ASSERT_EQ(0, m2mgw_ring_subscribe(&r, port));
	ASSERT_EQ(0, m2mgw_ring_set_wakeup(&r, RING_SIZE / 2,
					   M2MGW_WAKEUP_USEC_MAX));
	s = tl_can_socket(IFNAME);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, send_frames(s, 1));
	/* Arms it from poll() as well. */
	EXPECT_EQ(0, poll_in(&r, 0));
	m2mgw_ring_close(&r);
	close(s);
	tl_nl_close(&nl);
	/* The reader is freed after a grace period; retry rmmod briefly. */
	for (int i = 0; i < 50; i++) {
		if (!syscall(SYS_delete_module, "m2mgw", O_NONBLOCK))
			break;
		usleep(20000);
	}
	EXPECT_NE(0, access(M2MGW_DEV_PATH, F_OK));
	/* Past the 1 s bound: a timer left behind would have fired. */
	usleep(1500000);
	ASSERT_EQ(0, tl_sh("insmod %s", ko));
	tl_sh("ip link del " IFNAME);
}

TEST_HARNESS_MAIN
