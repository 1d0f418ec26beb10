// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/m2mgw reader API without traffic: ring setup, mmap rules,
 * subscriptions, poll/read/write edge cases, and a reader that breaks the
 * protocol.  Every misuse must give the errno the uapi header promises.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "m2mgw_ring.h"

#define RING_SIZE (64 * 1024)

static long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

static int setup_ring(int fd, __u32 size, __u32 flags)
{
	struct m2mgw_ring_setup s = { .size = size, .flags = flags };

	return ioctl(fd, M2MGW_IOC_RING_SETUP, &s);
}

FIXTURE(dev)
{
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = open(M2MGW_DEV_PATH, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, self->fd)
	TH_LOG("open %s: %s", M2MGW_DEV_PATH, strerror(errno));
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

TEST_F(dev, setup_rejects_bad_sizes)
{
	static const __u32 bad[] = { 0,		  1,	      4095,
				     4097,	  3 * 4096,   1U << 29,
				     0x80000000U, 0xffffffffU };
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-1, setup_ring(self->fd, bad[i], 0));
		EXPECT_EQ(EINVAL, errno) TH_LOG("size %u", bad[i]);
	}
	EXPECT_EQ(-1, setup_ring(self->fd, RING_SIZE, 1));
	EXPECT_EQ(EINVAL, errno);
	/* None of the failures left a ring behind. */
	EXPECT_EQ(0, setup_ring(self->fd, RING_SIZE, 0));
}

TEST_F(dev, setup_twice_is_busy)
{
	ASSERT_EQ(0, setup_ring(self->fd, RING_SIZE, 0));
	EXPECT_EQ(-1, setup_ring(self->fd, RING_SIZE, 0));
	EXPECT_EQ(EBUSY, errno);
}

TEST_F(dev, unknown_ioctl)
{
	EXPECT_EQ(-1, ioctl(self->fd, _IO(M2MGW_IOC_MAGIC, 99), 0));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(dev, before_setup)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
	__u32 all = M2MGW_PORT_ALL;
	char buf[64];

	EXPECT_EQ(-1, ioctl(self->fd, M2MGW_IOC_SUBSCRIBE, &all));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(MAP_FAILED,
		  mmap(NULL, page_size(), PROT_READ, MAP_SHARED, self->fd, 0));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(ENXIO, errno);
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLERR);
}

TEST_F(dev, subscriptions)
{
	__u32 all = M2MGW_PORT_ALL, none = 0x7ffffff0;

	ASSERT_EQ(0, setup_ring(self->fd, RING_SIZE, 0));
	EXPECT_EQ(-1, ioctl(self->fd, M2MGW_IOC_SUBSCRIBE, &none));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, M2MGW_IOC_UNSUBSCRIBE, &none));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, M2MGW_IOC_UNSUBSCRIBE, &all));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0, ioctl(self->fd, M2MGW_IOC_SUBSCRIBE, &all));
	EXPECT_EQ(-1, ioctl(self->fd, M2MGW_IOC_SUBSCRIBE, &all));
	EXPECT_EQ(EALREADY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, M2MGW_IOC_SUBSCRIBE, &none));
	EXPECT_EQ(EALREADY, errno);
	EXPECT_EQ(0, ioctl(self->fd, M2MGW_IOC_UNSUBSCRIBE, &all));
	EXPECT_EQ(-1, ioctl(self->fd, M2MGW_IOC_UNSUBSCRIBE, &all));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, M2MGW_IOC_SUBSCRIBE, NULL));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(dev, mmap_rules)
{
	long pg = page_size();
	void *p;

	ASSERT_EQ(0, setup_ring(self->fd, RING_SIZE, 0));
	/* Consumer page: exactly one page. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
				   MAP_SHARED, self->fd, 0));
	EXPECT_EQ(EINVAL, errno);
	/* Producer page + data: exactly P + 2S, read-only. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, pg + RING_SIZE, PROT_READ, MAP_SHARED,
				   self->fd, pg));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED,
		  mmap(NULL, pg + 2 * RING_SIZE, PROT_READ | PROT_WRITE,
		       MAP_SHARED, self->fd, pg));
	EXPECT_EQ(EPERM, errno);
	/* Any other offset. */
	EXPECT_EQ(MAP_FAILED,
		  mmap(NULL, pg, PROT_READ, MAP_SHARED, self->fd, 2 * pg));
	EXPECT_EQ(EINVAL, errno);

	p = mmap(NULL, pg + 2 * RING_SIZE, PROT_READ, MAP_SHARED, self->fd, pg);
	ASSERT_NE(MAP_FAILED, p);
	/* Nor can it be made writable afterwards. */
	EXPECT_EQ(-1, mprotect(p, pg, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	munmap(p, pg + 2 * RING_SIZE);
}

static int all_zero(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

TEST_F(dev, pages_start_zeroed_and_aliased)
{
	const struct m2mgw_ring_producer *prod;
	struct m2mgw_ring_producer want = { .data_size = RING_SIZE };
	long pg = page_size();
	unsigned char *cons, *rest;

	ASSERT_EQ(0, setup_ring(self->fd, RING_SIZE, 0));
	cons = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, cons);
	rest = mmap(NULL, pg + 2 * RING_SIZE, PROT_READ, MAP_SHARED, self->fd,
		    pg);
	ASSERT_NE(MAP_FAILED, rest);
	prod = (const void *)rest;

	EXPECT_TRUE(all_zero(cons, pg));
	EXPECT_EQ(0, memcmp(prod, &want, sizeof(want)));
	EXPECT_TRUE(all_zero(rest + sizeof(want), pg - sizeof(want)));
	EXPECT_TRUE(all_zero(rest + pg, 2 * RING_SIZE));
	/* The consumer page is shared with the kernel: writes stick. */
	((struct m2mgw_ring_consumer *)cons)->consumer_pos = 0;
	munmap(rest, pg + 2 * RING_SIZE);
	munmap(cons, pg);
}

TEST_F(dev, empty_ring_poll_and_read)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN | POLLOUT };
	char buf[256];

	ASSERT_EQ(0, setup_ring(self->fd, RING_SIZE, 0));
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLOUT, pfd.revents);
	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
}

/* read() of 0 bytes returns 0 at once, as on any file: it never waits. */
TEST_F(dev, zero_length_read_returns_at_once)
{
	int fd, i, st = -1;
	pid_t pid;

	fd = open("/dev/m2mgw", O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setup_ring(fd, RING_SIZE, 0));
	ASSERT_EQ(0, setup_ring(self->fd, RING_SIZE, 0));
	/* Non-blocking: 0, not EAGAIN. */
	EXPECT_EQ(0, read(self->fd, NULL, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(read(fd, NULL, 0) == 0 ? 0 : 1);
	for (i = 0; i < 100; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		usleep(20000);
	}
	if (i == 100) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	EXPECT_GT(100, i)
	TH_LOG("a blocking read() of 0 bytes slept");
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(fd);
}

TEST_F(dev, corrupt_consumer_pos_is_reported)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
	struct m2mgw_ring_consumer *cons;
	char buf[256];

	ASSERT_EQ(0, setup_ring(self->fd, RING_SIZE, 0));
	cons = mmap(NULL, page_size(), PROT_READ | PROT_WRITE, MAP_SHARED,
		    self->fd, 0);
	ASSERT_NE(MAP_FAILED, cons);
	/* Neither aligned nor behind the producer: a broken reader. */
	cons->consumer_pos = 7;
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLERR);
	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
	cons->consumer_pos = 0;
	pfd.revents = 0;
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	munmap(cons, page_size());
}

TEST_F(dev, write_rejects_malformed)
{
	unsigned char buf[M2MGW_WRITE_MAX + 64];
	struct can_frame cf = { .can_id = 0x123, .len = 2 };
	struct m2mgw_rec *rec = (void *)buf;
	size_t n;

	n = m2mgw_rec_build(buf, sizeof(buf), 0x7ffffff0, M2MGW_REC_CAN, &cf,
			    sizeof(cf));
	ASSERT_EQ(48, (int)n);
	/* No such port. */
	EXPECT_EQ(-1, write(self->fd, buf, n));
	EXPECT_EQ(ENODEV, errno);
	/* Truncated record. */
	EXPECT_EQ(-1, write(self->fd, buf, n - 8));
	EXPECT_EQ(EINVAL, errno);
	/* Shorter than a header. */
	EXPECT_EQ(-1, write(self->fd, buf, 16));
	EXPECT_EQ(EINVAL, errno);
	/* Length below the header size. */
	rec->len = 8;
	EXPECT_EQ(-1, write(self->fd, buf, n));
	EXPECT_EQ(EINVAL, errno);
	rec->len = n;
	/* Fields userspace must leave zero. */
	rec->seq = 1;
	EXPECT_EQ(-1, write(self->fd, buf, n));
	EXPECT_EQ(EINVAL, errno);
	rec->seq = 0;
	rec->flags = M2MGW_RECF_TS_HW;
	EXPECT_EQ(-1, write(self->fd, buf, n));
	EXPECT_EQ(EINVAL, errno);
	rec->flags = 0;
	/* Too much at once. */
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(-1, write(self->fd, buf, M2MGW_WRITE_MAX + 8));
	EXPECT_EQ(EMSGSIZE, errno);
	/* An address nothing is mapped at. */
	EXPECT_EQ(-1, write(self->fd, (void *)(uintptr_t)page_size(), 64));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, write(self->fd, buf, 0));
}

TEST(open_close_many)
{
	long pg = page_size();
	int i, fd;
	void *p;

	/* Rings are freed after an RCU grace period: churn must not leak. */
	for (i = 0; i < 200; i++) {
		fd = open(M2MGW_DEV_PATH, O_RDWR);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, setup_ring(fd, RING_SIZE, 0));
		p = mmap(NULL, pg + 2 * RING_SIZE, PROT_READ, MAP_SHARED, fd,
			 pg);
		ASSERT_NE(MAP_FAILED, p);
		/* The mapping outlives the file descriptor. */
		close(fd);
		EXPECT_EQ(RING_SIZE,
			  ((struct m2mgw_ring_producer *)p)->data_size);
		munmap(p, pg + 2 * RING_SIZE);
	}
}

TEST_HARNESS_MAIN
