// SPDX-License-Identifier: GPL-2.0
/*
 * The "modbus" decoder: Modbus RTU frames (framing = modbus-rtu, one
 * frame per record), in one of two modes (keys: modbus_poll.h).
 *
 * mode = master: this port's bus is driven by the agent.  The poll
 * schedule goes out through the module's TX path, one request at a
 * time (modbus_sched.c); the answers come back here and give the
 * configured signals.  Downlink writes go through modbus_sched_of().
 *
 * mode = sniffer (default): another master drives the bus.  A read
 * request (functions 1-4) is remembered and the next matching response
 * is decoded: registers as unsigned 16-bit samples "s<slave>.hr<addr>"
 * (3, holding) / "s<slave>.ir<addr>" (4, input), bits as
 * "s<slave>.co<addr>" (1, coils) / "s<slave>.di<addr>" (2).  An
 * exception response gives "s<slave>.exception" = its code.
 *
 * The CRC-16 of every frame is checked: a bad one is a decode drop
 * (-EBADMSG), and a response whose length does not match its request
 * is refused (-EPROTO).  Other functions (writes) are checked and
 * ignored by the sniffer.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "modbus_pdu.h"
#include "modbus_poll.h"
#include "modbus_sched.h"

struct modbus_decoder {
	struct decoder base;
	/* master */
	struct modbus_sched *sched;
	struct decoder_env env;
	/* sniffer */
	bool pending;
	uint8_t slave, fc;
	uint16_t addr, count;
};

static int modbus_validate(const struct port_conf *pc, const char *file,
			   FILE *err)
{
	struct modbus_bus_conf bc;
	int errors = modbus_conf_parse(pc, file, err, &bc);

	modbus_conf_free(&bc);
	return errors;
}

static int master_tx(void *ctx, const uint8_t *frame, size_t len)
{
	struct modbus_decoder *d = ctx;

	if (!d->env.tx)
		return -EOPNOTSUPP;
	return d->env.tx(d->env.tx_ctx, d->env.port_id, M2MGW_REC_SERIAL, frame,
			 (uint32_t)len);
}

static struct decoder *modbus_create(const struct port_conf *pc,
				     const struct decoder_env *env)
{
	struct modbus_decoder *d = calloc(1, sizeof(*d));
	struct modbus_bus_conf bc;

	if (!d)
		return NULL;
	d->base.ops = &decoder_modbus;
	d->env = *env;
	if (modbus_conf_parse(pc, "", NULL, &bc)) {
		modbus_conf_free(&bc);
		free(d);
		return NULL;
	}
	if (bc.master) {
		d->sched = modbus_sched_new(&bc, master_tx, d, env->loop);
		if (!d->sched) {
			modbus_conf_free(&bc);
			free(d);
			return NULL;
		}
	}
	modbus_conf_free(&bc);
	return &d->base;
}

struct modbus_sched *modbus_sched_of(struct decoder *base)
{
	if (!base || base->ops != &decoder_modbus)
		return NULL;
	return ((struct modbus_decoder *)base)->sched;
}

static int response(struct modbus_decoder *d, const uint8_t *f, size_t n,
		    struct sample *s, decode_emit_fn emit, void *ctx)
{
	static const char *const kind[] = { "", "co", "di", "hr", "ir" };
	char name[32];

	d->pending = false;
	if (f[2] != modbus_read_bytes(d->fc, d->count) || n != 5u + f[2])
		return -EPROTO;
	s->signal = name;
	for (unsigned int i = 0; i < d->count; i++) {
		snprintf(name, sizeof(name), "s%u.%s%u", d->slave, kind[d->fc],
			 d->addr + i);
		if (d->fc <= 2)
			s->value = f[3 + i / 8] >> (i % 8) & 1;
		else
			s->value = f[3 + 2 * i] << 8 | f[4 + 2 * i];
		emit(ctx, s);
	}
	return d->count;
}

static int sniff(struct modbus_decoder *d, const uint8_t *f, uint32_t n,
		 struct sample *s, decode_emit_fn emit, void *ctx)
{
	char name[32];

	if (!modbus_crc_ok(f, n))
		return -EBADMSG;
	if (f[1] & 0x80) {
		if (n != 5)
			return -EPROTO;
		d->pending = false;
		snprintf(name, sizeof(name), "s%u.exception", f[0]);
		s->signal = name;
		s->value = f[2];
		emit(ctx, s);
		return 1;
	}
	if (f[1] < 1 || f[1] > 4)
		return 0;
	if (d->pending && f[0] == d->slave && f[1] == d->fc &&
	    n == 5u + modbus_read_bytes(d->fc, d->count))
		return response(d, f, n, s, emit, ctx);
	if (n != 8)
		return -EPROTO;
	d->pending = true;
	d->slave = f[0];
	d->fc = f[1];
	d->addr = f[2] << 8 | f[3];
	d->count = f[4] << 8 | f[5];
	if (!d->count || d->count > modbus_read_max(d->fc)) {
		d->pending = false;
		return -EPROTO;
	}
	return 0;
}

static int modbus_decode(struct decoder *base, const struct m2mgw_rec *rec,
			 decode_emit_fn emit, void *ctx)
{
	struct modbus_decoder *d = (struct modbus_decoder *)base;
	uint32_t n = (rec->len & M2MGW_REC_LEN_MASK) - M2MGW_REC_HDR_LEN;
	struct sample s = { .tstamp_ns = rec->tstamp_ns, .seq = rec->seq };

	if (rec->type != M2MGW_REC_SERIAL)
		return 0;
	if (n < 4)
		return -EINVAL;
	if (d->sched) {
		/*
		 * The gap before the next request runs from now.  ev_now()
		 * is the time the loop woke up; callbacks before this one
		 * (spool, MQTT) may have run long enough for the answer to
		 * have arrived after it, and a gap timed from then could be
		 * short on the line.
		 */
		if (d->env.loop)
			ev_now_update(d->env.loop);
		return modbus_sched_rx(d->sched, rec->data, n,
				       d->env.loop ? ev_now(d->env.loop) : 0,
				       rec->tstamp_ns, rec->seq, emit, ctx);
	}
	return sniff(d, rec->data, n, &s, emit, ctx);
}

static void modbus_destroy(struct decoder *base)
{
	struct modbus_decoder *d = (struct modbus_decoder *)base;

	modbus_sched_free(d->sched);
	free(d);
}

const struct decoder_ops decoder_modbus = {
	.name = "modbus",
	.port_types = 1 << M2MGW_PORT_SERIAL,
	.validate = modbus_validate,
	.create = modbus_create,
	.decode = modbus_decode,
	.destroy = modbus_destroy,
};
