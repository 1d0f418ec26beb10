// SPDX-License-Identifier: GPL-2.0
/*
 * Modbus RTU master scheduler against simulated slaves on a simulated
 * line, with a fake clock: the test drives modbus_sched_step() and
 * delivers the slaves' answers with modbus_sched_rx() at the times a
 * real line would.  Checked on every transmit: no request overlaps
 * another (the previous one was answered or timed out) and the line
 * was silent for the inter-frame gap.  Then: values of every data type,
 * merging of adjacent reads, a dead slave's backoff not slowing a live
 * one, writes before polls, CRC errors, exceptions, timeouts, retries,
 * EAGAIN from the TX path, broadcasts.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "modbus_pdu.h"
#include "modbus_sched.h"
#include "tap.h"

#define EPS 1e-9

/* ---- the simulated line and slaves ---- */

struct sent {
	double t;
	uint8_t f[MODBUS_FRAME_MAX];
	size_t n;
};

static struct sim {
	double now, char_t, gap, turnaround;
	bool alive[MODBUS_SLAVE_MAX + 1];
	uint16_t regs[MODBUS_SLAVE_MAX + 1][256];
	uint8_t bits[MODBUS_SLAVE_MAX + 1][256];
	int exc_addr[MODBUS_SLAVE_MAX + 1]; /* reads covering it: exception 2 */
	int corrupt;			    /* corrupt the next N answers */
	int tx_rc, tx_rc_times;		    /* fail the next transmits */
	/* the answer on its way */
	bool pending;
	double resp_at;
	uint8_t resp[MODBUS_FRAME_MAX];
	size_t resp_n;
	/* line checks */
	double line_quiet_since; /* end of the last frame on the line */
	double outstanding_until;
	int overlaps, gap_violations;
	struct sent log[4096];
	unsigned int nlog;
} sim;

static void put_crc(uint8_t *f, size_t n)
{
	uint16_t c = modbus_crc16(f, n);

	f[n] = c & 0xff;
	f[n + 1] = c >> 8;
}

/* What slave f[0] answers to request f (independent of modbus_pdu.c). */
static size_t slave_answer(const uint8_t *f, uint8_t *r)
{
	unsigned int slave = f[0], fc = f[1], addr = f[2] << 8 | f[3];
	unsigned int cnt = f[4] << 8 | f[5];

	r[0] = (uint8_t)slave;
	r[1] = (uint8_t)fc;
	if ((fc <= 4 && sim.exc_addr[slave] >= (int)addr &&
	     sim.exc_addr[slave] < (int)(addr + cnt)) ||
	    (fc > 4 && sim.exc_addr[slave] == (int)addr)) {
		r[1] |= 0x80;
		r[2] = 2;
		put_crc(r, 3);
		return 5;
	}
	if (fc == 3 || fc == 4) {
		r[2] = (uint8_t)(2 * cnt);
		for (unsigned int i = 0; i < cnt; i++) {
			r[3 + 2 * i] = sim.regs[slave][addr + i] >> 8;
			r[4 + 2 * i] = sim.regs[slave][addr + i] & 0xff;
		}
		put_crc(r, 3 + 2 * cnt);
		return 5 + 2 * cnt;
	}
	if (fc == 1 || fc == 2) {
		r[2] = (uint8_t)((cnt + 7) / 8);
		memset(r + 3, 0, r[2]);
		for (unsigned int i = 0; i < cnt; i++)
			r[3 + i / 8] |= sim.bits[slave][addr + i] << (i % 8);
		put_crc(r, 3 + r[2]);
		return 5 + r[2];
	}
	if (fc == 6)
		sim.regs[slave][addr] = f[4] << 8 | f[5];
	if (fc == 16)
		for (unsigned int i = 0; i < cnt; i++)
			sim.regs[slave][addr + i] = f[7 + 2 * i] << 8 |
						    f[8 + 2 * i];
	if (fc == 5)
		sim.bits[slave][addr] = f[4] == 0xff;
	if (fc == 15)
		for (unsigned int i = 0; i < cnt; i++)
			sim.bits[slave][addr + i] = f[7 + i / 8] >> (i % 8) & 1;
	memcpy(r, f, 6); /* 5, 6, 15, 16 echo address and value/count */
	put_crc(r, 6);
	return 8;
}

static int fake_tx(void *ctx, const uint8_t *f, size_t n)
{
	struct sent *e;

	(void)ctx;
	if (sim.tx_rc_times) {
		sim.tx_rc_times--;
		return sim.tx_rc;
	}
	if (sim.now < sim.outstanding_until - EPS || sim.pending)
		sim.overlaps++;
	if (sim.now < sim.line_quiet_since + sim.gap - EPS)
		sim.gap_violations++;
	if (sim.nlog < sizeof(sim.log) / sizeof(sim.log[0])) {
		e = &sim.log[sim.nlog++];
		e->t = sim.now;
		memcpy(e->f, f, n);
		e->n = n;
	}
	sim.line_quiet_since = sim.now + n * sim.char_t;
	/* The master waits at most this long; it may end earlier. */
	sim.outstanding_until = sim.line_quiet_since;
	if (f[0] != MODBUS_BROADCAST && sim.alive[f[0]]) {
		sim.resp_n = slave_answer(f, sim.resp);
		if (sim.corrupt) {
			sim.corrupt--;
			sim.resp[3] ^= 0x10;
		}
		sim.pending = true;
		sim.resp_at = sim.line_quiet_since + sim.turnaround +
			      sim.resp_n * sim.char_t;
	}
	return 0;
}

struct got {
	int n;
	char name[64][32];
	char unit[64][8];
	double v[64];
	uint64_t ts[64];
};

static void on_sample(void *ctx, const struct sample *s)
{
	struct got *g = ctx;

	if (g->n == 64) { /* keep the newest half */
		memmove(g->name, g->name[32], sizeof(g->name) / 2);
		memmove(g->unit, g->unit[32], sizeof(g->unit) / 2);
		memmove(g->v, g->v + 32, sizeof(g->v) / 2);
		memmove(g->ts, g->ts + 32, sizeof(g->ts) / 2);
		g->n = 32;
	}
	snprintf(g->name[g->n], 32, "%s", s->signal);
	snprintf(g->unit[g->n], 8, "%s", s->unit ? s->unit : "");
	g->ts[g->n] = s->tstamp_ns;
	g->v[g->n++] = s->value;
}

static double last_of(const struct got *g, const char *name)
{
	for (int i = g->n - 1; i >= 0; i--)
		if (!strcmp(g->name[i], name))
			return g->v[i];
	return NAN;
}

/* Run the bus until @t_end; answers go to @g. */
static void run(struct modbus_sched *s, double t_end, struct got *g)
{
	static uint64_t seq;

	while (sim.now <= t_end) {
		double next = modbus_sched_step(s, sim.now);

		if (sim.pending && sim.resp_at < next)
			next = sim.resp_at;
		if (next > t_end)
			break;
		if (next > sim.now)
			sim.now = next;
		if (sim.pending && sim.now >= sim.resp_at) {
			sim.pending = false;
			sim.line_quiet_since = sim.now;
			modbus_sched_rx(s, sim.resp, sim.resp_n, sim.now,
					(uint64_t)(sim.now * 1e9), seq++,
					on_sample, g);
		}
	}
	sim.now = t_end;
}

static void sim_reset(uint32_t baud)
{
	memset(&sim, 0, sizeof(sim));
	sim.char_t = 10.0 / baud;
	sim.gap = baud > 19200 ? 1.75e-3 : 3.5 * sim.char_t;
	sim.turnaround = 0.004;
	for (int i = 0; i <= MODBUS_SLAVE_MAX; i++)
		sim.exc_addr[i] = -1;
	sim.now = 100;
}

static struct modbus_bus_conf bus(uint32_t baud, struct modbus_poll *p,
				  unsigned int n)
{
	struct modbus_bus_conf bc = {
		.master = true,
		.timeout = 0.05,
		.retries = 2,
		.backoff_min = 1,
		.backoff_max = 4,
		.baud = baud,
		.data_bits = 8,
		.parity = M2MGW_PARITY_NONE,
		.stop_bits = 1,
		.polls = p,
		.npolls = n,
	};

	return bc;
}

static struct modbus_poll poll(const char *name, uint8_t slave, uint8_t fc,
			       uint16_t addr, enum modbus_dtype t,
			       uint16_t count, double period)
{
	struct modbus_poll p = { .slave = slave,
				 .fc = fc,
				 .addr = addr,
				 .type = t,
				 .count = count,
				 .scale = 1,
				 .period = period };

	snprintf(p.name, sizeof(p.name), "%s", name);
	p.span = (uint16_t)(count * modbus_dtype_width(t));
	return p;
}

static unsigned int sent_to(uint8_t slave, uint8_t fc)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < sim.nlog; i++)
		n += sim.log[i].f[0] == slave && (!fc || sim.log[i].f[1] == fc);
	return n;
}

/* ---- tests ---- */

static void test_gap(void)
{
	struct modbus_bus_conf bc = bus(19200, NULL, 0);
	struct modbus_sched *s = modbus_sched_new(&bc, fake_tx, NULL, NULL);

	ok(fabs(modbus_sched_gap(s) - 3.5 * 10 / 19200.0) < 1e-12,
	   "gap at 19200 8N1: 3.5 x 10 bits = %.4f ms",
	   modbus_sched_gap(s) * 1e3);
	modbus_sched_free(s);
	bc.baud = 9600;
	bc.parity = M2MGW_PARITY_EVEN;
	s = modbus_sched_new(&bc, fake_tx, NULL, NULL);
	ok(fabs(modbus_sched_gap(s) - 3.5 * 11 / 9600.0) < 1e-12,
	   "gap at 9600 8E1: 3.5 x 11 bits = %.4f ms",
	   modbus_sched_gap(s) * 1e3);
	modbus_sched_free(s);
	bc.baud = 115200;
	s = modbus_sched_new(&bc, fake_tx, NULL, NULL);
	ok(fabs(modbus_sched_gap(s) - 1.75e-3) < 1e-12,
	   "gap above 19200 baud: the 1.75 ms floor");
	modbus_sched_free(s);
}

static void test_values(void)
{
	struct modbus_poll p[] = {
		poll("u16", 1, 3, 0, MODBUS_U16, 1, 1),
		poll("s16", 1, 3, 1, MODBUS_S16, 1, 1),
		poll("u32", 1, 3, 2, MODBUS_U32, 1, 1),
		poll("u32le", 1, 3, 2, MODBUS_U32, 1, 1),
		poll("s32", 1, 3, 4, MODBUS_S32, 1, 1),
		poll("f32", 1, 3, 6, MODBUS_F32, 1, 1),
		poll("arr", 1, 4, 20, MODBUS_U16, 3, 1),
		poll("coil", 1, 1, 3, MODBUS_BIT, 2, 1),
	};
	struct modbus_bus_conf bc = bus(19200, p, 8);
	struct modbus_sched *s;
	struct got g = { 0 };

	sim_reset(19200);
	sim.alive[1] = true;
	sim.regs[1][0] = 0xfffe;
	sim.regs[1][1] = 0xfffe; /* -2 */
	sim.regs[1][2] = 0x0001; /* u32 0x0001e240 = 123456 */
	sim.regs[1][3] = 0xe240;
	sim.regs[1][4] = 0xfffe; /* s32 0xfffe1dc0 = -123456 */
	sim.regs[1][5] = 0x1dc0;
	sim.regs[1][6] = 0x4049; /* float32 0x40490fdb = 3.1415927 */
	sim.regs[1][7] = 0x0fdb;
	sim.regs[1][20] = 7;
	sim.regs[1][21] = 8;
	sim.regs[1][22] = 9;
	sim.bits[1][3] = 0;
	sim.bits[1][4] = 1;
	p[0].scale = 0.5;
	snprintf(p[0].unit, sizeof(p[0].unit), "V");
	p[3].lsw_first = true;
	s = modbus_sched_new(&bc, fake_tx, NULL, NULL);
	run(s, 100.5, &g);
	ok(last_of(&g, "u16") == 0xfffe * 0.5 && !strcmp(g.unit[0], "V"),
	   "u16 0xfffe x scale 0.5 = 32767, unit V");
	ok(last_of(&g, "s16") == -2, "s16 0xfffe = -2");
	ok(last_of(&g, "u32") == 123456,
	   "u32 big word order 0001 e240 = 123456");
	ok(last_of(&g, "u32le") == (double)0xe2400001u,
	   "u32 little word order 0001 e240 = 0xe2400001");
	ok(last_of(&g, "s32") == -123456, "s32 fffe 1dc0 = -123456");
	ok(fabs(last_of(&g, "f32") - 3.1415927) < 1e-6,
	   "float32 4049 0fdb = 3.1415927");
	ok(last_of(&g, "arr.0") == 7 && last_of(&g, "arr.1") == 8 &&
		   last_of(&g, "arr.2") == 9,
	   "count = 3: arr.0 .. arr.2 from input registers");
	ok(last_of(&g, "coil.0") == 0 && last_of(&g, "coil.1") == 1,
	   "coils 3, 4 = 0, 1");
	ok(g.n == 11 && g.ts[0] > 0,
	   "11 samples in the first round, with the answer's time stamp");
	ok(!sim.overlaps && !sim.gap_violations,
	   "one request at a time, gap before each (%d overlaps, %d short gaps)",
	   sim.overlaps, sim.gap_violations);
	modbus_sched_free(s);
}

static void test_merge(void)
{
	struct modbus_poll p[] = {
		poll("a", 1, 3, 10, MODBUS_U16, 2, 1), /* 10..11 */
		poll("b", 1, 3, 12, MODBUS_U32, 1, 1), /* 12..13: touches */
		poll("c", 1, 3, 11, MODBUS_U16, 1, 1), /* overlaps a */
		poll("d", 1, 3, 20, MODBUS_U16, 1, 1), /* hole: separate */
		poll("e", 1, 4, 14, MODBUS_U16, 1, 1), /* other function */
		poll("f", 2, 3, 14, MODBUS_U16, 1, 1), /* other slave */
		poll("g", 1, 3, 14, MODBUS_U16, 1, 2), /* other period */
	};
	struct modbus_bus_conf bc = bus(19200, p, 7);
	struct modbus_sched *s;
	struct got g = { 0 };
	bool merged = false;

	sim_reset(19200);
	sim.alive[1] = sim.alive[2] = true;
	for (int i = 0; i < 30; i++)
		sim.regs[1][i] = (uint16_t)(100 + i);
	s = modbus_sched_new(&bc, fake_tx, NULL, NULL);
	run(s, 100.5, &g);
	for (unsigned int i = 0; i < sim.nlog; i++) {
		const uint8_t *f = sim.log[i].f;

		merged |= f[0] == 1 && f[1] == 3 && (f[2] << 8 | f[3]) == 10 &&
			  (f[4] << 8 | f[5]) == 5;
	}
	ok(merged && sim.nlog == 4,
	   "first round: a+b+c+g (registers 10..14, due together) in one request, d, e, f alone: %u requests",
	   sim.nlog);
	ok(modbus_sched_stats(s)->merged == 3, "3 polls rode along (stats)");
	ok(last_of(&g, "b") == (double)(112u << 16 | 113u) &&
		   last_of(&g, "c") == 111 && last_of(&g, "a.1") == 111 &&
		   last_of(&g, "g") == 114,
	   "merged answer split back into a, b, c, g");
	sim.nlog = 0;
	run(s, 101.5, &g);
	ok(sim.nlog == 4 && sent_to(1, 3) == 2,
	   "second second: g is not due (period 2s), a+b+c still merged: %u requests",
	   sim.nlog);
	modbus_sched_free(s);
}

static void test_dead_slave(void)
{
	struct modbus_poll p[] = {
		poll("live", 1, 3, 0, MODBUS_U16, 1, 0.1),
		poll("dead", 7, 3, 0, MODBUS_U16, 1, 0.1),
	};
	struct modbus_bus_conf bc = bus(19200, p, 2);
	struct modbus_sched *s;
	struct got g = { 0 };
	double worst = 0, first = 0, t_prev = -1;
	unsigned int live;

	sim_reset(19200);
	sim.alive[1] = true;
	s = modbus_sched_new(&bc, fake_tx, NULL, NULL);
	run(s, 120, &g);
	live = sent_to(1, 0);
	for (unsigned int i = 0; i < sim.nlog; i++) {
		if (sim.log[i].f[0] != 1)
			continue;
		if (t_prev >= 101 && sim.log[i].t - t_prev > worst)
			worst = sim.log[i].t - t_prev;
		if (t_prev >= 0 && t_prev < 101 &&
		    sim.log[i].t - t_prev > first)
			first = sim.log[i].t - t_prev;
		t_prev = sim.log[i].t;
	}
	ok(live >= 195 && live <= 205,
	   "20 s, live slave every 100 ms next to a dead one: %u polls (200 +- 2.5%%)",
	   live);
	ok(first < 0.1 + 3 * (0.05 + 0.01),
	   "first failure: live slave waits for 3 tries at most (%.1f ms)",
	   first * 1e3);
	ok(worst < 0.1 + 0.05 + 0.01,
	   "then: longest live interval %.1f ms (period + one timeout at most)",
	   worst * 1e3);
	/* 3 tries at 100.0, then probes at +1, +2, +4, +4, ... (one try). */
	ok(sent_to(7, 0) >= 3 + 5 && sent_to(7, 0) <= 3 + 7,
	   "dead slave: 1 request + 2 retries, then one probe per backoff 1, 2, 4, 4.. s: %u requests",
	   sent_to(7, 0));
	ok(modbus_sched_stats(s)->timeouts == sent_to(7, 0) &&
		   modbus_sched_stats(s)->retries == 2,
	   "timeouts counted (%llu), retries only while healthy (%llu)",
	   (unsigned long long)modbus_sched_stats(s)->timeouts,
	   (unsigned long long)modbus_sched_stats(s)->retries);
	ok(!sim.overlaps && !sim.gap_violations,
	   "never two requests on the line, gap always kept");
	/* The dead slave comes back: polled at its period again. */
	sim.alive[7] = true;
	sim.regs[7][0] = 77;
	sim.nlog = 0;
	run(s, 140, &g);
	ok(sent_to(7, 0) >= 155 && last_of(&g, "dead") == 77,
	   "slave 7 answers again: probed within 4 s, then back to its period (%u polls in 20 s)",
	   sent_to(7, 0));
	modbus_sched_free(s);
}

struct wres {
	int calls, result;
	uint8_t exc;
	double t;
};

static void on_write(void *ctx, int result, uint8_t exc)
{
	struct wres *w = ctx;

	w->calls++;
	w->result = result;
	w->exc = exc;
	w->t = sim.now;
}

static void test_writes(void)
{
	struct modbus_poll p[] = {
		poll("p1", 1, 3, 0, MODBUS_U16, 1, 0.01),
		poll("p2", 1, 3, 50, MODBUS_U16, 1, 0.01),
		poll("p3", 2, 4, 0, MODBUS_U16, 1, 0.01),
	};
	struct modbus_bus_conf bc = bus(19200, p, 3);
	const uint16_t v[] = { 0x1234, 0x5678 }, on = 1;
	const uint16_t coils[] = { 1, 0, 1, 1, 0, 0, 1, 1, 1, 0 };
	struct wres w1 = { 0 }, w2 = { 0 }, w3 = { 0 }, w4 = { 0 }, w5 = { 0 };
	struct modbus_sched *s;
	struct got g = { 0 };
	unsigned int i, at = 0;
	int rc, full = 0;

	sim_reset(19200);
	sim.alive[1] = sim.alive[2] = true;
	s = modbus_sched_new(&bc, fake_tx, NULL, NULL);
	/* Heavy polling: every poll is always due. */
	run(s, 100.2, &g);
	/* Queue while a poll is on the line. */
	while (!sim.pending)
		run(s, sim.now + 0.0001, &g);
	at = sim.nlog;
	rc = modbus_sched_write(s, 1, 16, 40, v, 2, on_write, &w1);
	ok(rc == 0, "write multiple registers queued");
	run(s, 100.3, &g);
	ok(sim.nlog > at + 1 && sim.log[at].f[1] == 16 && w1.calls == 1 &&
		   w1.result == 0,
	   "the write is the next frame on the line after the outstanding poll, done OK");
	ok(sim.regs[1][40] == 0x1234 && sim.regs[1][41] == 0x5678,
	   "slave registers 40, 41 = 1234 5678");
	ok(!sim.overlaps && !sim.gap_violations,
	   "the write never overlapped a poll, gap kept");
	/* Coils, the same way: queued while a poll is on the line. */
	while (!sim.pending)
		run(s, sim.now + 0.0001, &g);
	at = sim.nlog;
	memset(&w1, 0, sizeof(w1));
	rc = modbus_sched_write(s, 1, 15, 8, coils, 10, on_write, &w1);
	run(s, sim.now + 0.05, &g);
	ok(rc == 0 && sim.nlog > at + 1 && sim.log[at].f[1] == 15 &&
		   w1.calls == 1 && w1.result == 0,
	   "write multiple coils (fc 15): the next frame after the outstanding poll, done OK");
	ok(sim.bits[1][8] == 1 && sim.bits[1][9] == 0 && sim.bits[1][10] == 1 &&
		   sim.bits[1][15] == 1 && sim.bits[1][16] == 1 &&
		   sim.bits[1][17] == 0,
	   "slave coils 8..17 = 1 0 1 1 0 0 1 1 1 0");
	memset(&w1, 0, sizeof(w1));
	rc = modbus_sched_write(s, 1, 5, 9, &on, 1, on_write, &w1);
	run(s, sim.now + 0.05, &g);
	ok(rc == 0 && w1.calls == 1 && w1.result == 0 && sim.bits[1][9] == 1,
	   "write single coil (fc 5): slave coil 9 on");
	ok(!sim.overlaps && !sim.gap_violations,
	   "the coil writes never overlapped a poll, gap kept");
	sim.exc_addr[1] = 60;
	rc = modbus_sched_write(s, 9, 5, 3, &on, 1, on_write, &w2);
	run(s, 101, &g);
	ok(rc == 0 && w2.calls == 1 && w2.result == -ETIMEDOUT &&
		   sent_to(9, 5) == 3,
	   "write to an absent slave: 3 tries, then -ETIMEDOUT");
	modbus_sched_write(s, 1, 6, 60, v, 1, on_write, &w3);
	run(s, 101.1, &g);
	ok(w3.calls == 1 && w3.result == -EREMOTEIO && w3.exc == 2,
	   "write answered with exception 2: -EREMOTEIO, code 2, not retried");
	ok(sent_to(1, 6) == 1, "one fc 6 frame on the line");
	memset(&w3, 0, sizeof(w3));
	modbus_sched_write(s, 2, 6, 7, v, 1, on_write, &w3);
	run(s, 101.2, &g);
	ok(w3.calls == 1 && w3.result == 0 && sim.regs[2][7] == 0x1234,
	   "write single register to slave 2");
	rc = modbus_sched_write(s, 0, 6, 7, v + 1, 1, on_write, &w4);
	run(s, 101.4, &g);
	ok(rc == 0 && w4.calls == 1 && w4.result == 0 && sent_to(0, 6) == 1,
	   "broadcast write: sent once, done without an answer");
	ok(modbus_sched_write(s, 1, 3, 0, v, 1, NULL, NULL) == -EINVAL &&
		   modbus_sched_write(s, 1, 5, 0, v, 1, NULL, NULL) ==
			   -EINVAL &&
		   modbus_sched_write(s, 248, 6, 0, v, 1, NULL, NULL) ==
			   -EINVAL &&
		   modbus_sched_write(s, 1, 16, 0, v, 0, NULL, NULL) == -EINVAL,
	   "bad writes refused: read function, coil value 0x1234, slave 248, count 0");
	for (i = 0; i < MODBUS_WRITE_QUEUE + 1; i++)
		if (modbus_sched_write(s, 1, 6, 1, v, 1, on_write, &w5) ==
		    -ENOBUFS)
			full++;
	ok(full == 1, "write queue bounded at %d: the next one -ENOBUFS",
	   MODBUS_WRITE_QUEUE);
	modbus_sched_free(s);
	ok(w5.calls == MODBUS_WRITE_QUEUE && w5.result == -ECANCELED,
	   "freeing the scheduler cancels the %d queued writes (-ECANCELED)",
	   MODBUS_WRITE_QUEUE);
}

static void test_errors(void)
{
	struct modbus_poll p[] = {
		poll("x", 1, 3, 5, MODBUS_U16, 1, 1),
		poll("y", 1, 3, 30, MODBUS_U16, 1, 1),
	};
	struct modbus_bus_conf bc = bus(9600, p, 2);
	const struct modbus_sched_stats *st;
	struct modbus_sched *s;
	struct got g = { 0 };
	uint8_t stray[8];

	sim_reset(9600);
	sim.alive[1] = true;
	sim.regs[1][5] = 42;
	sim.regs[1][30] = 43;
	sim.corrupt = 1;
	s = modbus_sched_new(&bc, fake_tx, NULL, NULL);
	st = modbus_sched_stats(s);
	run(s, 100.5, &g);
	ok(st->crc_errors == 1 && st->retries == 1 && last_of(&g, "x") == 42,
	   "corrupted answer: CRC error counted, retried, value from the retry");
	ok(g.n == 2, "no value from the corrupted answer (%d samples)", g.n);
	sim.exc_addr[1] = 30;
	g.n = 0;
	run(s, 101.5, &g);
	ok(st->exceptions == 1 && g.n == 1 && last_of(&g, "x") == 42 &&
		   sent_to(1, 3) == 5,
	   "exception 2 for y: counted, no value, not retried");
	sim.tx_rc = -EAGAIN;
	sim.tx_rc_times = 2;
	g.n = 0;
	run(s, 102.5, &g);
	ok(st->tx_busy == 2 && g.n == 1 && last_of(&g, "x") == 42,
	   "TX path full twice (EAGAIN): sent on the third try");
	sim.tx_rc = -ENETDOWN;
	sim.tx_rc_times = 1;
	run(s, 103.5, &g);
	ok(st->tx_errors == 1, "TX error counted");
	memcpy(stray, "\x01\x03\x02\x00\x01", 5);
	put_crc(stray, 5);
	modbus_sched_rx(s, stray, 7, sim.now, 0, 0, on_sample, &g);
	ok(st->unexpected == 1, "a frame with no request outstanding: counted");
	ok(!sim.overlaps && !sim.gap_violations, "line rules kept");
	modbus_sched_free(s);
}

int main(void)
{
	log_max_level = LOG_LVL_ERR;
	test_gap();
	test_values();
	test_merge();
	test_dead_slave();
	test_writes();
	test_errors();
	return tap_done();
}
