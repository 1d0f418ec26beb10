/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the serial tests: a pty pair whose slave gets the m2mgw
 * line discipline with TIOCSETD (ldattach-style), the port the module
 * creates for it, serial netlink attributes, records from the ring.
 */
#ifndef M2MGW_SERIAL_TESTLIB_H
#define M2MGW_SERIAL_TESTLIB_H

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <linux/tty.h>

#include "m2mgw_ring.h"
#include "testlib.h"

#define SP_LDISC 29 /* N_DEVELOPMENT, the module's default */

struct sp {
	int master, slave;
	char name[32]; /* the tty's and the port's name: pts<N> */
	uint32_t port;
	struct tl_nl nl;
	struct m2mgw_ring ring;
};

struct sp_rx {
	uint8_t data[M2MGW_SERIAL_MAXLEN];
	uint32_t len;
	uint16_t type, flags;
	uint64_t ts, seq;
};

static inline int sp_get_name(struct tl_nl *nl, const char *name,
			      struct tl_reply *r)
{
	struct nl_msg *msg = tl_msg(nl, M2MGW_CMD_PORT_GET);

	nla_put_string(msg, M2MGW_A_PORT_NAME, name);
	return tl_nl_call(nl, msg, r);
}

/* The port a TIOCSETD attach creates appears from a worker: wait. */
static inline uint32_t sp_wait_port(struct tl_nl *nl, const char *name,
				    int timeout_ms)
{
	struct tl_reply r;

	for (; timeout_ms > 0; timeout_ms -= 10) {
		if (!sp_get_name(nl, name, &r) && r.state == M2MGW_STATE_UP)
			return r.port_id;
		usleep(10000);
	}
	return 0;
}

/* Poll PORT_GET until the port has @state, or is gone (-ENOENT). */
static inline int sp_wait_state(struct tl_nl *nl, uint32_t id, uint32_t state,
				int timeout_ms)
{
	struct tl_reply r;
	int err;

	for (; timeout_ms > 0; timeout_ms -= 10) {
		err = tl_port_get(nl, id, &r);
		if (err)
			return err;
		if (r.state == state)
			return 0;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

static inline int sp_set_framing(struct tl_nl *nl, uint32_t id,
				 uint32_t framing, uint32_t arg,
				 uint32_t maxlen, struct tl_reply *r)
{
	struct nl_msg *msg = tl_msg(nl, M2MGW_CMD_PORT_SET);

	nla_put_u32(msg, M2MGW_A_PORT_ID, id);
	nla_put_u32(msg, M2MGW_A_SERIAL_FRAMING, framing);
	nla_put_u32(msg, M2MGW_A_SERIAL_FRAMING_ARG, arg);
	if (maxlen)
		nla_put_u32(msg, M2MGW_A_SERIAL_MAXLEN, maxlen);
	return tl_nl_call(nl, msg, r);
}

/* A pty pair, both ends raw; the slave at @speed. */
static inline int sp_pty(struct sp *p, speed_t speed)
{
	struct termios t;
	int n;

	p->master = posix_openpt(O_RDWR | O_NOCTTY);
	if (p->master < 0 || grantpt(p->master) || unlockpt(p->master) ||
	    ioctl(p->master, TIOCGPTN, &n))
		return -1;
	snprintf(p->name, sizeof(p->name), "pts%d", n);
	p->slave = open(ptsname(p->master), O_RDWR | O_NOCTTY);
	if (p->slave < 0)
		return -1;
	tcgetattr(p->master, &t);
	cfmakeraw(&t);
	tcsetattr(p->master, TCSANOW, &t);
	tcgetattr(p->slave, &t);
	cfmakeraw(&t);
	cfsetspeed(&t, speed);
	return tcsetattr(p->slave, TCSANOW, &t);
}

/* Pty pair, slave attached with TIOCSETD, its port, a subscribed ring. */
static inline int sp_open(struct sp *p, speed_t speed)
{
	int ld = SP_LDISC;

	memset(p, 0, sizeof(*p));
	p->master = p->slave = -1;
	p->ring.fd = -1;
	if (tl_nl_open(&p->nl) || sp_pty(p, speed))
		return -1;
	if (ioctl(p->slave, TIOCSETD, &ld))
		return -2;
	p->port = sp_wait_port(&p->nl, p->name, 5000);
	if (!p->port)
		return -3;
	if (m2mgw_ring_open(&p->ring, NULL, 1 << 20) ||
	    m2mgw_ring_subscribe(&p->ring, p->port))
		return -4;
	return 0;
}

static inline void sp_close(struct sp *p)
{
	if (p->ring.fd >= 0)
		m2mgw_ring_close(&p->ring);
	if (p->port)
		tl_port_del(&p->nl, p->port);
	if (p->slave >= 0)
		close(p->slave);
	if (p->master >= 0)
		close(p->master);
	if (p->nl.sk)
		tl_nl_close(&p->nl);
}

static inline int sp_copy(void *ctx, const struct m2mgw_rec *rec)
{
	struct sp_rx *rx = ctx;

	rx->len = m2mgw_rec_payload_len(rec);
	if (rx->len > sizeof(rx->data))
		rx->len = sizeof(rx->data);
	memcpy(rx->data, rec->data, rx->len);
	rx->type = rec->type;
	rx->flags = rec->flags;
	rx->ts = rec->tstamp_ns;
	rx->seq = rec->seq;
	return 0;
}

/* One record within @timeout_ms: 0, or -ETIMEDOUT. */
static inline int sp_recv(struct sp *p, struct sp_rx *rx, int timeout_ms)
{
	uint64_t end = tl_now_ns() + (uint64_t)timeout_ms * 1000000ull;

	for (;;) {
		if (m2mgw_ring_consume(&p->ring, sp_copy, rx, 1) == 1)
			return 0;
		if (tl_now_ns() >= end)
			return -ETIMEDOUT;
		m2mgw_ring_wait(&p->ring, 50);
	}
}

/* Expect exactly @s as the next record. */
static inline int sp_expect(struct sp *p, const void *s, size_t len,
			    int timeout_ms)
{
	struct sp_rx rx;

	if (sp_recv(p, &rx, timeout_ms))
		return -ETIMEDOUT;
	if (rx.type != M2MGW_REC_SERIAL || rx.len != len ||
	    memcmp(rx.data, s, len)) {
		fprintf(stderr, "# got %u bytes: '%.*s'\n", rx.len, (int)rx.len,
			rx.data);
		return -EBADMSG;
	}
	return 0;
}

static inline int sp_put(int fd, const void *s, size_t len)
{
	return write(fd, s, len) == (ssize_t)len ? 0 : -1;
}

/* Modbus CRC-16 (poly 0xA001, init 0xFFFF), low byte first on the wire. */
static inline uint16_t sp_crc16(const uint8_t *p, size_t n)
{
	uint16_t crc = 0xffff;
	int i;

	while (n--) {
		crc ^= *p++;
		for (i = 0; i < 8; i++)
			crc = crc & 1 ? (crc >> 1) ^ 0xa001 : crc >> 1;
	}
	return crc;
}

static inline size_t sp_modbus_frame(uint8_t *out, const uint8_t *pdu, size_t n)
{
	uint16_t crc;

	memcpy(out, pdu, n);
	crc = sp_crc16(out, n);
	out[n] = crc & 0xff;
	out[n + 1] = crc >> 8;
	return n + 2;
}

#endif /* M2MGW_SERIAL_TESTLIB_H */
