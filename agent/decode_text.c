// SPDX-License-Identifier: GPL-2.0
/*
 * The "text" decoder: numeric values from text lines on a serial port
 * (framing = delimiter, framing_arg = 10; lines split across frames are
 * joined, '\r' is dropped).  Port keys:
 *
 *   format = kv        "temp=21.5 hum=40" - pairs separated by blanks,
 *                      ',' or ';'; the key is the signal name
 *   format = csv       "21.5,40" with
 *   columns = a, b, -  one signal name per column, "-" skips a column
 *   separator = ,      the CSV field separator: one character, or
 *                      semicolon / tab / space / comma
 *
 * An empty field gives no sample.  A value that is not a number, a key
 * that is not a name ([A-Za-z0-9_.-]), or a CSV line with another number
 * of fields than columns makes the line a decode drop: a CSV line with a
 * missing field never shifts values into the wrong columns.  A line with
 * a NUL byte is a decode drop as a whole.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

#define TEXT_MAX  512
#define TEXT_COLS 32
#define TEXT_NAME 64

static const char name_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "abcdefghijklmnopqrstuvwxyz0123456789_.-";

struct text_decoder {
	struct decoder base;
	bool csv;
	char sep;
	unsigned int ncols;
	char cols[TEXT_COLS][TEXT_NAME]; /* "" = skipped column */
	char part[TEXT_MAX];
	size_t plen;
	bool overflow;
};

/*
 * The separator: one character, or a name for those an INI value cannot
 * hold (';' starts a comment, blanks are trimmed).  -1 if invalid.
 */
static int sep_char(const char *v)
{
	static const char *const names[] = { "semicolon", "tab", "space",
					     "comma" };
	static const char chars[] = ";\t ,";

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(v, names[i]))
			return chars[i];
	return strlen(v) == 1 ? (unsigned char)v[0] : -1;
}

/* Split "a, b ,c" into @cols; -1 if a name is bad or there are too many. */
static int split_columns(const char *s, char cols[][TEXT_NAME])
{
	int n = 0;

	for (;;) {
		const char *e = strchr(s, ',');
		size_t len = e ? (size_t)(e - s) : strlen(s);

		while (len && isspace((unsigned char)*s)) {
			s++;
			len--;
		}
		while (len && isspace((unsigned char)s[len - 1]))
			len--;
		if (!len || len >= TEXT_NAME || n == TEXT_COLS)
			return -1;
		for (size_t i = 0; i < len; i++)
			if (!isalnum((unsigned char)s[i]) &&
			    !strchr("_.-", s[i]))
				return -1;
		if (len == 1 && *s == '-')
			cols[n][0] = '\0';
		else
			snprintf(cols[n], TEXT_NAME, "%.*s", (int)len, s);
		n++;
		if (!e)
			return n;
		s = e + 1;
	}
}

static int text_validate(const struct port_conf *pc, const char *file,
			 FILE *err)
{
	char cols[TEXT_COLS][TEXT_NAME];
	int errors = 0, csv = 0, fline = pc->decoder_line;
	const struct conf_kv *columns = NULL;

	for (const struct conf_kv *kv = pc->opts; kv; kv = kv->next) {
		const char *m = NULL;

		if (!strcmp(kv->key, "format")) {
			csv = !strcmp(kv->value, "csv");
			fline = kv->line;
			if (!csv && strcmp(kv->value, "kv"))
				m = "format must be kv or csv";
		} else if (!strcmp(kv->key, "columns")) {
			columns = kv;
			if (split_columns(kv->value, cols) < 0)
				m = "columns: comma-separated names ([A-Za-z0-9_.-], \"-\" to skip), at most 32";
		} else if (!strcmp(kv->key, "separator")) {
			if (sep_char(kv->value) < 0)
				m = "separator must be one character or semicolon, tab, space, comma";
		} else {
			fprintf(err,
				"%s:%d: unknown key \"%s\" in [port %s] (decoder text)\n",
				file, kv->line, kv->key, pc->name);
			errors++;
		}
		if (m) {
			fprintf(err, "%s:%d: %s, not \"%s\"\n", file, kv->line,
				m, kv->value);
			errors++;
		}
	}
	if (csv && !columns) {
		fprintf(err, "%s:%d: [port %s]: format = csv needs columns =\n",
			file, fline, pc->name);
		errors++;
	}
	if (!csv && columns) {
		fprintf(err,
			"%s:%d: [port %s]: columns = is for format = csv\n",
			file, columns->line, pc->name);
		errors++;
	}
	return errors;
}

static struct decoder *text_create(const struct port_conf *pc,
				   const struct decoder_env *env)
{
	struct text_decoder *d = calloc(1, sizeof(*d));

	(void)env;
	if (!d)
		return NULL;
	d->base.ops = &decoder_text;
	d->sep = ',';
	for (const struct conf_kv *kv = pc->opts; kv; kv = kv->next) {
		if (!strcmp(kv->key, "format"))
			d->csv = !strcmp(kv->value, "csv");
		else if (!strcmp(kv->key, "separator"))
			d->sep = sep_char(kv->value);
		else if (!strcmp(kv->key, "columns"))
			d->ncols = split_columns(kv->value, d->cols);
	}
	return &d->base;
}

struct text_out {
	struct sample s;
	decode_emit_fn emit;
	void *ctx;
	int n;
};

/* Emit @name = @val (trimmed); 0, or -EINVAL if @val is no number. */
static int value(struct text_out *o, const char *name, char *val)
{
	char *e;
	double v;

	while (isspace((unsigned char)*val))
		val++;
	e = val + strlen(val);
	while (e > val && isspace((unsigned char)e[-1]))
		*--e = '\0';
	if (!*val)
		return 0;
	v = strtod(val, &e);
	if (*e || !isfinite(v))
		return -EINVAL;
	o->s.signal = name;
	o->s.value = v;
	o->emit(o->ctx, &o->s);
	o->n++;
	return 0;
}

static int csv_line(struct text_decoder *d, struct text_out *o, char *line)
{
	char *f[TEXT_COLS + 1];
	unsigned int n = 0;
	int rc = 0;

	for (char *p = line; p; n++) {
		if (n == TEXT_COLS + 1)
			return -EINVAL;
		f[n] = p;
		p = strchr(p, d->sep);
		if (p)
			*p++ = '\0';
	}
	if (n != d->ncols)
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++)
		if (d->cols[i][0] && value(o, d->cols[i], f[i]))
			rc = -EINVAL;
	return rc;
}

static int kv_line(struct text_out *o, char *line)
{
	static const char seps[] = " \t,;";
	char *save = NULL, *tok;
	int rc = 0;

	for (tok = strtok_r(line, seps, &save); tok;
	     tok = strtok_r(NULL, seps, &save)) {
		char *eq = strchr(tok, '=');

		if (!eq || eq == tok || eq - tok >= TEXT_NAME) {
			rc = -EINVAL;
			continue;
		}
		*eq = '\0';
		if (tok[strspn(tok, name_chars)] || value(o, tok, eq + 1))
			rc = -EINVAL;
	}
	return rc;
}

static int text_line(struct text_decoder *d, struct text_out *o)
{
	while (d->plen && (d->part[d->plen - 1] == '\r'))
		d->plen--;
	d->part[d->plen] = '\0';
	if (!d->plen)
		return 0;
	/* Line noise: the NUL would end the line early, silently. */
	if (memchr(d->part, '\0', d->plen))
		return -EINVAL;
	return d->csv ? csv_line(d, o, d->part) : kv_line(o, d->part);
}

static int text_decode(struct decoder *base, const struct m2mgw_rec *rec,
		       decode_emit_fn emit, void *ctx)
{
	struct text_decoder *d = (struct text_decoder *)base;
	uint32_t plen = (rec->len & M2MGW_REC_LEN_MASK) - M2MGW_REC_HDR_LEN;
	const char *p = (const char *)rec->data, *end = p + plen;
	struct text_out o = {
		.s = { .tstamp_ns = rec->tstamp_ns, .seq = rec->seq },
		.emit = emit,
		.ctx = ctx,
	};
	int err = 0;

	if (rec->type != M2MGW_REC_SERIAL)
		return 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = (nl ? nl : end) - p;

		if (d->overflow || d->plen + n >= sizeof(d->part)) {
			d->overflow = !nl;
			d->plen = 0;
			if (nl)
				err = -EINVAL;
		} else {
			memcpy(d->part + d->plen, p, n);
			d->plen += n;
			if (nl) {
				if (text_line(d, &o))
					err = -EINVAL;
				d->plen = 0;
			}
		}
		p += n + (nl != NULL);
	}
	return err ? err : o.n;
}

static void text_destroy(struct decoder *d)
{
	free(d);
}

const struct decoder_ops decoder_text = {
	.name = "text",
	.port_types = 1 << M2MGW_PORT_SERIAL,
	.validate = text_validate,
	.create = text_create,
	.decode = text_decode,
	.destroy = text_destroy,
};
