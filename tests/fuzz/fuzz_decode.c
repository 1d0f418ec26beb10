// SPDX-License-Identifier: GPL-2.0
/* Fuzz input into a frame decoder; see fuzz_decode.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_decode.h"
#include "fuzz_util.h"

static void on_sample(void *ctx, const struct sample *s)
{
	/* Touch what the decoder hands out, so a dangling pointer shows. */
	*(size_t *)ctx += strlen(s->signal) + (s->unit ? strlen(s->unit) : 0) +
			  (isnan(s->value) ? 1 : 0);
	for (size_t i = 0; i < s->raw_len; i++)
		*(size_t *)ctx += s->raw[i];
}

static void feed(struct decoder *d, const uint8_t *p, size_t n, uint64_t seq)
{
	struct m2mgw_rec *rec = malloc(M2MGW_REC_HDR_LEN + n);
	size_t sum = 0;

	if (!rec)
		return;
	memset(rec, 0, M2MGW_REC_HDR_LEN);
	rec->len = M2MGW_REC_HDR_LEN + n;
	rec->type = M2MGW_REC_SERIAL;
	rec->tstamp_ns = 1700000000000000000ULL + seq;
	rec->seq = seq;
	memcpy(rec->data, p, n);
	d->ops->decode(d, rec, on_sample, &sum);
	free(rec);
}

void fuzz_decode(const char *name, struct conf_kv *opts, const uint8_t *data,
		 size_t size, int sep)
{
	struct port_conf pc = { .name = "p", .type = M2MGW_PORT_SERIAL };
	struct decoder_env env = { 0 };
	const struct decoder_ops *ops = decoder_find(name);
	struct decoder *d;
	uint64_t seq = 0;

	fuzz_quiet();
	pc.opts = opts;
	if (!ops || ops->validate(&pc, "fuzz.conf", fuzz_null()))
		abort(); /* the harness's options are wrong */
	d = ops->create(&pc, &env);
	if (!d)
		return;
	while (size) {
		const uint8_t *end;
		size_t n;

		if (sep >= 0) {
			end = memchr(data, sep, size);
			n = end ? (size_t)(end - data) : size;
			feed(d, data, n, seq++);
			n += end != NULL;
		} else {
			n = data[0] < size - 1 ? data[0] : size - 1;
			feed(d, data + 1, n, seq++);
			n++;
		}
		data += n;
		size -= n;
	}
	ops->destroy(d);
}
