// SPDX-License-Identifier: GPL-2.0
/*
 * The "dbc" decoder: CAN frames -> physical signal values from a .dbc
 * database (dbc.h).  Port keys:
 *
 *   dbc = PATH        the database (required; relative paths are taken
 *                     from the daemon's working directory)
 *   unknown = ignore  frames whose id the database lacks: "ignore"
 *                     (default) or "drop" (count them as decode drops)
 *
 * Each signal is a sample named "Message.Signal" with the DBC unit.  A
 * frame shorter than its message's DBC length is a decode drop: no value
 * is guessed from bytes that were not sent.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <linux/can.h>

#include "dbc.h"
#include "decode.h"

struct dbc_decoder {
	struct decoder base;
	struct dbc *db;
	bool drop_unknown;
};

static const char *opt(const struct port_conf *pc, const char *key)
{
	for (const struct conf_kv *kv = pc->opts; kv; kv = kv->next)
		if (!strcmp(kv->key, key))
			return kv->value;
	return NULL;
}

static int dbc_validate(const struct port_conf *pc, const char *file, FILE *err)
{
	int errors = 0;
	bool have_dbc = false;

	for (const struct conf_kv *kv = pc->opts; kv; kv = kv->next) {
		if (!strcmp(kv->key, "dbc")) {
			struct dbc *db;

			have_dbc = true;
			db = dbc_load(kv->value, err);
			if (!db) {
				fprintf(err,
					"%s:%d: [port %s]: dbc \"%s\" cannot be used (see above)\n",
					file, kv->line, pc->name, kv->value);
				errors++;
			}
			dbc_free(db);
		} else if (!strcmp(kv->key, "unknown")) {
			if (strcmp(kv->value, "ignore") &&
			    strcmp(kv->value, "drop")) {
				fprintf(err,
					"%s:%d: unknown must be ignore or drop, not \"%s\"\n",
					file, kv->line, kv->value);
				errors++;
			}
		} else {
			fprintf(err,
				"%s:%d: unknown key \"%s\" in [port %s] (decoder dbc)\n",
				file, kv->line, kv->key, pc->name);
			errors++;
		}
	}
	if (!have_dbc) {
		fprintf(err, "%s:%d: [port %s]: decoder dbc needs dbc = FILE\n",
			file, pc->decoder_line ? pc->decoder_line : pc->line,
			pc->name);
		errors++;
	}
	return errors;
}

static struct decoder *dbc_create(const struct port_conf *pc,
				  const struct decoder_env *env)
{
	struct dbc_decoder *d = calloc(1, sizeof(*d));
	const char *u = opt(pc, "unknown");

	(void)env;
	if (!d)
		return NULL;
	d->base.ops = &decoder_dbc;
	d->drop_unknown = u && !strcmp(u, "drop");
	d->db = dbc_load(opt(pc, "dbc"), stderr);
	if (!d->db) {
		free(d);
		return NULL;
	}
	return &d->base;
}

struct emit_state {
	struct sample s;
	decode_emit_fn emit;
	void *ctx;
};

static void on_signal(void *ctx, const struct dbc_signal *sig, double v)
{
	struct emit_state *st = ctx;

	st->s.signal = sig->qname;
	st->s.unit = sig->unit;
	st->s.value = v;
	st->emit(st->ctx, &st->s);
}

static int dbc_decode_rec(struct decoder *base, const struct m2mgw_rec *rec,
			  decode_emit_fn emit, void *ctx)
{
	struct dbc_decoder *d = (struct dbc_decoder *)base;
	uint32_t plen = (rec->len & M2MGW_REC_LEN_MASK) - M2MGW_REC_HDR_LEN;
	const struct canfd_frame *cf = (const void *)rec->data;
	struct emit_state st = {
		.s = { .tstamp_ns = rec->tstamp_ns, .seq = rec->seq },
		.emit = emit,
		.ctx = ctx,
	};
	const struct dbc_msg *m;
	size_t max;

	if (rec->type != M2MGW_REC_CAN && rec->type != M2MGW_REC_CANFD)
		return 0;
	max = rec->type == M2MGW_REC_CAN ? CAN_MAX_DLEN : CANFD_MAX_DLEN;
	if (plen < offsetof(struct canfd_frame, data) || cf->len > max ||
	    plen < offsetof(struct canfd_frame, data) + cf->len)
		return -EINVAL;
	if (cf->can_id & (CAN_RTR_FLAG | CAN_ERR_FLAG))
		return 0;
	if (cf->can_id & CAN_EFF_FLAG)
		m = dbc_find_id(d->db, cf->can_id & CAN_EFF_MASK, true);
	else
		m = dbc_find_id(d->db, cf->can_id & CAN_SFF_MASK, false);
	if (!m)
		return d->drop_unknown ? -ENOENT : 0;
	st.s.raw = cf->data;
	st.s.raw_len = cf->len;
	return dbc_decode(m, cf->data, cf->len, on_signal, &st);
}

static void dbc_destroy(struct decoder *base)
{
	struct dbc_decoder *d = (struct dbc_decoder *)base;

	dbc_free(d->db);
	free(d);
}

const struct decoder_ops decoder_dbc = {
	.name = "dbc",
	.port_types = 1 << M2MGW_PORT_CAN,
	.validate = dbc_validate,
	.create = dbc_create,
	.decode = dbc_decode_rec,
	.destroy = dbc_destroy,
};
