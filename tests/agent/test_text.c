// SPDX-License-Identifier: GPL-2.0
/*
 * Text lines decoder: key=value and CSV lines, every config error with
 * its file:line, malformed lines refused without shifting columns.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "tap.h"

struct got {
	int n;
	char name[16][16];
	double v[16];
};

static void on_sample(void *ctx, const struct sample *s)
{
	struct got *g = ctx;

	snprintf(g->name[g->n], 16, "%s", s->signal);
	g->v[g->n++] = s->value;
}

static bool has(const struct got *g, const char *name, double want)
{
	for (int i = 0; i < g->n; i++)
		if (!strcmp(g->name[i], name))
			return fabs(g->v[i] - want) < 1e-12;
	return false;
}

/* @n bytes of @text as one serial frame. */
static int feed_n(struct decoder *d, const char *text, size_t n, struct got *g)
{
	union {
		struct m2mgw_rec r;
		uint8_t b[M2MGW_REC_HDR_LEN + 1024];
	} rec = { 0 };

	memset(g, 0, sizeof(*g));
	rec.r.len = M2MGW_REC_HDR_LEN + n;
	rec.r.type = M2MGW_REC_SERIAL;
	memcpy(rec.r.data, text, n);
	return d->ops->decode(d, &rec.r, on_sample, g);
}

static int feed(struct decoder *d, const char *text, struct got *g)
{
	return feed_n(d, text, strlen(text), g);
}

/* A port with the given key = value pairs (NULL-terminated). */
static struct port_conf *port(const char *const *kvs)
{
	static struct conf_kv kv[8];
	static struct port_conf pc;
	int i;

	memset(&pc, 0, sizeof(pc));
	pc.name = "p";
	pc.decoder_line = 3;
	for (i = 0; kvs[2 * i]; i++) {
		kv[i] = (struct conf_kv){ .key = (char *)kvs[2 * i],
					  .value = (char *)kvs[2 * i + 1],
					  .line = 10 + i };
		kv[i].next = kvs[2 * i + 2] ? &kv[i + 1] : NULL;
	}
	pc.opts = i ? kv : NULL;
	return &pc;
}

static const struct decoder_ops *ops;

static void test_kv(void)
{
	const char *kvs[] = { "format", "kv", NULL };
	struct decoder_env env = { 0 };
	struct decoder *d = ops->create(port(kvs), &env);
	struct got g;

	ok(feed(d, "temp=21.5 hum=40,pres=1013.25;x.y-z=-3e2\r\n", &g) == 4 &&
		   has(&g, "temp", 21.5) && has(&g, "hum", 40) &&
		   has(&g, "pres", 1013.25) && has(&g, "x.y-z", -300),
	   "kv: blanks, commas, semicolons; names with . and -");
	ok(feed(d, "temp=warm hum=41\n", &g) == -EINVAL && has(&g, "hum", 41) &&
		   g.n == 1,
	   "kv: non-number refused, the other pair kept");
	ok(feed(d, "te$mp=1 a=2\n", &g) == -EINVAL && g.n == 1 &&
		   has(&g, "a", 2),
	   "kv: bad key refused");
	ok(feed(d, "novalue a=2\n", &g) == -EINVAL && has(&g, "a", 2),
	   "kv: token without '=' refused");
	ok(feed(d, "a=\n", &g) == 0 && g.n == 0, "kv: empty value, no sample");
	ok(feed(d, "a=1", &g) == 0 && g.n == 0 && feed(d, "2 b=3\n", &g) == 2 &&
		   has(&g, "a", 12) && has(&g, "b", 3),
	   "kv: line split across frames");
	ok(feed_n(d, "a=1\0b=2\n", 8, &g) == -EINVAL && g.n == 0 &&
		   feed(d, "c=3\n", &g) == 1,
	   "kv: a line with a NUL byte is refused whole, the next one is fine");
	ops->destroy(d);
}

static void test_csv(void)
{
	const char *kvs[] = { "format",	   "csv", "columns", "t, -, h ,p",
			      "separator", ";",	  NULL };
	struct decoder_env env = { 0 };
	struct decoder *d = ops->create(port(kvs), &env);
	struct got g;

	ok(feed(d, "21.5;ignored;40;1013\r\n", &g) == 3 && has(&g, "t", 21.5) &&
		   has(&g, "h", 40) && has(&g, "p", 1013),
	   "csv: columns, '-' skipped, ';'");
	ok(feed(d, "21.5;x;40\n", &g) == -EINVAL && g.n == 0,
	   "csv: a missing field refuses the line (no shifted columns)");
	ok(feed(d, "1;2;3;4;5\n", &g) == -EINVAL && g.n == 0,
	   "csv: an extra field refuses the line");
	ok(feed(d, "1;x;;4\n", &g) == 2 && has(&g, "t", 1) && has(&g, "p", 4),
	   "csv: empty field gives no sample");
	ok(feed(d, "1;x;abc;4\n", &g) == -EINVAL, "csv: non-number refused");
	ok(feed(d, "1;x;2;3\n4;x;5;6\n", &g) == 6 && g.v[3] == 4,
	   "csv: two lines in one frame");
	ops->destroy(d);
}

static const struct {
	const char *name;
	const char *kvs[7];
	const char *expect;
} bads[] = {
	{ "bad format",
	  { "format", "xml" },
	  "x.conf:10: format must be kv or csv" },
	{ "csv without columns",
	  { "format", "csv" },
	  "x.conf:10: [port p]: format = csv needs columns =" },
	{ "columns without csv",
	  { "columns", "a,b" },
	  "x.conf:10: [port p]: columns = is for format = csv" },
	{ "bad column name",
	  { "format", "csv", "columns", "a,b c" },
	  "x.conf:11: columns: comma-separated" },
	{ "empty column",
	  { "format", "csv", "columns", "a,,b" },
	  "x.conf:11: columns: comma-separated" },
	{ "long separator",
	  { "separator", ";;" },
	  "x.conf:10: separator must be one character" },
	{ "bad separator name",
	  { "separator", "pipe" },
	  "x.conf:10: separator must be one character" },
	{ "unknown key",
	  { "delimiter", "x" },
	  "x.conf:10: unknown key \"delimiter\" in [port p] (decoder text)" },
};

static void test_config(void)
{
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		char *errs = NULL;
		size_t n;
		FILE *err = open_memstream(&errs, &n);
		int rc = ops->validate(port(bads[i].kvs), "x.conf", err);

		fclose(err);
		if (!ok(rc > 0 && strstr(errs, bads[i].expect), "config: %s",
			bads[i].name))
			printf("#   want: %s\n#   got:  %s", bads[i].expect,
			       errs);
		free(errs);
	}
}

int main(void)
{
	const char *good[] = { "format", "csv", "columns", "a,b", NULL };
	FILE *null = fopen("/dev/null", "w");

	ops = decoder_find("text");
	if (!ok(ops != NULL, "decoder text is registered"))
		return 1;
	ok(ops->validate(port(good), "x.conf", null) == 0, "good csv config");
	fclose(null);
	test_kv();
	test_csv();
	test_config();
	return tap_done();
}
