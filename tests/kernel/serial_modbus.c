// SPDX-License-Identifier: GPL-2.0
/*
 * A real Modbus RTU peer: libmodbus as the client (master) on the pty
 * master, the m2mgw port on the pty slave as the server.  Every request
 * libmodbus sends must come out of the ring as one whole frame with a
 * valid CRC; the test answers it by writing the response to /dev/m2mgw
 * (TX through the tty), and libmodbus checks the response's CRC, slave
 * id, function and contents.
 */
#define _GNU_SOURCE
#include <modbus/modbus.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "serial_testlib.h"

#define SLAVE	 17
#define REQUESTS 40

/* Register @a holds this value in the test's "device". */
static uint16_t reg_value(int a)
{
	return (uint16_t)(a * 7 + 3);
}

/* The client: REQUESTS reads and writes; exit status = failures. */
static int client(int fd)
{
	uint16_t regs[8];
	int i, k, bad = 0;
	modbus_t *ctx;

	ctx = modbus_new_rtu("/dev/null", 9600, 'N', 8, 1);
	if (!ctx)
		return 100;
	modbus_set_slave(ctx, SLAVE);
	/* A pty master instead of a device libmodbus would open itself. */
	modbus_set_socket(ctx, fd);
	/* TCG: give the round trip through the VM plenty of time. */
	modbus_set_response_timeout(ctx, 5, 0);
	for (i = 0; i < REQUESTS; i++) {
		if (i % 2) {
			if (modbus_write_register(ctx, i, reg_value(i)) != 1)
				bad++;
			continue;
		}
		if (modbus_read_registers(ctx, i, 1 + i % 8, regs) !=
		    1 + i % 8) {
			bad++;
			continue;
		}
		for (k = 0; k < 1 + i % 8; k++)
			bad += regs[k] != reg_value(i + k);
	}
	modbus_free(ctx);
	return bad > 99 ? 99 : bad;
}

/* Answer one request frame; returns the response length or -1. */
static int serve(const uint8_t *req, uint32_t len, uint8_t *rsp)
{
	uint8_t pdu[260];
	int addr, n, k;

	if (len < 8 || req[0] != SLAVE)
		return -1;
	addr = req[2] << 8 | req[3];
	n = req[4] << 8 | req[5];
	pdu[0] = SLAVE;
	pdu[1] = req[1];
	switch (req[1]) {
	case 0x03: /* read holding registers */
		pdu[2] = (uint8_t)(2 * n);
		for (k = 0; k < n; k++) {
			pdu[3 + 2 * k] = reg_value(addr + k) >> 8;
			pdu[4 + 2 * k] = reg_value(addr + k) & 0xff;
		}
		return (int)sp_modbus_frame(rsp, pdu, 3 + 2 * n);
	case 0x06: /* write single register: echo */
		memcpy(pdu + 2, req + 2, 4);
		return (int)sp_modbus_frame(rsp, pdu, 6);
	default:
		return -1;
	}
}

TEST(libmodbus_client_through_the_port)
{
	int wfd, served = 0, crc_ok = 0, st;
	uint8_t rsp[300], rec[400];
	struct tl_reply r;
	struct sp_rx rx;
	struct sp p;
	pid_t pid;
	size_t n;
	int len;

	ASSERT_EQ(0, sp_open(&p, B9600));
	ASSERT_EQ(0, sp_set_framing(&p.nl, p.port, M2MGW_FRAMING_MODBUS_RTU, 0,
				    256, &r));
	wfd = open("/dev/m2mgw", O_RDWR);
	ASSERT_LE(0, wfd);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(client(p.master));

	while (served < REQUESTS && !sp_recv(&p, &rx, 10000)) {
		crc_ok += sp_crc16(rx.data, rx.len) == 0;
		len = serve(rx.data, rx.len, rsp);
		if (len < 0) {
			TH_LOG("frame %d: %u bytes, not a request", served,
			       rx.len);
			break;
		}
		n = m2mgw_rec_build(rec, sizeof(rec), p.port, M2MGW_REC_SERIAL,
				    rsp, (uint32_t)len);
		ASSERT_EQ((ssize_t)n, write(wfd, rec, n));
		served++;
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	EXPECT_EQ(REQUESTS, served);
	EXPECT_EQ(REQUESTS, crc_ok);
	ASSERT_EQ(0, tl_port_get(&p.nl, p.port, &r));
	EXPECT_EQ(REQUESTS, r.stats[M2MGW_STATS_A_RX_FRAMES]);
	EXPECT_EQ(REQUESTS, r.stats[M2MGW_STATS_A_TX_FRAMES]);
	EXPECT_EQ(0, r.stats[M2MGW_STATS_A_DROP_OVERSIZE]);
	close(wfd);
	sp_close(&p);
}

TEST_HARNESS_MAIN
