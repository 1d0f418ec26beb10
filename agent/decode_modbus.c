// SPDX-License-Identifier: GPL-2.0
/*
 * The "modbus" decoder, sniffer mode: Modbus RTU frames (framing =
 * modbus-rtu, one frame per record) on a bus another master drives.  A
 * read request (functions 1-4) is remembered and the next matching
 * response is decoded: registers as unsigned 16-bit samples
 * "s<slave>.hr<addr>" (3, holding) / "s<slave>.ir<addr>" (4, input),
 * bits as "s<slave>.co<addr>" (1, coils) / "s<slave>.di<addr>" (2).
 * An exception response gives "s<slave>.exception" = its code.
 *
 * The CRC-16 (poly 0xA001, init 0xFFFF, low byte first) of every frame
 * is checked: a bad one is a decode drop (-EBADMSG), and a response
 * whose length does not match its request is refused (-EPROTO).
 * Other functions (writes) are checked and ignored.  Master mode (the
 * poll scheduler) is not here yet.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

struct modbus_decoder {
	struct decoder base;
	bool pending;
	uint8_t slave, fc;
	uint16_t addr, count;
};

uint16_t modbus_crc16(const uint8_t *p, size_t n);

uint16_t modbus_crc16(const uint8_t *p, size_t n)
{
	uint16_t crc = 0xffff;

	while (n--) {
		crc ^= *p++;
		for (int i = 0; i < 8; i++)
			crc = crc & 1 ? crc >> 1 ^ 0xa001 : crc >> 1;
	}
	return crc;
}

static int modbus_validate(const struct port_conf *pc, const char *file,
			   FILE *err)
{
	int errors = 0;

	for (const struct conf_kv *kv = pc->opts; kv; kv = kv->next) {
		if (!strcmp(kv->key, "mode")) {
			if (strcmp(kv->value, "sniffer")) {
				fprintf(err,
					"%s:%d: mode must be sniffer (master mode is not implemented yet), not \"%s\"\n",
					file, kv->line, kv->value);
				errors++;
			}
			continue;
		}
		fprintf(err,
			"%s:%d: unknown key \"%s\" in [port %s] (decoder modbus)\n",
			file, kv->line, kv->key, pc->name);
		errors++;
	}
	return errors;
}

static struct decoder *modbus_create(const struct port_conf *pc,
				     const struct decoder_env *env)
{
	struct modbus_decoder *d = calloc(1, sizeof(*d));

	(void)pc;
	(void)env;
	if (!d)
		return NULL;
	d->base.ops = &decoder_modbus;
	return &d->base;
}

static unsigned int resp_bytes(uint8_t fc, uint16_t count)
{
	return fc <= 2 ? (count + 7u) / 8 : count * 2u;
}

static int response(struct modbus_decoder *d, const uint8_t *f, size_t n,
		    struct sample *s, decode_emit_fn emit, void *ctx)
{
	static const char *const kind[] = { "", "co", "di", "hr", "ir" };
	char name[32];

	d->pending = false;
	if (f[2] != resp_bytes(d->fc, d->count) || n != 5u + f[2])
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

static int modbus_decode(struct decoder *base, const struct m2mgw_rec *rec,
			 decode_emit_fn emit, void *ctx)
{
	struct modbus_decoder *d = (struct modbus_decoder *)base;
	uint32_t n = (rec->len & M2MGW_REC_LEN_MASK) - M2MGW_REC_HDR_LEN;
	const uint8_t *f = rec->data;
	struct sample s = { .tstamp_ns = rec->tstamp_ns, .seq = rec->seq };
	char name[32];

	if (rec->type != M2MGW_REC_SERIAL)
		return 0;
	if (n < 4)
		return -EINVAL;
	if (modbus_crc16(f, n - 2) != (f[n - 2] | f[n - 1] << 8))
		return -EBADMSG;
	if (f[1] & 0x80) {
		if (n != 5)
			return -EPROTO;
		d->pending = false;
		snprintf(name, sizeof(name), "s%u.exception", f[0]);
		s.signal = name;
		s.value = f[2];
		emit(ctx, &s);
		return 1;
	}
	if (f[1] < 1 || f[1] > 4)
		return 0;
	if (d->pending && f[0] == d->slave && f[1] == d->fc &&
	    n == 5u + resp_bytes(d->fc, d->count))
		return response(d, f, n, &s, emit, ctx);
	if (n != 8)
		return -EPROTO;
	d->pending = true;
	d->slave = f[0];
	d->fc = f[1];
	d->addr = f[2] << 8 | f[3];
	d->count = f[4] << 8 | f[5];
	if (!d->count || d->count > (d->fc <= 2 ? 2000 : 125)) {
		d->pending = false;
		return -EPROTO;
	}
	return 0;
}

static void modbus_destroy(struct decoder *d)
{
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
