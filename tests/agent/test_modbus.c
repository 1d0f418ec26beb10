// SPDX-License-Identifier: GPL-2.0
/*
 * Modbus RTU sniffer: CRC-16 against the published vectors (01 03 00 6B
 * 00 03 -> 74 17), request/response pairing, registers, coils,
 * exceptions, corrupted bytes and mismatched responses.  Frames and CRCs
 * below were computed with an independent Python implementation.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "tap.h"

uint16_t modbus_crc16(const uint8_t *p, size_t n);

struct got {
	int n;
	char name[16][24];
	double v[16];
};

static void on_sample(void *ctx, const struct sample *s)
{
	struct got *g = ctx;

	snprintf(g->name[g->n], 24, "%s", s->signal);
	g->v[g->n++] = s->value;
}

static struct decoder *dec;

static int feed(const char *hex, struct got *g)
{
	union {
		struct m2mgw_rec r;
		uint8_t b[M2MGW_REC_HDR_LEN + 256];
	} rec = { 0 };
	size_t n = strlen(hex) / 2;

	for (size_t i = 0; i < n; i++)
		sscanf(hex + 2 * i, "%2hhx", &rec.r.data[i]);
	memset(g, 0, sizeof(*g));
	rec.r.len = M2MGW_REC_HDR_LEN + n;
	rec.r.type = M2MGW_REC_SERIAL;
	return dec->ops->decode(dec, &rec.r, on_sample, g);
}

int main(void)
{
	const uint8_t v1[] = { 0x01, 0x03, 0x00, 0x6b, 0x00, 0x03 };
	const uint8_t v2[] = { 0x01, 0x03, 0x00, 0x00, 0x00, 0x0a };
	struct port_conf pc = { .name = "bus", .type = M2MGW_PORT_SERIAL };
	struct conf_kv kv = { .key = "mode", .value = "monitor", .line = 9 };
	struct decoder_env env = { 0 };
	const struct decoder_ops *ops = decoder_find("modbus");
	struct got g;
	char *errs = NULL;
	size_t n;
	int rc;
	FILE *err;

	if (!ok(ops != NULL, "decoder modbus is registered"))
		return 1;
	ok(modbus_crc16(v1, 6) == 0x1774 && modbus_crc16(v2, 6) == 0xcdc5,
	   "CRC-16: spec vectors 74 17 and c5 cd");
	dec = ops->create(&pc, &env);
	ok(feed("0103006b00037417", &g) == 0 && g.n == 0,
	   "read request: no sample");
	ok(feed("010306022b00000064057a", &g) == 3 &&
		   !strcmp(g.name[0], "s1.hr107") && g.v[0] == 0x022b &&
		   !strcmp(g.name[1], "s1.hr108") && g.v[1] == 0 &&
		   !strcmp(g.name[2], "s1.hr109") && g.v[2] == 100,
	   "response: holding registers 107..109 = 555, 0, 100");
	ok(feed("010306022b00000064057a", &g) == -EPROTO,
	   "a second response without a request is refused");
	ok(feed("0101000a000dddcd", &g) == 0 &&
		   feed("010102cd012cac", &g) == 13 &&
		   !strcmp(g.name[0], "s1.co10") && g.v[0] == 1 &&
		   g.v[1] == 0 && g.v[2] == 1 && g.v[3] == 1 && g.v[8] == 1 &&
		   g.v[9] == 0,
	   "coils 10..22 from 0xcd 0x01, LSB first");
	ok(feed("0103006b00037417", &g) == 0 && feed("018302c0f1", &g) == 1 &&
		   !strcmp(g.name[0], "s1.exception") && g.v[0] == 2,
	   "exception 2 (illegal data address)");
	ok(feed("0103006b00037417", &g) == 0 &&
		   feed("010306022b00000065057a", &g) == -EBADMSG && g.n == 0,
	   "one corrupted byte: CRC error, no value");
	ok(feed("0103006b00037418", &g) == -EBADMSG, "corrupted request CRC");
	ok(feed("0103006b00037417", &g) == 0 && feed("01010113"
						     "1045",
						     &g) == -EPROTO,
	   "response of another function is refused");
	ok(feed("010300", &g) == -EINVAL, "3-byte frame refused");
	ops->destroy(dec);
	pc.opts = &kv;
	err = open_memstream(&errs, &n);
	rc = ops->validate(&pc, "x.conf", err);
	fclose(err);
	ok(rc == 1 &&
		   strstr(errs,
			  "x.conf:9: mode must be master or sniffer, not \"monitor\""),
	   "mode = monitor refused with file:line");
	free(errs);
	return tap_done();
}
