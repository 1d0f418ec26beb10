// SPDX-License-Identifier: GPL-2.0
/*
 * NMEA 0183 decoder: the classic reference sentences (checksums as
 * published), no-fix output, southern/western positions, bad checksums,
 * truncated and garbled lines, lines split across serial frames.
 * Positions are recomputed here as degrees + minutes / 60.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "tap.h"

struct got {
	int n;
	char name[32][16];
	char unit[32][8];
	double v[32];
	uint64_t ts;
};

static void on_sample(void *ctx, const struct sample *s)
{
	struct got *g = ctx;

	snprintf(g->name[g->n], 16, "%s", s->signal);
	snprintf(g->unit[g->n], 8, "%s", s->unit ? s->unit : "");
	g->ts = s->tstamp_ns;
	g->v[g->n++] = s->value;
}

static bool has(const struct got *g, const char *name, const char *unit,
		double want)
{
	for (int i = 0; i < g->n; i++)
		if (!strcmp(g->name[i], name))
			return fabs(g->v[i] - want) < 1e-9 &&
			       !strcmp(g->unit[i], unit ? unit : "");
	return false;
}

static struct decoder *dec;

/* Feed @n bytes of @text as one serial frame; returns decode()'s result. */
static int feed_n(const char *text, size_t n, struct got *g)
{
	union {
		struct m2mgw_rec r;
		uint8_t b[M2MGW_REC_HDR_LEN + 512];
	} rec = { 0 };

	memset(g, 0, sizeof(*g));
	rec.r.len = M2MGW_REC_HDR_LEN + n;
	rec.r.type = M2MGW_REC_SERIAL;
	rec.r.tstamp_ns = 1700000000123456789ULL;
	memcpy(rec.r.data, text, n);
	return dec->ops->decode(dec, &rec.r, on_sample, g);
}

static int feed(const char *text, struct got *g)
{
	return feed_n(text, strlen(text), g);
}

/* "$" body "*HH\r\n" with the checksum computed here. */
static const char *with_sum(const char *body)
{
	static char buf[256];
	unsigned int x = 0;

	for (const char *p = body; *p; p++)
		x ^= (unsigned char)*p;
	snprintf(buf, sizeof(buf), "$%s*%02X\r\n", body, x);
	return buf;
}

static void test_reference(void)
{
	struct got g;
	double lat = 48 + 7.038 / 60, lon = 11 + 31.0 / 60;

	ok(feed("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n",
		&g) == 6 &&
		   has(&g, "latitude", "deg", lat) &&
		   has(&g, "longitude", "deg", lon) &&
		   has(&g, "fix_quality", NULL, 1) &&
		   has(&g, "satellites", NULL, 8) &&
		   has(&g, "hdop", NULL, 0.9) &&
		   has(&g, "altitude", "m", 545.4) &&
		   g.ts == 1700000000123456789ULL,
	   "GGA: 48.1173 N 11.5167 E, fix 1, 8 sats, hdop 0.9, 545.4 m, capture time");
	ok(feed("$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n",
		&g) == 5 &&
		   has(&g, "valid", NULL, 1) &&
		   has(&g, "latitude", "deg", lat) &&
		   has(&g, "speed", "km/h", 22.4 * 1.852) &&
		   has(&g, "course", "deg", 84.4),
	   "RMC: valid, position, 22.4 kn as km/h, course");
	ok(feed("$GPVTG,054.7,T,034.4,M,005.5,N,010.2,K*48\r\n", &g) == 2 &&
		   has(&g, "course", "deg", 54.7) &&
		   has(&g, "speed", "km/h", 10.2),
	   "VTG: true course 54.7, 10.2 km/h");
	ok(feed("$GPGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1*39\r\n", &g) ==
			   4 &&
		   has(&g, "fix_type", NULL, 3) && has(&g, "pdop", NULL, 2.5) &&
		   has(&g, "hdop", NULL, 1.3) && has(&g, "vdop", NULL, 2.1),
	   "GSA: 3D fix, PDOP/HDOP/VDOP");
	ok(feed("$GPGSV,3,1,11,03,03,111,00,04,15,270,00,06,01,010,00,13,06,292,00*74\r\n",
		&g) == 0,
	   "GSV (not decoded) is ignored, not an error");
	ok(feed("$GPGGA,,,,,,0,00,99.99,,,,,,*48\r\n", &g) == 3 &&
		   has(&g, "fix_quality", NULL, 0) &&
		   !has(&g, "latitude", "deg", 0),
	   "GGA without a fix: quality 0, no position");
	ok(feed("$GPRMC,,V,,,,,,,,,,N*53\r\n", &g) == 1 &&
		   has(&g, "valid", NULL, 0),
	   "RMC void: valid = 0 only");
}

static void test_hemispheres(void)
{
	struct got g;

	ok(feed(with_sum(
			"GPGGA,002153.000,3342.6618,S,11751.3858,W,1,10,1.2,27.0,M,-34.2,M,,0000"),
		&g) == 6 &&
		   has(&g, "latitude", "deg", -(33 + 42.6618 / 60)) &&
		   has(&g, "longitude", "deg", -(117 + 51.3858 / 60)),
	   "S and W are negative degrees");
	ok(feed(with_sum(
			"GNRMC,083559.00,A,4717.11437,N,00833.91522,E,0.004,77.52,091202,,,A"),
		&g) == 5 &&
		   has(&g, "longitude", "deg", 8 + 33.91522 / 60),
	   "GN talker, NMEA 2.3 mode field");
	ok(feed(with_sum(
			"GNRMC,083559.00,A,4717.11437,N,00833.91522,E,0.004,77.52,091202,,,N"),
		&g) == 1 &&
		   has(&g, "valid", NULL, 0),
	   "RMC mode N (not valid) gives no position");
	ok(feed(with_sum(
			"GPGGA,1,4807.038,X,01131.000,E,1,08,0.9,545.4,M,46.9,M,,"),
		&g) == -EINVAL,
	   "hemisphere X is refused");
	ok(feed(with_sum(
			"GPGGA,1,4867.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,"),
		&g) == -EINVAL,
	   "67 minutes is refused");
}

static void test_bad(void)
{
	struct got g;

	ok(feed("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*46\r\n",
		&g) == -EBADMSG &&
		   g.n == 0,
	   "checksum off by one: refused, no sample");
	ok(feed("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n"
		"$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n",
		&g) == 11,
	   "two sentences in one frame");
	ok(feed("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,47.9,M,,*47\r\n",
		&g) == -EBADMSG,
	   "one flipped digit: checksum mismatch");
	ok(feed("$GPGGA,123519,4807.038,N,011\r\n", &g) == -EINVAL && g.n == 0,
	   "truncated line (no *HH) refused");
	ok(feed("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*4\r\n",
		&g) == -EINVAL,
	   "one checksum digit refused");
	ok(feed("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*4G\r\n",
		&g) == -EINVAL,
	   "non-hex checksum refused");
	ok(feed(with_sum("GPGGA,123519,4807.038,N,01131.000"), &g) == -EINVAL,
	   "GGA with too few fields refused even with a good checksum");
	ok(feed_n("$GPVTG,054.7,T,034.4,M,005.5,N,010.2,K\0*48\r\n", 44, &g) ==
			   -EINVAL &&
		   g.n == 0,
	   "a NUL byte (invisible to the XOR checksum) refused");
	ok(feed("garbage without dollar\r\n", &g) == -EINVAL,
	   "noise line refused");
	ok(feed("\r\n", &g) == 0, "empty line ignored");
	ok(feed("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*46\r\n"
		"$GPVTG,054.7,T,034.4,M,005.5,N,010.2,K*48\r\n",
		&g) == -EBADMSG &&
		   g.n == 2,
	   "bad then good sentence: error counted, good one decoded");
}

static void test_split(void)
{
	struct got g;
	char big[300];

	ok(feed("$GPVTG,054.7,T,034.", &g) == 0 && g.n == 0,
	   "first half of a line: nothing yet");
	ok(feed("4,M,005.5,N,010.2,K*48\r\n", &g) == 2 &&
		   has(&g, "speed", "km/h", 10.2),
	   "second half completes the sentence");
	memset(big, 'A', sizeof(big) - 3);
	strcpy(big + sizeof(big) - 3, "\r\n");
	ok(feed(big, &g) == -EINVAL, "a 300-byte line is refused");
	ok(feed("$GPVTG,054.7,T,034.4,M,005.5,N,010.2,K*48\r\n", &g) == 2,
	   "and the next line decodes");
}

int main(void)
{
	struct port_conf pc = { .name = "gps", .type = M2MGW_PORT_SERIAL };
	struct conf_kv kv = { .key = "sentences", .value = "GGA", .line = 7 };
	struct decoder_env env = { 0 };
	const struct decoder_ops *ops = decoder_find("nmea");
	char *errs = NULL;
	size_t n;
	FILE *err;

	if (!ok(ops != NULL, "decoder nmea is registered"))
		return 1;
	dec = ops->create(&pc, &env);
	test_reference();
	test_hemispheres();
	test_bad();
	test_split();
	ops->destroy(dec);
	pc.opts = &kv;
	err = open_memstream(&errs, &n);
	ok(ops->validate(&pc, "x.conf", err) == 1, "validate refuses keys");
	fclose(err);
	ok(strstr(errs, "x.conf:7: unknown key \"sentences\"") != NULL,
	   "with file:line");
	free(errs);
	return tap_done();
}
