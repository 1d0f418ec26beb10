// SPDX-License-Identifier: GPL-2.0
/*
 * Serial ports on a pty pair: the slave gets the m2mgw line discipline
 * with TIOCSETD, bytes written to the master come out of the ring as
 * frames.  One behaviour per test: each framing mode, oversize and
 * framing-error accounting, Modbus RTU gaps, TX with flow control,
 * hangup, PORT_DEL and close during traffic, bad netlink input.
 *
 * Timing under TCG: the VM runs 10-50x slower than hardware and sleeps
 * overshoot by tens of milliseconds, so the gaps that must split frames
 * are 5-10x the configured gap and the ones that must not split are 2 ms
 * against a gap of 117 ms (Modbus RTU at 300 baud) or 300 ms: a loaded
 * host has been seen to stretch a 2 ms sleep past 29 ms.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "serial_testlib.h"

FIXTURE(pty)
{
	struct sp p;
};

FIXTURE_SETUP(pty)
{
	int err = sp_open(&self->p, B38400);

	if (err == -2)
		SKIP(return, "TIOCSETD %d refused: module not loaded?",
			   SP_LDISC);
	ASSERT_EQ(0, err);
}

FIXTURE_TEARDOWN(pty)
{
	sp_close(&self->p);
}

TEST_F(pty, port_named_after_tty_and_described)
{
	struct tl_reply r;

	ASSERT_EQ(0, sp_get_name(&self->p.nl, self->p.name, &r));
	EXPECT_EQ(self->p.port, r.port_id);
	EXPECT_EQ(M2MGW_STATE_UP, r.state);
}

TEST_F(pty, raw_flushes_on_idle)
{
	struct sp_rx rx;
	uint64_t t0, t1;
	struct tl_reply r;

	ASSERT_EQ(0, sp_set_framing(&self->p.nl, self->p.port,
				    M2MGW_FRAMING_RAW, 20000, 0, &r));
	t0 = tl_now_ns();
	ASSERT_EQ(0, sp_put(self->p.master, "hello", 5));
	ASSERT_EQ(0, sp_recv(&self->p, &rx, 3000));
	t1 = tl_now_ns();
	ASSERT_EQ(5, rx.len);
	EXPECT_EQ(0, memcmp(rx.data, "hello", 5));
	EXPECT_EQ(M2MGW_RECF_TS_FIRST_BYTE, rx.flags & M2MGW_RECF_TS_MASK);
	EXPECT_LE(t0, rx.ts);
	EXPECT_GE(t1, rx.ts);
	/* 20 ms idle, 400 ms apart: two chunks. */
	ASSERT_EQ(0, sp_put(self->p.master, "abc", 3));
	usleep(400000);
	ASSERT_EQ(0, sp_put(self->p.master, "def", 3));
	EXPECT_EQ(0, sp_expect(&self->p, "abc", 3, 3000));
	EXPECT_EQ(0, sp_expect(&self->p, "def", 3, 3000));
}

TEST_F(pty, raw_cuts_at_maxlen)
{
	struct tl_reply r;

	ASSERT_EQ(0, sp_set_framing(&self->p.nl, self->p.port,
				    M2MGW_FRAMING_RAW, 50000, 4, &r));
	ASSERT_EQ(0, sp_put(self->p.master, "abcdefghij", 10));
	EXPECT_EQ(0, sp_expect(&self->p, "abcd", 4, 3000));
	EXPECT_EQ(0, sp_expect(&self->p, "efgh", 4, 3000));
	EXPECT_EQ(0, sp_expect(&self->p, "ij", 2, 3000));
	ASSERT_EQ(0, tl_port_get(&self->p.nl, self->p.port, &r));
	EXPECT_EQ(0, r.stats[M2MGW_STATS_A_DROP_OVERSIZE]);
	EXPECT_EQ(3, r.stats[M2MGW_STATS_A_RX_FRAMES]);
	EXPECT_EQ(10, r.stats[M2MGW_STATS_A_RX_BYTES]);
}

TEST_F(pty, delimiter_nmea_lines)
{
	static const char s1[] = "$GPGGA,123519,4807.038,N*47\r\n";
	static const char s2[] = "$GPRMC,123519,A*6A\r\n";
	struct tl_reply r;
	struct sp_rx rx;
	char all[128];

	ASSERT_EQ(0, sp_set_framing(&self->p.nl, self->p.port,
				    M2MGW_FRAMING_DELIMITER, '\n', 0, &r));
	snprintf(all, sizeof(all), "%s%s$GPV", s1, s2);
	ASSERT_EQ(0, sp_put(self->p.master, all, strlen(all)));
	EXPECT_EQ(0, sp_expect(&self->p, s1, strlen(s1), 3000));
	EXPECT_EQ(0, sp_expect(&self->p, s2, strlen(s2), 3000));
	/* A partial line waits for its delimiter, however long. */
	EXPECT_EQ(-ETIMEDOUT, sp_recv(&self->p, &rx, 300));
	ASSERT_EQ(0, sp_put(self->p.master, "TG*00\n", 6));
	EXPECT_EQ(0, sp_expect(&self->p, "$GPVTG*00\n", 10, 3000));
}

TEST_F(pty, delimiter_oversize_counted_not_truncated)
{
	static const char in[] = "0123456789ABCDEF\nok\n";
	struct tl_reply r;

	ASSERT_EQ(0, sp_set_framing(&self->p.nl, self->p.port,
				    M2MGW_FRAMING_DELIMITER, '\n', 8, &r));
	ASSERT_EQ(0, sp_put(self->p.master, in, strlen(in)));
	/* The 17-byte line is dropped whole; the next one is intact. */
	EXPECT_EQ(0, sp_expect(&self->p, "ok\n", 3, 3000));
	ASSERT_EQ(0, tl_port_get(&self->p.nl, self->p.port, &r));
	EXPECT_EQ(1, r.stats[M2MGW_STATS_A_DROP_OVERSIZE]);
	EXPECT_EQ(1, r.stats[M2MGW_STATS_A_RX_FRAMES]);
}

TEST_F(pty, fixed_length)
{
	struct tl_reply r;
	struct sp_rx rx;

	ASSERT_EQ(0, sp_set_framing(&self->p.nl, self->p.port,
				    M2MGW_FRAMING_FIXED, 3, 0, &r));
	ASSERT_EQ(0, sp_put(self->p.master, "abcdefgh", 8));
	EXPECT_EQ(0, sp_expect(&self->p, "abc", 3, 3000));
	EXPECT_EQ(0, sp_expect(&self->p, "def", 3, 3000));
	EXPECT_EQ(-ETIMEDOUT, sp_recv(&self->p, &rx, 300));
	ASSERT_EQ(0, sp_put(self->p.master, "i", 1));
	EXPECT_EQ(0, sp_expect(&self->p, "ghi", 3, 3000));
}

TEST_F(pty, gap_splits_long_silences_only)
{
	struct tl_reply r;

	/* 300 ms gap; 2 ms pause inside a frame, 1.5 s between frames. */
	ASSERT_EQ(0, sp_set_framing(&self->p.nl, self->p.port,
				    M2MGW_FRAMING_GAP, 300000, 0, &r));
	ASSERT_EQ(0, sp_put(self->p.master, "AB", 2));
	usleep(2000);
	ASSERT_EQ(0, sp_put(self->p.master, "CD", 2));
	usleep(1500000);
	ASSERT_EQ(0, sp_put(self->p.master, "EF", 2));
	EXPECT_EQ(0, sp_expect(&self->p, "ABCD", 4, 3000));
	EXPECT_EQ(0, sp_expect(&self->p, "EF", 2, 3000));
}

TEST_F(pty, bad_framing_refused_config_kept)
{
	struct nl_msg *msg;
	struct tl_reply r;

	ASSERT_EQ(0, sp_set_framing(&self->p.nl, self->p.port,
				    M2MGW_FRAMING_DELIMITER, '\n', 0, &r));
	EXPECT_EQ(-EINVAL, sp_set_framing(&self->p.nl, self->p.port,
					  M2MGW_FRAMING_DELIMITER, 256, 0, &r));
	EXPECT_STREQ("delimiter must be a byte (0 .. 255)", r.extack);
	EXPECT_EQ(-EINVAL, sp_set_framing(&self->p.nl, self->p.port,
					  M2MGW_FRAMING_FIXED, 0, 0, &r));
	EXPECT_STREQ("fixed length must be 1 .. maxlen", r.extack);
	EXPECT_EQ(-EINVAL, sp_set_framing(&self->p.nl, self->p.port,
					  M2MGW_FRAMING_FIXED, 100, 50, &r));
	EXPECT_EQ(-EINVAL, sp_set_framing(&self->p.nl, self->p.port,
					  M2MGW_FRAMING_GAP, 0, 0, &r));
	EXPECT_STREQ("gap out of range (1 us .. 10 s)", r.extack);
	/* Unknown framing and maxlen 0: the policy's range check. */
	EXPECT_EQ(-ERANGE,
		  sp_set_framing(&self->p.nl, self->p.port, 77, 0, 0, &r));
	EXPECT_NE(0, r.extack[0]);
	msg = tl_msg(&self->p.nl, M2MGW_CMD_PORT_SET);
	nla_put_u32(msg, M2MGW_A_PORT_ID, self->p.port);
	nla_put_u32(msg, M2MGW_A_SERIAL_MAXLEN, 0);
	EXPECT_EQ(-ERANGE, tl_nl_call(&self->p.nl, msg, &r));
	EXPECT_NE(0, r.extack[0]);
	/* Still delimiter framing. */
	ASSERT_EQ(0, sp_put(self->p.master, "x\n", 2));
	EXPECT_EQ(0, sp_expect(&self->p, "x\n", 2, 3000));
}

TEST_F(pty, modbus_rtu_frames_split_exactly)
{
	static const uint8_t req[] = { 0x11, 0x03, 0x00, 0x6b, 0x00, 0x03 };
	static const uint8_t wr[] = { 0x11, 0x10, 0x00, 0x01, 0x00, 0x02,
				      0x04, 0x00, 0x0a, 0x01, 0x02 };
	struct termios t;
	struct tl_reply r;
	uint8_t f[3][32];
	size_t n[3];
	int i;

	/*
	 * 300 baud 8N1: t3.5 = 3.5 * 10 / 300 s = 117 ms, so that a 2 ms
	 * pause inside a frame stays far below it even when a loaded TCG
	 * host stretches the sleep by tens of ms.  Frames 1.5 s apart must
	 * split: the framer subtracts the next frame's wire time (up to
	 * 13 * 33 ms) from the silence it sees.
	 */
	tcgetattr(self->p.slave, &t);
	cfsetspeed(&t, B300);
	ASSERT_EQ(0, tcsetattr(self->p.slave, TCSANOW, &t));
	ASSERT_EQ(0, sp_set_framing(&self->p.nl, self->p.port,
				    M2MGW_FRAMING_MODBUS_RTU, 0, 256, &r));
	n[0] = sp_modbus_frame(f[0], req, sizeof(req));
	n[1] = sp_modbus_frame(f[1], wr, sizeof(wr));
	n[2] = sp_modbus_frame(f[2], req, 2);
	ASSERT_EQ(0, sp_put(self->p.master, f[0], n[0]));
	usleep(1500000);
	ASSERT_EQ(0, sp_put(self->p.master, f[1], 5));
	usleep(2000);
	ASSERT_EQ(0, sp_put(self->p.master, f[1] + 5, n[1] - 5));
	usleep(1500000);
	ASSERT_EQ(0, sp_put(self->p.master, f[2], n[2]));
	for (i = 0; i < 3; i++) {
		struct sp_rx rx;

		ASSERT_EQ(0, sp_recv(&self->p, &rx, 3000));
		ASSERT_EQ(n[i], rx.len);
		EXPECT_EQ(0, memcmp(rx.data, f[i], n[i]));
		EXPECT_EQ(0, sp_crc16(rx.data, rx.len)); /* CRC valid */
		EXPECT_EQ(i, rx.seq);
	}
}

TEST_F(pty, tx_goes_out_through_the_tty)
{
	static const uint8_t msg[] = "\x01\x03\x02\x00\x2a\x38\x5b";
	uint8_t buf[256], in[64];
	size_t n;
	int fd;

	fd = open("/dev/m2mgw", O_RDWR);
	ASSERT_LE(0, fd);
	n = m2mgw_rec_build(buf, sizeof(buf), self->p.port, M2MGW_REC_SERIAL,
			    msg, 7);
	ASSERT_EQ((ssize_t)n, write(fd, buf, n));
	EXPECT_EQ(7, read(self->p.master, in, sizeof(in)));
	EXPECT_EQ(0, memcmp(in, msg, 7));
	/* A CAN payload to a serial port, and an empty one: EINVAL. */
	n = m2mgw_rec_build(buf, sizeof(buf), self->p.port, M2MGW_REC_CAN, in,
			    16);
	EXPECT_EQ(-1, write(fd, buf, n));
	EXPECT_EQ(EINVAL, errno);
	n = m2mgw_rec_build(buf, sizeof(buf), self->p.port, M2MGW_REC_SERIAL,
			    in, 0);
	EXPECT_EQ(-1, write(fd, buf, n));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

/*
 * Write the record in @buf (@n bytes) to the non-blocking @fd until its
 * tty is full.  A pty's flip buffer drains into the master's line
 * discipline for a while after the first EAGAIN, so full means EAGAIN
 * three times over 300 ms.  Returns 3 then, -errno on another error, or
 * fewer when 4096 writes never filled it.
 */
static int fill_tty(int fd, const void *buf, size_t n)
{
	int i, full = 0;

	for (i = 0; i < 4096 && full < 3; i++) {
		if (write(fd, buf, n) >= 0) {
			full = 0;
			continue;
		}
		if (errno != EAGAIN)
			return -errno;
		full++;
		usleep(100000);
	}
	return full;
}

TEST_F(pty, tx_nonblock_eagain_then_blocking_waits)
{
	static uint8_t payload[1024], buf[2048], sink[4096];
	int fd, i;
	size_t n;
	pid_t pid;
	int st;

	fd = open("/dev/m2mgw", O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, fd);
	memset(payload, 'x', sizeof(payload));
	n = m2mgw_rec_build(buf, sizeof(buf), self->p.port, M2MGW_REC_SERIAL,
			    payload, sizeof(payload));
	/* Nobody reads the master: the pty fills up. */
	ASSERT_EQ(3, fill_tty(fd, buf, n));
	close(fd);

	/* A blocking writer waits until the master drains the pty. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int bfd = open("/dev/m2mgw", O_RDWR);

		if (bfd < 0)
			_exit(100);
		_exit(write(bfd, buf, n) == (ssize_t)n ? 0 : errno);
	}
	usleep(300000);
	/* Still blocked. */
	ASSERT_EQ(0, waitpid(pid, &st, WNOHANG))
	TH_LOG("writer exited with %d", WEXITSTATUS(st));
	fcntl(self->p.master, F_SETFL, O_NONBLOCK);
	for (i = 0; i < 2000; i++) {
		if (read(self->p.master, sink, sizeof(sink)) <= 0)
			usleep(5000);
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
	}
	ASSERT_LT(i, 2000);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * A blocking write() that has sent part of a record and then waits for
 * room must not be interrupted by a signal: restarted (SA_RESTART), it
 * would send the record again from its first byte, so the line would
 * carry the first part twice.  The writer gets SIGALRM every 50 ms.
 */
TEST_F(pty, tx_partly_sent_record_is_not_resent_after_a_signal)
{
	static uint8_t payload[1024], buf[2048], rec[4096], rbuf[4200];
	static const char sig[] = "RECORD0:";
	static char in[4096 + sizeof(sig)];
	int fd, i, seen = 0, st;
	size_t n, rn, keep = 0;
	ssize_t got, drained = 0;
	pid_t pid;

	fd = open("/dev/m2mgw", O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, fd);
	memset(payload, 'x', sizeof(payload));
	n = m2mgw_rec_build(buf, sizeof(buf), self->p.port, M2MGW_REC_SERIAL,
			    payload, sizeof(payload));
	/* As above: nobody reads the master until the pty is full. */
	ASSERT_EQ(3, fill_tty(fd, buf, n));
	close(fd);
	/* Make some room, less than the record: it goes out in part. */
	fcntl(self->p.master, F_SETFL, O_NONBLOCK);
	for (i = 0; i < 200 && drained < 2048; i++) {
		got = read(self->p.master, in, 2048 - drained);
		if (got > 0)
			drained += got;
		else
			usleep(5000);
	}
	for (i = 0; i < (int)sizeof(rec); i++)
		rec[i] = 'a' + i % 26;
	memcpy(rec, sig, strlen(sig));
	rn = m2mgw_rec_build(rbuf, sizeof(rbuf), self->p.port, M2MGW_REC_SERIAL,
			     rec, sizeof(rec));
	ASSERT_NE(0, rn);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct itimerval it = { { 0, 50000 }, { 0, 50000 } };
		struct sigaction sa = { .sa_handler = on_alarm,
					.sa_flags = SA_RESTART };
		int bfd = open("/dev/m2mgw", O_RDWR);

		if (bfd < 0 || sigaction(SIGALRM, &sa, NULL) ||
		    setitimer(ITIMER_REAL, &it, NULL))
			_exit(100);
		_exit(write(bfd, rbuf, rn) == (ssize_t)rn ? 0 : errno);
	}
	/* Let it send what fits and take a few signals while it waits. */
	usleep(500000);
	/* Drain the master; count the record's starts in the stream. */
	for (i = 0, st = -1; i < 1000; i++) {
		got = read(self->p.master, in + keep, sizeof(in) - keep);
		if (got <= 0) {
			if (st == -1 && waitpid(pid, &st, WNOHANG) != pid)
				st = -1;
			if (st != -1 && i > 50)
				break;
			usleep(5000);
			continue;
		}
		got += keep;
		for (n = 0; n + strlen(sig) <= (size_t)got; n++)
			if (!memcmp(in + n, sig, strlen(sig)))
				seen++;
		keep = strlen(sig) - 1;
		memmove(in, in + got - keep, keep);
	}
	if (st == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	/* Sent once, whatever the signals: not twice, not for ever. */
	EXPECT_EQ(1, seen);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
	TH_LOG("writer %s", WIFEXITED(st) ? "failed" : "never finished");
}

/* Keep writing to @fd until killed. */
static pid_t chatter(int fd)
{
	pid_t pid = fork();

	if (!pid) {
		signal(SIGPIPE, SIG_IGN);
		for (;;)
			if (write(fd, "0123456789\n", 11) < 0)
				usleep(1000);
	}
	return pid;
}

TEST_F(pty, hangup_during_traffic_makes_port_gone)
{
	struct tl_reply r;
	pid_t pid;

	pid = chatter(self->p.master);
	usleep(200000);
	/* The parent's and the child's master fds: the last close hangs up. */
	close(self->p.master);
	self->p.master = -1;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ASSERT_EQ(0, sp_wait_state(&self->p.nl, self->p.port, M2MGW_STATE_GONE,
				   5000));
	ASSERT_EQ(0, tl_port_get(&self->p.nl, self->p.port, &r));
	EXPECT_LT(0, r.stats[M2MGW_STATS_A_RX_FRAMES]);
	/* Gone stays until PORT_DEL. */
	EXPECT_EQ(0, tl_port_del(&self->p.nl, self->p.port));
	self->p.port = 0;
}

TEST_F(pty, port_del_during_traffic_restores_n_tty)
{
	pid_t pid;
	int ld = -1;

	pid = chatter(self->p.master);
	usleep(200000);
	EXPECT_EQ(0, tl_port_del(&self->p.nl, self->p.port));
	self->p.port = 0;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ASSERT_EQ(0, ioctl(self->p.slave, TIOCGETD, &ld));
	EXPECT_EQ(N_TTY, ld);
}

TEST_F(pty, n_tty_detaches_and_reattach_gives_a_new_port)
{
	uint32_t old = self->p.port;
	int ld = N_TTY, i, err = 0;
	struct tl_reply r;

	ASSERT_EQ(0, ioctl(self->p.slave, TIOCSETD, &ld));
	for (i = 0; i < 500 && !err; i++) {
		err = tl_port_get(&self->p.nl, old, &r);
		usleep(10000);
	}
	EXPECT_EQ(-ENOENT, err);
	ld = SP_LDISC;
	ASSERT_EQ(0, ioctl(self->p.slave, TIOCSETD, &ld));
	self->p.port = sp_wait_port(&self->p.nl, self->p.name, 5000);
	ASSERT_NE(0, self->p.port);
	EXPECT_NE(old, self->p.port);
}

/*
 * Pty numbers are recycled: a TIOCSETD attach of a new pty that has the
 * name of one that hung up replaces the old, gone port.
 */
TEST_F(pty, reused_tty_name_replaces_gone_port)
{
	uint32_t old = self->p.port;
	char name[sizeof(self->p.name)];
	int ld = SP_LDISC;
	struct tl_reply r;

	strcpy(name, self->p.name);
	close(self->p.master);
	self->p.master = -1;
	ASSERT_EQ(0, sp_wait_state(&self->p.nl, old, M2MGW_STATE_GONE, 5000));
	close(self->p.slave);
	self->p.slave = -1;
	/* The lowest free pty index comes back. */
	ASSERT_EQ(0, sp_pty(&self->p, B38400));
	ASSERT_STREQ(name, self->p.name);
	ASSERT_EQ(0, ioctl(self->p.slave, TIOCSETD, &ld));
	self->p.port = sp_wait_port(&self->p.nl, name, 5000);
	ASSERT_NE(0, self->p.port);
	EXPECT_NE(old, self->p.port);
	EXPECT_EQ(-ENOENT, tl_port_get(&self->p.nl, old, &r));
}

static int serial_new(struct tl_nl *nl, struct tl_reply *r, const char *tty,
		      int attr, uint32_t val)
{
	struct nl_msg *msg = tl_msg(nl, M2MGW_CMD_PORT_NEW);

	nla_put_u32(msg, M2MGW_A_PORT_TYPE, M2MGW_PORT_SERIAL);
	if (tty)
		nla_put_string(msg, M2MGW_A_TTY, tty);
	if (attr == M2MGW_A_SERIAL_DATA_BITS || attr == M2MGW_A_SERIAL_PARITY ||
	    attr == M2MGW_A_SERIAL_STOP_BITS)
		nla_put_u8(msg, attr, (uint8_t)val);
	else if (attr)
		nla_put_u32(msg, attr, val);
	return tl_nl_call(nl, msg, r);
}

/*
 * tcflush() reaches the line discipline's ioctl() with a reference to it
 * held.  Taking a second one there would wait behind a writer of the
 * ldisc lock (TIOCSETD, a hangup) that waits for the first: TIOCSETD
 * gives up after 5 s with EBUSY, a hangup waits for ever.  The no-op
 * TIOCSETD below takes that lock each time.
 */
TEST_F(pty, tcflush_racing_an_ldisc_change_does_not_deadlock)
{
	uint64_t t0, end, worst = 0;
	int ld = SP_LDISC, n = 0;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		for (;;)
			ioctl(self->p.slave, TCFLSH, TCOFLUSH);
	}
	end = tl_now_ns() + 3000000000ULL;
	while (tl_now_ns() < end) {
		t0 = tl_now_ns();
		if (ioctl(self->p.slave, TIOCSETD, &ld)) {
			TH_LOG("TIOCSETD #%d: %s", n, strerror(errno));
			worst = ~0ULL;
			break;
		}
		t0 = tl_now_ns() - t0;
		worst = t0 > worst ? t0 : worst;
		n++;
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	TH_LOG("%d TIOCSETD calls, slowest %llu ms", n,
	       (unsigned long long)(worst / 1000000));
	/* Far below the 5 s of a deadlock broken by TIOCSETD's timeout. */
	EXPECT_GT(2000000000ULL, worst);
}

TEST_F(pty, bad_attach_requests)
{
	struct tl_nl *nl = &self->p.nl;
	struct tl_reply r;
	struct sp q;

	EXPECT_EQ(-EINVAL, serial_new(nl, &r, NULL, 0, 0));
	EXPECT_STREQ("a serial port needs a tty", r.extack);
	EXPECT_EQ(-ENODEV, serial_new(nl, &r, "ttyNOPE7", 0, 0));
	EXPECT_STREQ("no such tty", r.extack);
	/* Out of the policy's ranges: ERANGE, with the policy's message. */
	EXPECT_EQ(-ERANGE,
		  serial_new(nl, &r, "ttyS1", M2MGW_A_SERIAL_FRAMING, 99));
	EXPECT_NE(0, r.extack[0]);
	EXPECT_EQ(-ERANGE, serial_new(nl, &r, "ttyS1", M2MGW_A_SERIAL_BAUD, 0));
	EXPECT_NE(0, r.extack[0]);
	EXPECT_EQ(-ERANGE,
		  serial_new(nl, &r, "ttyS1", M2MGW_A_SERIAL_BAUD, 100000000));
	EXPECT_EQ(-ERANGE,
		  serial_new(nl, &r, "ttyS1", M2MGW_A_SERIAL_MAXLEN, 0));
	EXPECT_NE(0, r.extack[0]);
	EXPECT_EQ(-ERANGE,
		  serial_new(nl, &r, "ttyS1", M2MGW_A_SERIAL_DATA_BITS, 9));
	/* The console is open: in use. */
	EXPECT_EQ(-EBUSY, serial_new(nl, &r, "ttyS0", 0, 0));
	EXPECT_STREQ("the tty is in use", r.extack);
	/* A pty slave cannot be opened by the kernel: TIOCSETD it. */
	EXPECT_EQ(-EEXIST, serial_new(nl, &r, self->p.name, 0, 0));
	EXPECT_STREQ("a port already captures this tty", r.extack);
	memset(&q, 0, sizeof(q));
	q.master = q.slave = -1;
	ASSERT_EQ(0, sp_pty(&q, B9600));
	EXPECT_EQ(-EIO, serial_new(nl, &r, q.name, 0, 0));
	EXPECT_STREQ("no kernel open: use TIOCSETD", r.extack);
	close(q.slave);
	close(q.master);
}

/*
 * TIOCSETD is open to anyone who can open a tty, and a pty is open to
 * anyone: without CAP_NET_ADMIN it must not create ports (PORT_NEW over
 * netlink needs it), nor feed frames into the readers' rings, nor use up
 * M2MGW_MAX_PORTS with ports left gone by a hangup.
 */
TEST_F(pty, tiocsetd_needs_cap_net_admin)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int ld = SP_LDISC, ret;
		struct sp q;

		memset(&q, 0, sizeof(q));
		if (setgid(65534) || setuid(65534) || sp_pty(&q, B9600))
			_exit(2);
		ret = ioctl(q.slave, TIOCSETD, &ld) ? errno : 0;
		/* The slave first: no hangup, a port would go with it. */
		close(q.slave);
		close(q.master);
		_exit(ret == EPERM ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
	TH_LOG("TIOCSETD as nobody: %s",
	       WEXITSTATUS(status) == 1 ? "not refused with EPERM" : "no pty");
}

struct events {
	int n;
	uint8_t cmd[16];
	uint32_t state[16];
};

/* Events of one port, by name. */
static const char *ev_name;

static int event_cb(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *g = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[M2MGW_A_MAX + 1];
	struct events *e = arg;

	if (e->n >= 16 ||
	    genlmsg_parse(nlmsg_hdr(msg), 0, tb, M2MGW_A_MAX, NULL) ||
	    !tb[M2MGW_A_PORT_NAME] ||
	    strcmp(nla_get_string(tb[M2MGW_A_PORT_NAME]), ev_name))
		return NL_OK;
	e->cmd[e->n] = g->cmd;
	e->state[e->n] = tb[M2MGW_A_PORT_STATE] ?
				 nla_get_u32(tb[M2MGW_A_PORT_STATE]) :
				 ~0u;
	e->n++;
	return NL_OK;
}

TEST(events_announce_attach_hangup_and_delete)
{
	struct nl_sock *ev = nl_socket_alloc();
	struct events e = { 0 };
	struct sp p;
	int grp, i;

	ASSERT_EQ(0, genl_connect(ev));
	grp = genl_ctrl_resolve_grp(ev, M2MGW_GENL_NAME,
				    M2MGW_GENL_MCGRP_EVENTS);
	ASSERT_LE(0, grp);
	ASSERT_EQ(0, nl_socket_add_membership(ev, grp));
	nl_socket_disable_seq_check(ev);
	nl_socket_modify_cb(ev, NL_CB_VALID, NL_CB_CUSTOM, event_cb, &e);
	nl_socket_set_nonblocking(ev);

	ASSERT_EQ(0, sp_open(&p, B9600));
	ev_name = p.name;
	close(p.master); /* hangs the slave up */
	p.master = -1;
	ASSERT_EQ(0, sp_wait_state(&p.nl, p.port, M2MGW_STATE_GONE, 5000));
	ASSERT_EQ(0, tl_port_del(&p.nl, p.port));
	p.port = 0;
	for (i = 0; i < 50 && e.n < 3; i++) {
		nl_recvmsgs_default(ev);
		usleep(20000);
	}
	ASSERT_EQ(3, e.n);
	EXPECT_EQ(M2MGW_CMD_PORT_NEW, e.cmd[0]);
	EXPECT_EQ(M2MGW_STATE_UP, e.state[0]);
	EXPECT_EQ(M2MGW_CMD_PORT_STATE, e.cmd[1]);
	EXPECT_EQ(M2MGW_STATE_GONE, e.state[1]);
	EXPECT_EQ(M2MGW_CMD_PORT_DEL, e.cmd[2]);
	sp_close(&p);
	nl_socket_free(ev);
}

TEST_HARNESS_MAIN
