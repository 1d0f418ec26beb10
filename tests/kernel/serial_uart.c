// SPDX-License-Identifier: GPL-2.0
/*
 * A real (emulated) UART: tests/vm/run wires QEMU's ttyS1 and ttyS2
 * together (M2MGW_VM_UARTS).  The module opens ttyS1 itself from PORT_NEW
 * (tty_kopen_exclusive, termios, line discipline); the test plays the
 * device on ttyS2.  Frames cross QEMU's 16550 emulation, which paces
 * characters at the baud rate and hands them over through its FIFO.
 */
#define _GNU_SOURCE
#include "kselftest_harness.h"
#include "serial_testlib.h"

#define DEV  "ttyS1"
#define PEER "/dev/ttyS2"

static int serial_new(struct tl_nl *nl, struct tl_reply *r, const char *tty,
		      uint32_t baud, uint32_t framing)
{
	struct nl_msg *msg = tl_msg(nl, M2MGW_CMD_PORT_NEW);

	nla_put_u32(msg, M2MGW_A_PORT_TYPE, M2MGW_PORT_SERIAL);
	nla_put_string(msg, M2MGW_A_TTY, tty);
	nla_put_u32(msg, M2MGW_A_SERIAL_BAUD, baud);
	nla_put_u8(msg, M2MGW_A_SERIAL_DATA_BITS, 8);
	nla_put_u8(msg, M2MGW_A_SERIAL_PARITY, M2MGW_PARITY_NONE);
	nla_put_u8(msg, M2MGW_A_SERIAL_STOP_BITS, 1);
	nla_put_u32(msg, M2MGW_A_SERIAL_FRAMING, framing);
	nla_put_u32(msg, M2MGW_A_SERIAL_MAXLEN, 256);
	return tl_nl_call(nl, msg, r);
}

FIXTURE(uart)
{
	struct sp p; /* p.master: the peer's end, ttyS2 */
};

FIXTURE_SETUP(uart)
{
	struct tl_reply r;
	struct termios t;
	int err;

	memset(&self->p, 0, sizeof(self->p));
	self->p.slave = -1;
	self->p.ring.fd = -1;
	ASSERT_EQ(0, tl_nl_open(&self->p.nl));
	self->p.master = open(PEER, O_RDWR | O_NOCTTY);
	if (self->p.master < 0 ||
	    (tcgetattr(self->p.master, &t) && errno == EIO))
		SKIP(return, "no UART pair ttyS1-ttyS2 (M2MGW_VM_UARTS=0?)");
	cfmakeraw(&t);
	cfsetspeed(&t, B9600);
	t.c_cflag |= CLOCAL | CREAD;
	ASSERT_EQ(0, tcsetattr(self->p.master, TCSANOW, &t));
	err = serial_new(&self->p.nl, &r, DEV, 9600, M2MGW_FRAMING_MODBUS_RTU);
	ASSERT_EQ(0, err)
	TH_LOG("PORT_NEW " DEV ": %d %s", err, r.extack);
	self->p.port = r.port_id;
	ASSERT_EQ(0, m2mgw_ring_open(&self->p.ring, NULL, 1 << 20));
	ASSERT_EQ(0, m2mgw_ring_subscribe(&self->p.ring, self->p.port));
}

FIXTURE_TEARDOWN(uart)
{
	sp_close(&self->p);
}

TEST_F(uart, modbus_frames_from_the_device_arrive_whole)
{
	static const uint8_t pdu[3][8] = {
		{ 0x01, 0x03, 0x02, 0x00, 0x2a },
		{ 0x01, 0x06, 0x00, 0x10, 0x12, 0x34 },
		{ 0x01, 0x10, 0x00, 0x01, 0x00, 0x02, 0x04 },
	};
	static const size_t len[3] = { 5, 6, 7 };
	struct tl_reply r;
	uint8_t f[3][16];
	size_t n[3];
	int i;

	struct termios t;
	struct nl_msg *msg;

	ASSERT_EQ(0, sp_get_name(&self->p.nl, DEV, &r));
	EXPECT_EQ(M2MGW_STATE_UP, r.state);
	/*
	 * 300 baud: t3.5 (117 ms) plus the 16550's 4-character FIFO hold
	 * (133 ms) is far above TCG's scheduling jitter, which at 9600 baud
	 * (3.6 + 4.2 ms) can split a frame at the FIFO's trigger level.
	 * Frames 800 ms apart (after tcdrain) must split.
	 */
	msg = tl_msg(&self->p.nl, M2MGW_CMD_PORT_SET);
	nla_put_u32(msg, M2MGW_A_PORT_ID, self->p.port);
	nla_put_u32(msg, M2MGW_A_SERIAL_BAUD, 300);
	ASSERT_EQ(0, tl_nl_call(&self->p.nl, msg, &r));
	tcgetattr(self->p.master, &t);
	cfsetspeed(&t, B300);
	ASSERT_EQ(0, tcsetattr(self->p.master, TCSANOW, &t));
	for (i = 0; i < 3; i++) {
		n[i] = sp_modbus_frame(f[i], pdu[i], len[i]);
		ASSERT_EQ(0, sp_put(self->p.master, f[i], n[i]));
		tcdrain(self->p.master);
		usleep(800000);
	}
	for (i = 0; i < 3; i++) {
		struct sp_rx rx;

		ASSERT_EQ(0, sp_recv(&self->p, &rx, 5000));
		ASSERT_EQ(n[i], rx.len);
		EXPECT_EQ(0, memcmp(rx.data, f[i], n[i]));
		EXPECT_EQ(0, sp_crc16(rx.data, rx.len));
	}
}

TEST_F(uart, tx_reaches_the_device)
{
	static const char msg[] = "\x01\x03\x00\x00\x00\x01\x84\x0a";
	uint8_t buf[128], in[16];
	size_t n, got = 0;
	ssize_t k;
	int fd, i;

	fd = open("/dev/m2mgw", O_RDWR);
	ASSERT_LE(0, fd);
	n = m2mgw_rec_build(buf, sizeof(buf), self->p.port, M2MGW_REC_SERIAL,
			    msg, 8);
	ASSERT_EQ((ssize_t)n, write(fd, buf, n));
	fcntl(self->p.master, F_SETFL, O_NONBLOCK);
	for (i = 0; i < 300 && got < 8; i++) {
		k = read(self->p.master, in + got, sizeof(in) - got);
		if (k > 0)
			got += (size_t)k;
		else
			usleep(10000);
	}
	ASSERT_EQ(8, got);
	EXPECT_EQ(0, memcmp(in, msg, 8));
	close(fd);
}

TEST_F(uart, attach_twice_and_busy_tty_refused)
{
	struct tl_reply r;

	EXPECT_EQ(-EEXIST,
		  serial_new(&self->p.nl, &r, DEV, 9600, M2MGW_FRAMING_RAW));
	EXPECT_STREQ("a port already captures this tty", r.extack);
	/* The test holds ttyS2 open. */
	EXPECT_EQ(-EBUSY, serial_new(&self->p.nl, &r, "ttyS2", 9600,
				     M2MGW_FRAMING_RAW));
	EXPECT_STREQ("the tty is in use", r.extack);
}

TEST_F(uart, baud_the_uart_cannot_do_refused_and_line_kept)
{
	struct nl_msg *msg = tl_msg(&self->p.nl, M2MGW_CMD_PORT_SET);
	struct tl_reply r;

	/* Far above what a 16550 at 1.8432 MHz / 16 can do. */
	nla_put_u32(msg, M2MGW_A_PORT_ID, self->p.port);
	nla_put_u32(msg, M2MGW_A_SERIAL_BAUD, 3000000);
	EXPECT_EQ(-EINVAL, tl_nl_call(&self->p.nl, msg, &r));
	EXPECT_STREQ("the tty cannot do this baud rate", r.extack);
	msg = tl_msg(&self->p.nl, M2MGW_CMD_PORT_SET);
	nla_put_u32(msg, M2MGW_A_PORT_ID, self->p.port);
	nla_put_u32(msg, M2MGW_A_SERIAL_BAUD, 19200);
	EXPECT_EQ(0, tl_nl_call(&self->p.nl, msg, &r));
}

TEST_F(uart, port_del_gives_the_tty_back)
{
	int fd, ld = -1;

	ASSERT_EQ(0, tl_port_del(&self->p.nl, self->p.port));
	self->p.port = 0;
	/* Closed by the module: userspace can open it, with N_TTY. */
	fd = open("/dev/" DEV, O_RDWR | O_NOCTTY | O_NONBLOCK);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, TIOCGETD, &ld));
	EXPECT_EQ(N_TTY, ld);
	close(fd);
}

/*
 * PORT_DEL must not wait for queued output to drain: the module closes
 * the tty with RTNL held, and a line that does not move (a peer that
 * stopped reading, flow control) would hold it for the driver's
 * closing_wait, 30 s.  Stall the line: with ttyS2 closed its 16550 stops
 * taking characters, QEMU stops reading the socket between the two
 * UARTs, and once that fills, ttyS1's output stays queued.
 */
TEST_F(uart, port_del_does_not_wait_for_a_stalled_line)
{
	uint8_t payload[256], buf[512];
	struct timespec t0, t1;
	size_t n, queued = 0;
	struct termios t;
	double ms;
	int fd, i;

	close(self->p.master);
	self->p.master = -1;
	memset(payload, 0x55, sizeof(payload));
	fd = open("/dev/m2mgw", O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, fd);
	n = m2mgw_rec_build(buf, sizeof(buf), self->p.port, M2MGW_REC_SERIAL,
			    payload, sizeof(payload));
	/* EAGAIN for a while: the tty's buffer is full, the line stalled. */
	for (i = 0; i < 20000; i++) {
		if (write(fd, buf, n) == (ssize_t)n) {
			queued += sizeof(payload);
			i = 0;
			continue;
		}
		ASSERT_EQ(EAGAIN, errno);
		if (i >= 200)
			break;
		usleep(10000);
	}
	close(fd);
	TH_LOG("%zu bytes accepted before the line stalled", queued);
	ASSERT_GE(i, 200);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, tl_port_del(&self->p.nl, self->p.port));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	self->p.port = 0;
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	TH_LOG("PORT_DEL took %.0f ms", ms);
	/* closing_wait is 30 s; anything near it is the bug. */
	EXPECT_LT(ms, 10000);
	/* What did cross is still in the socket: drain it for the next test. */
	fd = open(PEER, O_RDWR | O_NOCTTY | O_NONBLOCK);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, tcgetattr(fd, &t));
	cfmakeraw(&t);
	t.c_cflag |= CLOCAL | CREAD;
	ASSERT_EQ(0, tcsetattr(fd, TCSANOW, &t));
	for (i = 0; i < 300; i++) {
		if (read(fd, buf, sizeof(buf)) > 0)
			i = 0;
		else
			usleep(10000);
	}
	close(fd);
}

TEST_HARNESS_MAIN
