// SPDX-License-Identifier: GPL-2.0
/*
 * The "nmea" decoder: NMEA 0183 sentences from a GPS/GNSS receiver on a
 * serial port (framing = delimiter, framing_arg = 10 is the natural
 * setting; with raw framing a line cut across frames is joined).
 *
 * Every sentence must end with "*HH" and the XOR checksum must match;
 * one that does not, or a truncated one, is a decode drop (-EBADMSG /
 * -EINVAL), never a value.  Any talker (GP, GN, GL, GA, BD, ...).
 * Samples (empty fields, i.e. no fix, give no sample):
 *
 *   GGA  latitude, longitude (decimal degrees, S/W negative),
 *        fix_quality, satellites, hdop, altitude (m)
 *   RMC  valid (1 = A, 0 = V), and when valid: latitude, longitude,
 *        speed (km/h), course (deg)
 *   VTG  course (deg, true), speed (km/h)
 *   GSA  fix_type (1 none, 2 2D, 3 3D), pdop, hdop, vdop
 *
 * Other sentences (GSV, proprietary $P...) are ignored.  No keys.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

#define NMEA_MAX    128 /* the standard says 82; receivers exceed it */
#define NMEA_FIELDS 24

struct nmea_decoder {
	struct decoder base;
	char part[NMEA_MAX]; /* a line not yet ended by '\n' */
	size_t plen;
	bool overflow; /* discarding up to the next '\n' */
};

struct nmea_out {
	struct sample s;
	decode_emit_fn emit;
	void *ctx;
	int n;
};

static void out(struct nmea_out *o, const char *name, const char *unit,
		double v)
{
	o->s.signal = name;
	o->s.unit = unit;
	o->s.value = v;
	o->emit(o->ctx, &o->s);
	o->n++;
}

static int nmea_validate(const struct port_conf *pc, const char *file,
			 FILE *err)
{
	int errors = 0;

	for (const struct conf_kv *kv = pc->opts; kv; kv = kv->next) {
		fprintf(err,
			"%s:%d: unknown key \"%s\" in [port %s] (decoder nmea has no keys)\n",
			file, kv->line, kv->key, pc->name);
		errors++;
	}
	return errors;
}

static struct decoder *nmea_create(const struct port_conf *pc,
				   const struct decoder_env *env)
{
	struct nmea_decoder *d = calloc(1, sizeof(*d));

	(void)pc;
	(void)env;
	if (!d)
		return NULL;
	d->base.ops = &decoder_nmea;
	return &d->base;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = toupper((unsigned char)c);
	return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A number, or false for an empty/garbled field. */
static bool num(const char *f, double *v)
{
	char *e;

	if (!*f)
		return false;
	*v = strtod(f, &e);
	return !*e && isfinite(*v);
}

/* ddmm.mmmm / dddmm.mmmm + hemisphere -> degrees; -1 bad, 0 empty. */
static int latlon(const char *f, const char *hemi, int deg_digits, double *v)
{
	double mins;

	if (!*f && !*hemi)
		return 0;
	if (strlen(f) < (size_t)deg_digits + 2 || strlen(hemi) != 1)
		return -1;
	for (int i = 0; i < deg_digits; i++)
		if (!isdigit((unsigned char)f[i]))
			return -1;
	if (!num(f + deg_digits, &mins) || mins < 0 || mins >= 60)
		return -1;
	*v = (f[0] - '0') * (deg_digits == 3 ? 100 : 10) +
	     (f[1] - '0') * (deg_digits == 3 ? 10 : 1) +
	     (deg_digits == 3 ? f[2] - '0' : 0) + mins / 60;
	if ((deg_digits == 2 && *hemi != 'N' && *hemi != 'S') ||
	    (deg_digits == 3 && *hemi != 'E' && *hemi != 'W'))
		return -1;
	if (*v > (deg_digits == 2 ? 90 : 180))
		return -1;
	if (*hemi == 'S' || *hemi == 'W')
		*v = -*v;
	return 1;
}

static int position(struct nmea_out *o, char **f)
{
	double lat, lon;
	int a = latlon(f[0], f[1], 2, &lat), b = latlon(f[2], f[3], 3, &lon);

	if (a < 0 || b < 0)
		return -EINVAL;
	if (a && b) {
		out(o, "latitude", "deg", lat);
		out(o, "longitude", "deg", lon);
	}
	return 0;
}

static void opt(struct nmea_out *o, const char *f, const char *name,
		const char *unit, double scale)
{
	double v;

	if (num(f, &v))
		out(o, name, unit, v * scale);
}

/* One sentence body between '$' and '*', split into fields. */
static int sentence(struct nmea_out *o, char **f, int nf)
{
	const char *type = f[0];

	if (strlen(type) != 5 || type[0] == 'P')
		return 0; /* proprietary or unknown addressing */
	type += 2;
	if (!strcmp(type, "GGA")) {
		if (nf < 15)
			return -EINVAL;
		if (position(o, f + 2))
			return -EINVAL;
		opt(o, f[6], "fix_quality", NULL, 1);
		opt(o, f[7], "satellites", NULL, 1);
		opt(o, f[8], "hdop", NULL, 1);
		opt(o, f[9], "altitude", "m", 1);
	} else if (!strcmp(type, "RMC")) {
		bool valid;

		if (nf < 12 || strlen(f[2]) != 1 ||
		    (*f[2] != 'A' && *f[2] != 'V'))
			return -EINVAL;
		valid = *f[2] == 'A';
		/* NMEA 2.3+: mode field N = data not valid. */
		if (nf >= 13 && *f[12] == 'N')
			valid = false;
		out(o, "valid", NULL, valid);
		if (!valid)
			return 0;
		if (position(o, f + 3))
			return -EINVAL;
		opt(o, f[7], "speed", "km/h", 1.852);
		opt(o, f[8], "course", "deg", 1);
	} else if (!strcmp(type, "VTG")) {
		if (nf < 9)
			return -EINVAL;
		opt(o, f[1], "course", "deg", 1);
		opt(o, f[7], "speed", "km/h", 1);
	} else if (!strcmp(type, "GSA")) {
		if (nf < 18)
			return -EINVAL;
		opt(o, f[2], "fix_type", NULL, 1);
		opt(o, f[15], "pdop", NULL, 1);
		opt(o, f[16], "hdop", NULL, 1);
		opt(o, f[17], "vdop", NULL, 1);
	}
	return 0;
}

/* One line (no '\n'); -EINVAL truncated/garbled, -EBADMSG checksum. */
static int nmea_line(struct nmea_out *o, const char *line, size_t len)
{
	char buf[NMEA_MAX], *f[NMEA_FIELDS];
	const char *start, *star;
	unsigned int sum = 0;
	int nf = 0, hi, lo;

	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (!len)
		return 0;
	start = memchr(line, '$', len);
	if (!start)
		return -EINVAL;
	len -= start + 1 - line;
	start++;
	star = memchr(start, '*', len);
	if (!star || start + len - star != 3 || star - start >= NMEA_MAX)
		return -EINVAL;
	/* A NUL would end the fields early, and XORs to nothing. */
	if (memchr(start, '\0', (size_t)(star - start)))
		return -EINVAL;
	hi = hexval(star[1]);
	lo = hexval(star[2]);
	if (hi < 0 || lo < 0)
		return -EINVAL;
	for (const char *p = start; p < star; p++)
		sum ^= (unsigned char)*p;
	if (sum != (unsigned int)(hi << 4 | lo))
		return -EBADMSG;
	memcpy(buf, start, star - start);
	buf[star - start] = '\0';
	for (char *p = buf; p && nf < NMEA_FIELDS; nf++) {
		f[nf] = p;
		p = strchr(p, ',');
		if (p)
			*p++ = '\0';
	}
	return sentence(o, f, nf);
}

static int nmea_decode(struct decoder *base, const struct m2mgw_rec *rec,
		       decode_emit_fn emit, void *ctx)
{
	struct nmea_decoder *d = (struct nmea_decoder *)base;
	uint32_t plen = (rec->len & M2MGW_REC_LEN_MASK) - M2MGW_REC_HDR_LEN;
	const char *p = (const char *)rec->data, *end = p + plen;
	struct nmea_out o = {
		.s = { .tstamp_ns = rec->tstamp_ns, .seq = rec->seq },
		.emit = emit,
		.ctx = ctx,
	};
	int err = 0, rc;

	if (rec->type != M2MGW_REC_SERIAL)
		return 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = (nl ? nl : end) - p;

		if (d->overflow || d->plen + n > sizeof(d->part)) {
			d->overflow = true;
			d->plen = 0;
			if (nl) {
				d->overflow = false;
				err = -EINVAL; /* a line longer than any NMEA */
			}
		} else {
			memcpy(d->part + d->plen, p, n);
			d->plen += n;
			if (nl) {
				rc = nmea_line(&o, d->part, d->plen);
				if (rc)
					err = rc;
				d->plen = 0;
			}
		}
		p += n + (nl != NULL);
	}
	return err ? err : o.n;
}

static void nmea_destroy(struct decoder *d)
{
	free(d);
}

const struct decoder_ops decoder_nmea = {
	.name = "nmea",
	.port_types = 1 << M2MGW_PORT_SERIAL,
	.validate = nmea_validate,
	.create = nmea_create,
	.decode = nmea_decode,
	.destroy = nmea_destroy,
};
