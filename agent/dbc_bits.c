// SPDX-License-Identifier: GPL-2.0
/*
 * DBC signal bits <-> physical values, both directions (dbc.h gives the
 * bit numbering).  Bits are walked one at a time: signals are at most 64
 * bits and frames at most 64 bytes, and one loop per byte order is far
 * easier to trust than shifted masks for Motorola signals that straddle
 * bytes.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "dbc.h"

/* The next less significant bit of a Motorola signal. */
static unsigned int moto_next(unsigned int pos)
{
	return pos % 8 ? pos - 1 : pos + 15;
}

uint64_t dbc_get_raw(const struct dbc_signal *s, const uint8_t *data)
{
	uint64_t v = 0;
	unsigned int pos = s->start;

	for (unsigned int i = 0; i < s->len; i++) {
		if (s->intel) {
			pos = s->start + i;
			v |= (uint64_t)(data[pos / 8] >> (pos % 8) & 1) << i;
		} else {
			v = v << 1 | (data[pos / 8] >> (pos % 8) & 1);
			pos = moto_next(pos);
		}
	}
	return v;
}

static void set_raw(const struct dbc_signal *s, uint64_t v, uint8_t *data)
{
	unsigned int pos = s->start;

	for (unsigned int i = 0; i < s->len; i++) {
		unsigned int bit = s->intel ? i : s->len - 1 - i;

		if (s->intel)
			pos = s->start + i;
		if (v >> bit & 1)
			data[pos / 8] |= 1U << (pos % 8);
		else
			data[pos / 8] &= ~(1U << (pos % 8));
		if (!s->intel)
			pos = moto_next(pos);
	}
}

static int64_t sign_extend(uint64_t raw, unsigned int len)
{
	if (len < 64 && raw >> (len - 1) & 1)
		raw |= ~0ULL << len;
	return (int64_t)raw;
}

static int64_t raw_int(const struct dbc_signal *s, uint64_t raw)
{
	return s->is_signed ? sign_extend(raw, s->len) : (int64_t)raw;
}

double dbc_raw_to_phys(const struct dbc_signal *s, uint64_t raw)
{
	double v;

	if (s->valtype == DBC_FLOAT) {
		uint32_t u = raw;
		float f;

		memcpy(&f, &u, sizeof(f));
		v = f;
	} else if (s->valtype == DBC_DOUBLE) {
		memcpy(&v, &raw, sizeof(v));
	} else if (s->is_signed) {
		v = (double)sign_extend(raw, s->len);
	} else {
		v = (double)raw;
	}
	return v * s->factor + s->offset;
}

const char *dbc_val_desc(const struct dbc_signal *s, int64_t raw)
{
	for (size_t i = 0; i < s->nvals; i++)
		if (s->vals[i].raw == raw)
			return s->vals[i].desc;
	return NULL;
}

int dbc_decode(const struct dbc_msg *m, const uint8_t *data, size_t len,
	       dbc_signal_fn fn, void *ctx)
{
	int64_t mux = 0;
	int n = 0;

	if (len < m->dlc)
		return -EMSGSIZE;
	if (m->mux_sig >= 0) {
		const struct dbc_signal *ms = &m->sigs[m->mux_sig];

		mux = raw_int(ms, dbc_get_raw(ms, data));
	}
	for (size_t i = 0; i < m->nsigs; i++) {
		const struct dbc_signal *s = &m->sigs[i];

		if (s->mux >= 0 && s->mux != mux)
			continue;
		fn(ctx, s, dbc_raw_to_phys(s, dbc_get_raw(s, data)));
		n++;
	}
	return n;
}

/* The raw integer for @v, or -ERANGE if it does not fit. */
static int phys_to_raw(const struct dbc_signal *s, double v, uint64_t *out)
{
	double r = (v - s->offset) / s->factor, lo, hi;

	if (s->valtype == DBC_FLOAT) {
		float f = r;
		uint32_t u;

		if (isinf(f) && !isinf(r))
			return -ERANGE;
		memcpy(&u, &f, sizeof(u));
		*out = u;
		return 0;
	}
	if (s->valtype == DBC_DOUBLE) {
		memcpy(out, &r, sizeof(r));
		return 0;
	}
	if (!isfinite(r))
		return -ERANGE;
	r = round(r);
	/* hi is exclusive: 2^63 - 1 and 2^64 - 1 are no doubles (they
	 * round up to 2^63 and 2^64), and converting those is undefined. */
	lo = s->is_signed ? -ldexp(1, s->len - 1) : 0;
	hi = ldexp(1, s->len - s->is_signed);
	if (r < lo || r >= hi)
		return -ERANGE;
	if (s->is_signed)
		*out = (uint64_t)(int64_t)r;
	else
		*out = r >= ldexp(1, 63) ?
			       (uint64_t)(r - ldexp(1, 63)) | 1ULL << 63 :
			       (uint64_t)r;
	return 0;
}

int dbc_put(const struct dbc_signal *s, double v, uint8_t *data)
{
	double slack = fabs(s->factor) / 2;
	uint64_t raw;

	/* [0|0] (or an inverted range) means "no range" in DBC files. */
	if (s->min < s->max && (v < s->min - slack || v > s->max + slack))
		return -ERANGE;
	if (phys_to_raw(s, v, &raw))
		return -ERANGE;
	set_raw(s, raw, data);
	return 0;
}

int dbc_encode(const struct dbc_msg *m, const char *const *names,
	       const double *values, size_t n, uint8_t *data, size_t cap)
{
	int64_t mux = 0;
	uint64_t raw;
	int rc;

	if (cap < m->dlc)
		return -ENOSPC;
	memset(data, 0, m->dlc);
	if (m->mux_sig >= 0) {
		const struct dbc_signal *ms = &m->sigs[m->mux_sig];

		for (size_t i = 0; i < n; i++)
			if (!strcmp(names[i], ms->name)) {
				if (phys_to_raw(ms, values[i], &raw))
					return -ERANGE;
				mux = raw_int(
					ms,
					raw & (ms->len < 64 ?
						       (1ULL << ms->len) - 1 :
						       ~0ULL));
			}
	}
	for (size_t i = 0; i < n; i++) {
		const struct dbc_signal *s = dbc_find_signal(m, names[i]);

		if (!s)
			return -ENOENT;
		if (s->mux >= 0 && s->mux != mux)
			return -EINVAL;
		rc = dbc_put(s, values[i], data);
		if (rc)
			return rc;
	}
	return m->dlc;
}
