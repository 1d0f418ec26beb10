// SPDX-License-Identifier: GPL-2.0
/*
 * DBC signal decode and encode (dbc_bits.c) on arbitrary frames.  The
 * first bytes describe one message with a multiplexor and one signal
 * (start, length, byte order, sign, float/double, factor, offset, range);
 * it goes through dbc_load() so only geometry the parser accepts reaches
 * the bit code.  Then the rest of the input is decoded as a frame, and a
 * value taken from it is encoded back and, if accepted, decoded again.
 */
#include <math.h>
#include <string.h>

#include "dbc.h"
#include "fuzz_util.h"

struct hdr {
	uint8_t start_lo, flags, len, dlc;
	int8_t factor_exp, offset, min, max;
	double value;
};

static void on_signal(void *ctx, const struct dbc_signal *s, double v)
{
	(void)s;
	*(double *)ctx = v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const mux[] = { "", "m0 ", "m1 ", "M " };
	uint8_t frame[64], out[64];
	const char *names[2] = { "S", "Sel" };
	double values[2], got = NAN;
	char text[512];
	struct hdr h;
	struct dbc *db;

	if (size < sizeof(h))
		return 0;
	fuzz_quiet();
	memcpy(&h, data, sizeof(h));
	data += sizeof(h);
	size -= sizeof(h);
	snprintf(text, sizeof(text),
		 "BO_ 291 M: %u X\n"
		 " SG_ Sel M : 0|2@1+ (1,0) [0|3] \"\" X\n"
		 " SG_ S %s: %u|%u@%u%c (%g,%d) [%d|%d] \"u\" X\n"
		 "SIG_VALTYPE_ 291 S : %u;\n",
		 h.dlc % 65, mux[h.flags >> 6 & 3],
		 h.start_lo | (h.flags & 1) << 8, h.len % 65, h.flags >> 1 & 1,
		 h.flags & 4 ? '-' : '+', ldexp(1, h.factor_exp % 40), h.offset,
		 h.min, h.max, h.flags >> 3 & 3);
	db = dbc_load(fuzz_file("bits.dbc", text, strlen(text)), fuzz_null());
	if (!db)
		return 0;
	memset(frame, 0, sizeof(frame));
	memcpy(frame, data, size < sizeof(frame) ? size : sizeof(frame));
	const struct dbc_msg *m = &db->msgs[0];
	const struct dbc_signal *s = dbc_find_signal(m, "S");

	dbc_decode(m, frame, size, on_signal, &got);
	if (s) {
		uint64_t raw = dbc_get_raw(s, frame);

		dbc_val_desc(s, (int64_t)raw);
		values[0] = isnan(h.value) ? dbc_raw_to_phys(s, raw) : h.value;
		values[1] = frame[0] & 3;
		if (dbc_encode(m, names, values, 2, out, sizeof(out)) >= 0)
			dbc_decode(m, out, m->dlc, on_signal, &got);
		memcpy(out, frame, sizeof(out));
		dbc_put(s, values[0], out);
	}
	dbc_free(db);
	return 0;
}
