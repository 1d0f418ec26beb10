// SPDX-License-Identifier: GPL-2.0
/*
 * The raw decoder: no interpretation beyond what the frame is.
 *
 * CAN: one sample per frame, named by the CAN id in hex ("123", or
 * "1abcdef0" for extended ids), value = the data bytes read as one
 * unsigned integer (byte order from the "byte_order" key: "big", the
 * default, or "little"; exact up to 6 bytes, above that rounded to a
 * double), raw = the data bytes.  Remote and error frames are skipped.
 *
 * Serial: one sample per frame named "data", value = the frame length,
 * raw = the bytes.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <linux/can.h>

#include "decode.h"

struct raw_decoder {
	struct decoder base;
	bool little;
};

static int raw_validate(const struct port_conf *pc, const char *file, FILE *err)
{
	int errors = 0;

	for (const struct conf_kv *kv = pc->opts; kv; kv = kv->next) {
		if (!strcmp(kv->key, "byte_order")) {
			if (strcmp(kv->value, "big") &&
			    strcmp(kv->value, "little")) {
				fprintf(err,
					"%s:%d: byte_order must be big or little, not \"%s\"\n",
					file, kv->line, kv->value);
				errors++;
			}
			continue;
		}
		fprintf(err,
			"%s:%d: unknown key \"%s\" in [port %s] (decoder raw)\n",
			file, kv->line, kv->key, pc->name);
		errors++;
	}
	return errors;
}

static struct decoder *raw_create(const struct port_conf *pc,
				  const struct decoder_env *env)
{
	struct raw_decoder *d = calloc(1, sizeof(*d));

	(void)env;
	if (!d)
		return NULL;
	d->base.ops = &decoder_raw;
	for (const struct conf_kv *kv = pc->opts; kv; kv = kv->next)
		if (!strcmp(kv->key, "byte_order"))
			d->little = !strcmp(kv->value, "little");
	return &d->base;
}

static double bytes_value(const uint8_t *p, size_t n, bool little)
{
	double v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 256 + p[little ? n - 1 - i : i];
	return v;
}

static int raw_decode(struct decoder *base, const struct m2mgw_rec *rec,
		      decode_emit_fn emit, void *ctx)
{
	struct raw_decoder *d = (struct raw_decoder *)base;
	uint32_t plen = (rec->len & M2MGW_REC_LEN_MASK) - M2MGW_REC_HDR_LEN;
	struct sample s = { .tstamp_ns = rec->tstamp_ns, .seq = rec->seq };
	char name[16];

	switch (rec->type) {
	case M2MGW_REC_CAN:
	case M2MGW_REC_CANFD: {
		const struct canfd_frame *cf = (const void *)rec->data;
		size_t max = rec->type == M2MGW_REC_CAN ? CAN_MAX_DLEN :
							  CANFD_MAX_DLEN;

		if (plen < CAN_MTU - CAN_MAX_DLEN || cf->len > max ||
		    plen < offsetof(struct canfd_frame, data) + cf->len)
			return -EINVAL;
		if (cf->can_id & (CAN_RTR_FLAG | CAN_ERR_FLAG))
			return 0;
		if (cf->can_id & CAN_EFF_FLAG)
			snprintf(name, sizeof(name), "%08x",
				 cf->can_id & CAN_EFF_MASK);
		else
			snprintf(name, sizeof(name), "%03x",
				 cf->can_id & CAN_SFF_MASK);
		s.signal = name;
		s.raw = cf->data;
		s.raw_len = cf->len;
		s.value = bytes_value(cf->data, cf->len, d->little);
		break;
	}
	case M2MGW_REC_SERIAL:
		s.signal = "data";
		s.raw = rec->data;
		s.raw_len = plen;
		s.value = plen;
		break;
	default:
		return 0;
	}
	emit(ctx, &s);
	return 1;
}

static void raw_destroy(struct decoder *d)
{
	free(d);
}

const struct decoder_ops decoder_raw = {
	.name = "raw",
	.port_types = 1 << M2MGW_PORT_CAN | 1 << M2MGW_PORT_SERIAL,
	.validate = raw_validate,
	.create = raw_create,
	.decode = raw_decode,
	.destroy = raw_destroy,
};
