// SPDX-License-Identifier: GPL-2.0
/*
 * The Modbus RTU master scheduler of one serial bus (modbus_sched.h).
 *
 * State: at most one request is "current".  It is either waiting for
 * the line (the gap, or the tty was full), or on the line (busy, with a
 * deadline).  When the current request ends - answer, timeout, garbled
 * answer - the line is free again one gap after that moment, and the
 * next request is chosen only then, so a write queued meanwhile still
 * goes before the polls.
 *
 * One ev_timer per bus is armed at the next moment anything can happen:
 * the deadline of the request on the line, the end of the gap, or the
 * next poll that is due.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "modbus_pdu.h"
#include "modbus_sched.h"

#define MERGE_MAX    32	   /* polls in one request */
#define EAGAIN_DELAY 0.005 /* the tty was full: try again after */

struct mb_write {
	struct mb_write *next;
	uint8_t frame[MODBUS_FRAME_MAX];
	size_t len;
	modbus_write_cb cb;
	void *ctx;
};

struct mb_item {
	const struct modbus_poll *p;
	double due;
	uint8_t last_exc; /* log an exception once per change */
};

struct mb_slave {
	unsigned int fails; /* exchanges in a row without an answer */
	double backoff;
	double until; /* skipped until then */
};

struct mb_req {
	uint8_t frame[MODBUS_FRAME_MAX];
	size_t len;
	unsigned int tries; /* sends so far */
	double timeout;
	uint16_t first; /* first register/bit read */
	unsigned int nitems;
	uint16_t items[MERGE_MAX];
	struct mb_write *w; /* a write, or NULL for a read */
};

struct modbus_sched {
	struct modbus_bus_conf bc;
	struct mb_item *items;
	struct mb_slave slaves[MODBUS_SLAVE_MAX + 1];
	struct mb_write *wq, **wq_tail;
	unsigned int wq_len;
	struct mb_req cur;
	bool started, have_cur, busy;
	double deadline;
	double line_free; /* the gap after the last frame ends here */
	double char_t, gap;
	modbus_tx_fn tx;
	void *tx_ctx;
	struct ev_loop *loop;
	ev_timer timer;
	struct modbus_sched_stats st;
};

enum fail {
	FAIL_TIMEOUT,
	FAIL_GARBLED,
	FAIL_TX,
};

static double item_due(const struct modbus_sched *s, const struct mb_item *it)
{
	double until = s->slaves[it->p->slave].until;

	return it->due > until ? it->due : until;
}

static void slave_alive(struct modbus_sched *s, uint8_t id)
{
	struct mb_slave *sl = &s->slaves[id];

	if (sl->fails)
		log_notice("modbus: slave %u answers again", id);
	sl->fails = 0;
	sl->backoff = 0;
	sl->until = 0;
}

static void slave_dead(struct modbus_sched *s, uint8_t id, double now)
{
	struct mb_slave *sl = &s->slaves[id];

	if (id == MODBUS_BROADCAST)
		return;
	sl->fails++;
	sl->backoff = sl->fails == 1 ? s->bc.backoff_min : sl->backoff * 2;
	if (sl->backoff > s->bc.backoff_max)
		sl->backoff = s->bc.backoff_max;
	sl->until = now + sl->backoff;
	if (sl->fails == 1)
		log_warn(
			"modbus: slave %u does not answer; polling it every %gs at most until it does",
			id, sl->backoff);
}

/* The current request is over: the line is free one gap from now. */
static void req_done(struct modbus_sched *s, double now)
{
	s->busy = false;
	s->have_cur = false;
	s->line_free = now + s->gap;
	if (s->cur.w) {
		free(s->cur.w);
		s->cur.w = NULL;
	}
}

static void write_result(struct modbus_sched *s, int result, uint8_t exc)
{
	struct mb_write *w = s->cur.w;

	if (result)
		s->st.writes_failed++;
	if (w->cb)
		w->cb(w->ctx, result, exc);
}

static void attempt_failed(struct modbus_sched *s, double now, enum fail why,
			   int err)
{
	uint8_t slave = s->cur.frame[0];
	bool healthy = !s->slaves[slave].fails;

	s->busy = false;
	s->line_free = now + s->gap;
	/* A failing slave is only probed: retries are for a healthy one. */
	if (why != FAIL_TX && s->cur.tries <= s->bc.retries &&
	    (healthy || s->cur.w))
		return; /* stays current: re-sent after the gap */
	if (why == FAIL_TIMEOUT)
		slave_dead(s, slave, now);
	if (s->cur.w)
		write_result(s,
			     why == FAIL_TIMEOUT ? -ETIMEDOUT :
			     why == FAIL_GARBLED ? -EBADMSG :
						   err,
			     0);
	req_done(s, now);
}

/* Advance a poll that goes out now to its next slot (fixed rate). */
static void item_sent(struct modbus_sched *s, struct mb_item *it, double now)
{
	double period = it->p->period, next = it->due + period;

	if (next <= now) {
		double missed = floor((now - it->due) / period);

		s->st.skipped += (uint64_t)missed;
		next = it->due + (missed + 1) * period;
	}
	it->due = next;
}

static bool touches(uint16_t lo, uint32_t hi, const struct modbus_poll *p)
{
	return p->addr <= hi && p->addr + p->span >= lo;
}

/* The earliest due poll, with the due polls it can share a request with. */
static bool pick_poll(struct modbus_sched *s, double now)
{
	struct mb_req *r = &s->cur;
	const struct modbus_poll *p;
	struct mb_item *best = NULL;
	uint32_t lo, hi;
	bool grew;

	for (unsigned int i = 0; i < s->bc.npolls; i++) {
		struct mb_item *it = &s->items[i];

		if (item_due(s, it) <= now &&
		    (!best || item_due(s, it) < item_due(s, best)))
			best = it;
	}
	if (!best)
		return false;
	p = best->p;
	memset(r, 0, sizeof(*r));
	r->items[r->nitems++] = (uint16_t)(best - s->items);
	lo = p->addr;
	hi = p->addr + p->span;
	r->timeout = p->timeout ? p->timeout : s->bc.timeout;
	do {
		grew = false;
		for (unsigned int i = 0; i < s->bc.npolls; i++) {
			struct mb_item *it = &s->items[i];
			const struct modbus_poll *q = it->p;
			uint32_t nlo, nhi;
			unsigned int k;

			for (k = 0; k < r->nitems && r->items[k] != i; k++)
				;
			if (k < r->nitems || r->nitems == MERGE_MAX ||
			    q->slave != p->slave || q->fc != p->fc ||
			    item_due(s, it) > now || !touches(lo, hi, q))
				continue;
			nlo = q->addr < lo ? q->addr : lo;
			nhi = q->addr + q->span > hi ? q->addr + q->span : hi;
			if (nhi - nlo > modbus_read_max(p->fc))
				continue;
			lo = nlo;
			hi = nhi;
			r->items[r->nitems++] = (uint16_t)i;
			if (q->timeout > r->timeout)
				r->timeout = q->timeout;
			grew = true;
		}
	} while (grew);
	for (unsigned int k = 0; k < r->nitems; k++)
		item_sent(s, &s->items[r->items[k]], now);
	s->st.merged += r->nitems - 1;
	r->first = (uint16_t)lo;
	r->len = modbus_build_read(r->frame, p->slave, p->fc, (uint16_t)lo,
				   (uint16_t)(hi - lo));
	return true;
}

static void try_send(struct modbus_sched *s, double now)
{
	int rc;

	if (now < s->line_free)
		return;
	if (!s->have_cur) {
		if (s->wq) {
			struct mb_write *w = s->wq;

			s->wq = w->next;
			if (!s->wq)
				s->wq_tail = &s->wq;
			s->wq_len--;
			memset(&s->cur, 0, sizeof(s->cur));
			memcpy(s->cur.frame, w->frame, w->len);
			s->cur.len = w->len;
			s->cur.timeout = s->bc.timeout;
			s->cur.w = w;
		} else if (!pick_poll(s, now)) {
			return;
		}
		s->have_cur = true;
	}
	rc = s->tx(s->tx_ctx, s->cur.frame, s->cur.len);
	if (rc == -EAGAIN) {
		s->st.tx_busy++;
		s->line_free = now + EAGAIN_DELAY;
		return;
	}
	if (rc) {
		s->st.tx_errors++;
		log_debug("modbus: TX of a request to slave %u: %s",
			  s->cur.frame[0], strerror(-rc));
		attempt_failed(s, now, FAIL_TX, rc);
		return;
	}
	s->st.requests++;
	if (s->cur.tries++)
		s->st.retries++;
	s->busy = true;
	/* Broadcasts get no answer: the slaves need the gap to act. */
	s->deadline =
		now + s->cur.len * s->char_t +
		(s->cur.frame[0] == MODBUS_BROADCAST ? s->gap : s->cur.timeout);
}

double modbus_sched_step(struct modbus_sched *s, double now)
{
	double next = INFINITY;

	if (!s->started) {
		for (unsigned int i = 0; i < s->bc.npolls; i++)
			s->items[i].due = now;
		s->started = true;
	}
	if (s->busy && now >= s->deadline) {
		if (s->cur.frame[0] == MODBUS_BROADCAST) {
			slave_alive(s, MODBUS_BROADCAST);
			write_result(s, 0, 0);
			req_done(s, now);
		} else {
			s->st.timeouts++;
			attempt_failed(s, now, FAIL_TIMEOUT, 0);
		}
	}
	if (!s->busy)
		try_send(s, now);
	if (s->busy)
		return s->deadline;
	if (s->have_cur || s->wq)
		return s->line_free;
	for (unsigned int i = 0; i < s->bc.npolls; i++) {
		double d = item_due(s, &s->items[i]);

		if (d < next)
			next = d;
	}
	return next > s->line_free ? next : s->line_free;
}

static void arm(struct modbus_sched *s, double next)
{
	double d = next - ev_now(s->loop);

	ev_timer_stop(s->loop, &s->timer);
	if (!isfinite(next))
		return;
	ev_timer_set(&s->timer, d > 0 ? d : 0, 0);
	ev_timer_start(s->loop, &s->timer);
}

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct modbus_sched *s =
		(struct modbus_sched *)((char *)w -
					offsetof(struct modbus_sched, timer));

	(void)revents;
	arm(s, modbus_sched_step(s, ev_now(loop)));
}

static int emit_values(struct modbus_sched *s, const uint8_t *f,
		       struct sample *smp, decode_emit_fn emit, void *ctx)
{
	char name[MODBUS_NAME_MAX + 8];
	int n = 0;

	smp->signal = name;
	for (unsigned int k = 0; k < s->cur.nitems; k++) {
		struct mb_item *it = &s->items[s->cur.items[k]];
		const struct modbus_poll *p = it->p;
		unsigned int w = modbus_dtype_width(p->type);

		it->last_exc = 0;
		smp->unit = p->unit[0] ? p->unit : NULL;
		for (unsigned int i = 0; i < p->count; i++) {
			unsigned int at = p->addr - s->cur.first + i * w;

			if (p->count == 1)
				snprintf(name, sizeof(name), "%s", p->name);
			else
				snprintf(name, sizeof(name), "%s.%u", p->name,
					 i);
			smp->value =
				modbus_poll_value(p, f + 3, s->cur.first, i);
			smp->raw = p->type == MODBUS_BIT ? NULL :
							   f + 3 + 2 * at;
			smp->raw_len = p->type == MODBUS_BIT ? 0 : 2 * w;
			emit(ctx, smp);
			n++;
		}
	}
	return n;
}

static void log_exception(struct modbus_sched *s, uint8_t exc)
{
	const uint8_t *q = s->cur.frame;

	for (unsigned int k = 0; k < s->cur.nitems; k++) {
		struct mb_item *it = &s->items[s->cur.items[k]];

		if (it->last_exc != exc)
			log_warn(
				"modbus: poll %s (slave %u fc %u addr %u): exception %u",
				it->p->name, q[0], q[1], it->p->addr, exc);
		it->last_exc = exc;
	}
	if (s->cur.w)
		log_warn(
			"modbus: write to slave %u fc %u addr %u: exception %u",
			q[0], q[1], q[2] << 8 | q[3], exc);
}

int modbus_sched_rx(struct modbus_sched *s, const uint8_t *f, size_t n,
		    double now, uint64_t tstamp_ns, uint64_t seq,
		    decode_emit_fn emit, void *ctx)
{
	struct sample smp = { .tstamp_ns = tstamp_ns, .seq = seq };
	uint8_t exc = 0;
	int rc = 0;

	if (!s->busy || s->cur.frame[0] == MODBUS_BROADCAST) {
		s->st.unexpected++;
		return 0;
	}
	switch (modbus_check_response(s->cur.frame, s->cur.len, f, n, &exc)) {
	case MODBUS_RESP_OTHER:
		s->st.unexpected++;
		return 0;
	case MODBUS_RESP_CRC:
		s->st.crc_errors++;
		attempt_failed(s, now, FAIL_GARBLED, 0);
		rc = -EBADMSG;
		break;
	case MODBUS_RESP_BAD:
		s->st.bad_responses++;
		attempt_failed(s, now, FAIL_GARBLED, 0);
		rc = -EPROTO;
		break;
	case MODBUS_RESP_EXCEPTION:
		s->st.responses++;
		s->st.exceptions++;
		slave_alive(s, f[0]);
		log_exception(s, exc);
		if (s->cur.w)
			write_result(s, -EREMOTEIO, exc);
		req_done(s, now);
		break;
	case MODBUS_RESP_OK:
		s->st.responses++;
		slave_alive(s, f[0]);
		if (s->cur.w)
			write_result(s, 0, 0);
		else
			rc = emit_values(s, f, &smp, emit, ctx);
		req_done(s, now);
		break;
	}
	if (s->loop)
		arm(s, modbus_sched_step(s, now));
	return rc;
}

int modbus_sched_write(struct modbus_sched *s, uint8_t slave, uint8_t fc,
		       uint16_t addr, const uint16_t *values, uint16_t count,
		       modbus_write_cb cb, void *ctx)
{
	struct mb_write *w;

	if (slave > MODBUS_SLAVE_MAX || !values)
		return -EINVAL;
	if (s->wq_len >= MODBUS_WRITE_QUEUE)
		return -ENOBUFS;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->len = modbus_build_write(w->frame, slave, fc, addr, values, count);
	if (!w->len) {
		free(w);
		return -EINVAL;
	}
	w->cb = cb;
	w->ctx = ctx;
	*s->wq_tail = w;
	s->wq_tail = &w->next;
	s->wq_len++;
	s->st.writes++;
	/* When a write was queued and what it waits for: the VM test
	 * (tests/agent/modbus_master.sh) checks that only the request on
	 * the line, if any, goes out before it. */
	log_info(
		"modbus: write to slave %u fc %u addr %u count %u queued (%u ahead of it%s)",
		slave, fc, addr, count, s->wq_len - 1,
		s->busy ? ", a request on the line" : "");
	if (s->loop && !s->busy)
		arm(s, modbus_sched_step(s, ev_now(s->loop)));
	return 0;
}

struct modbus_sched *modbus_sched_new(const struct modbus_bus_conf *bc,
				      modbus_tx_fn tx, void *tx_ctx,
				      struct ev_loop *loop)
{
	struct modbus_sched *s = calloc(1, sizeof(*s));
	unsigned int bits;

	if (!s)
		return NULL;
	s->bc = *bc;
	s->bc.polls = calloc(bc->npolls ? bc->npolls : 1, sizeof(*bc->polls));
	s->items = calloc(bc->npolls ? bc->npolls : 1, sizeof(*s->items));
	if (!s->bc.polls || !s->items) {
		free(s->bc.polls);
		free(s->items);
		free(s);
		return NULL;
	}
	memcpy(s->bc.polls, bc->polls, bc->npolls * sizeof(*bc->polls));
	for (unsigned int i = 0; i < bc->npolls; i++)
		s->items[i].p = &s->bc.polls[i];
	s->wq_tail = &s->wq;
	/* start bit, data bits, parity bit, stop bits */
	bits = 1 + bc->data_bits + (bc->parity != M2MGW_PARITY_NONE) +
	       bc->stop_bits;
	s->char_t = (double)bits / bc->baud;
	s->gap = bc->baud > 19200 ? 1.75e-3 : 3.5 * s->char_t;
	s->tx = tx;
	s->tx_ctx = tx_ctx;
	s->loop = loop;
	if (loop) {
		ev_init(&s->timer, timer_cb);
		/* First polls right away, after the loop starts turning. */
		ev_timer_set(&s->timer, 0, 0);
		if (bc->npolls)
			ev_timer_start(loop, &s->timer);
	}
	return s;
}

void modbus_sched_free(struct modbus_sched *s)
{
	if (!s)
		return;
	if (s->loop)
		ev_timer_stop(s->loop, &s->timer);
	if (s->have_cur && s->cur.w) {
		write_result(s, -ECANCELED, 0);
		free(s->cur.w);
	}
	while (s->wq) {
		struct mb_write *w = s->wq;

		s->wq = w->next;
		if (w->cb)
			w->cb(w->ctx, -ECANCELED, 0);
		free(w);
	}
	free(s->items);
	free(s->bc.polls);
	free(s);
}

const struct modbus_sched_stats *
modbus_sched_stats(const struct modbus_sched *s)
{
	return &s->st;
}

double modbus_sched_gap(const struct modbus_sched *s)
{
	return s->gap;
}

double modbus_sched_char_time(const struct modbus_sched *s)
{
	return s->char_t;
}
