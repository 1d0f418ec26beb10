// SPDX-License-Identifier: GPL-2.0
/*
 * The .dbc parser (see dbc.h for what it understands).  The file is read
 * whole; top-level keywords are dispatched one by one.  BO_ and SG_ are
 * one line each; the other statements end with ';' and may span lines
 * (comments with newlines), so they are cut out as one piece.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dbc.h"

struct parser {
	const char *file;
	FILE *err;
	int errors;
	int line; /* of the statement being parsed */
	struct dbc *db;
	int cur; /* index of the message SG_ lines belong to */
};

/* A cursor over one statement's text. */
struct cur {
	const char *p, *end;
};

static void perr(struct parser *ps, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(ps->err, "%s:%d: ", ps->file, line);
	va_start(ap, fmt);
	vfprintf(ps->err, fmt, ap);
	va_end(ap);
	fputc('\n', ps->err);
	ps->errors++;
}

static void ws(struct cur *c)
{
	while (c->p < c->end && isspace((unsigned char)*c->p))
		c->p++;
}

static bool lit(struct cur *c, char ch)
{
	ws(c);
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return true;
	}
	return false;
}

static bool at_end(struct cur *c)
{
	ws(c);
	return c->p >= c->end;
}

/* An identifier ([A-Za-z_][A-Za-z0-9_]*), malloc'ed, or NULL. */
static char *ident(struct cur *c)
{
	const char *s;

	ws(c);
	s = c->p;
	if (s >= c->end || !(isalpha((unsigned char)*s) || *s == '_'))
		return NULL;
	while (c->p < c->end && (isalnum((unsigned char)*c->p) || *c->p == '_'))
		c->p++;
	return strndup(s, c->p - s);
}

static bool num_u(struct cur *c, unsigned long long *v)
{
	char *e;

	ws(c);
	if (c->p >= c->end || !isdigit((unsigned char)*c->p))
		return false;
	errno = 0;
	*v = strtoull(c->p, &e, 10);
	if (errno || e > c->end)
		return false;
	c->p = e;
	return true;
}

static bool num_s(struct cur *c, long long *v)
{
	char *e;

	ws(c);
	if (c->p >= c->end ||
	    !(isdigit((unsigned char)*c->p) || *c->p == '-' || *c->p == '+'))
		return false;
	errno = 0;
	*v = strtoll(c->p, &e, 10);
	if (errno || e == c->p || e > c->end)
		return false;
	c->p = e;
	return true;
}

static bool num_d(struct cur *c, double *v)
{
	char *e;

	ws(c);
	if (c->p >= c->end)
		return false;
	*v = strtod(c->p, &e);
	if (e == c->p || e > c->end)
		return false;
	c->p = e;
	return true;
}

/* A "quoted string" (no escapes in DBC), malloc'ed, or NULL. */
static char *qstr(struct cur *c)
{
	const char *s, *q;

	if (!lit(c, '"'))
		return NULL;
	s = c->p;
	q = memchr(s, '"', c->end - s);
	if (!q)
		return NULL;
	c->p = q + 1;
	return strndup(s, q - s);
}

/* Find message @id/@ext among those parsed so far (not yet sorted). */
static struct dbc_msg *msg_by_id(struct dbc *db, uint32_t id, bool ext)
{
	for (size_t i = 0; i < db->nmsgs; i++)
		if (db->msgs[i].id == id && db->msgs[i].ext == ext)
			return &db->msgs[i];
	return NULL;
}

/* A DBC message id: bit 31 marks a 29-bit id. */
static bool parse_id(struct parser *ps, struct cur *c, uint32_t *id, bool *ext)
{
	unsigned long long v;

	if (!num_u(c, &v) || v > 0xffffffffULL) {
		perr(ps, ps->line, "expected a message id");
		return false;
	}
	*ext = v & 0x80000000U;
	*id = v & 0x7fffffffU;
	if (*ext && *id > 0x1fffffffU) {
		perr(ps, ps->line, "extended id 0x%llx has bits above 28 set",
		     v);
		return false;
	}
	if (!*ext && *id > 0x7ff) {
		perr(ps, ps->line,
		     "id %llu is above 0x7ff without the extended bit (0x80000000)",
		     v);
		return false;
	}
	return true;
}

static void parse_bo(struct parser *ps, struct cur *c)
{
	struct dbc_msg m = { .mux_sig = -1, .line = ps->line }, *nm;
	unsigned long long dlc, v;
	struct cur peek = *c;
	char *name;

	ps->cur = -1;
	/* Vector's container for signals of no message: never on the bus. */
	if (num_u(&peek, &v) && (name = ident(&peek))) {
		bool vector = !strcmp(name, "VECTOR__INDEPENDENT_SIG_MSG");

		free(name);
		if (vector) {
			ps->cur = -2;
			return;
		}
	}
	if (!parse_id(ps, c, &m.id, &m.ext))
		return;
	m.name = ident(c);
	if (!m.name || !lit(c, ':') || !num_u(c, &dlc)) {
		perr(ps, ps->line, "BO_: expected \"BO_ id Name: dlc Sender\"");
		free(m.name);
		return;
	}
	if (dlc > 64) {
		perr(ps, ps->line, "BO_ %s: length %llu is above 64 bytes",
		     m.name, dlc);
		free(m.name);
		return;
	}
	m.dlc = dlc;
	if (msg_by_id(ps->db, m.id, m.ext)) {
		perr(ps, ps->line, "BO_ %s: id %s0x%x defined twice", m.name,
		     m.ext ? "extended " : "", m.id);
		free(m.name);
		return;
	}
	nm = realloc(ps->db->msgs, (ps->db->nmsgs + 1) * sizeof(*nm));
	if (!nm) {
		perr(ps, ps->line, "out of memory");
		free(m.name);
		return;
	}
	ps->db->msgs = nm;
	nm[ps->db->nmsgs] = m;
	ps->cur = ps->db->nmsgs++;
}

/* Highest bit number + 1 a signal touches (for the length check). */
static unsigned int sig_end(const struct dbc_signal *s)
{
	unsigned int pos = s->start;

	if (s->intel)
		return s->start + s->len;
	for (unsigned int i = 1; i < s->len; i++)
		pos = pos % 8 ? pos - 1 : pos + 15;
	/* The last (least significant) bit is in the highest byte. */
	return (pos / 8 + 1) * 8;
}

static bool parse_mux(struct parser *ps, const char *tok, struct dbc_signal *s)
{
	char *e;
	unsigned long v;

	if (!strcmp(tok, "M")) {
		s->mux = DBC_MUX_SWITCH;
		return true;
	}
	if (tok[0] == 'm' && isdigit((unsigned char)tok[1])) {
		v = strtoul(tok + 1, &e, 10);
		if (*e == 'M') {
			perr(ps, ps->line,
			     "SG_ %s: extended multiplexing (\"%s\") is not supported",
			     s->name, tok);
			return false;
		}
		if (!*e && v <= 0x7fffffff) {
			s->mux = v;
			return true;
		}
	}
	perr(ps, ps->line, "SG_ %s: bad multiplexer indicator \"%s\"", s->name,
	     tok);
	return false;
}

static bool sig_fields(struct parser *ps, struct cur *c, struct dbc_signal *s)
{
	unsigned long long start, len, order;
	char sign;

	if (!num_u(c, &start) || !lit(c, '|') || !num_u(c, &len) ||
	    !lit(c, '@') || !num_u(c, &order) || c->p >= c->end) {
		perr(ps, ps->line, "SG_ %s: expected start|length@order",
		     s->name);
		return false;
	}
	sign = *c->p++;
	if (order > 1 || (sign != '+' && sign != '-')) {
		perr(ps, ps->line,
		     "SG_ %s: byte order/sign must be @0/@1 and +/-, not @%llu%c",
		     s->name, order, sign);
		return false;
	}
	if (len < 1 || len > 64 || start > 511) {
		perr(ps, ps->line,
		     "SG_ %s: length %llu / start bit %llu out of range",
		     s->name, len, start);
		return false;
	}
	s->start = start;
	s->len = len;
	s->intel = order == 1;
	s->is_signed = sign == '-';
	if (!lit(c, '(') || !num_d(c, &s->factor) || !lit(c, ',') ||
	    !num_d(c, &s->offset) || !lit(c, ')') || !lit(c, '[') ||
	    !num_d(c, &s->min) || !lit(c, '|') || !num_d(c, &s->max) ||
	    !lit(c, ']')) {
		perr(ps, ps->line, "SG_ %s: expected (factor,offset) [min|max]",
		     s->name);
		return false;
	}
	if (s->factor == 0) {
		perr(ps, ps->line, "SG_ %s: factor 0", s->name);
		return false;
	}
	s->unit = qstr(c);
	if (!s->unit) {
		perr(ps, ps->line, "SG_ %s: expected \"unit\"", s->name);
		return false;
	}
	if (!s->unit[0]) {
		free(s->unit);
		s->unit = NULL;
	}
	return true;
}

static void parse_sg(struct parser *ps, struct cur *c)
{
	struct dbc_signal s = { .mux = DBC_MUX_NONE, .line = ps->line }, *ns;
	struct dbc_msg *m;
	char *tok;

	if (ps->cur == -2)
		return; /* a VECTOR__INDEPENDENT_SIG_MSG signal */
	if (ps->cur < 0) {
		perr(ps, ps->line,
		     "SG_ outside of a message (no valid BO_ before it)");
		return;
	}
	m = &ps->db->msgs[ps->cur];
	s.name = ident(c);
	if (!s.name) {
		perr(ps, ps->line, "SG_: expected a signal name");
		return;
	}
	if (!lit(c, ':')) {
		bool good;

		tok = ident(c);
		if (!tok) {
			perr(ps, ps->line, "SG_ %s: expected ':'", s.name);
			goto fail;
		}
		good = parse_mux(ps, tok, &s);
		free(tok);
		if (!good)
			goto fail;
		if (!lit(c, ':')) {
			perr(ps, ps->line, "SG_ %s: expected ':'", s.name);
			goto fail;
		}
	}
	if (!sig_fields(ps, c, &s))
		goto fail;
	if (sig_end(&s) > m->dlc * 8) {
		perr(ps, ps->line,
		     "SG_ %s: bits %u..%u do not fit in the %u bytes of %s",
		     s.name, s.start, sig_end(&s) - 1, m->dlc, m->name);
		goto fail;
	}
	if (dbc_find_signal(m, s.name)) {
		perr(ps, ps->line, "SG_ %s: defined twice in %s", s.name,
		     m->name);
		goto fail;
	}
	if (s.mux == DBC_MUX_SWITCH && m->mux_sig >= 0) {
		perr(ps, ps->line, "SG_ %s: %s already has a multiplexor (%s)",
		     s.name, m->name, m->sigs[m->mux_sig].name);
		goto fail;
	}
	if (asprintf(&s.qname, "%s.%s", m->name, s.name) < 0)
		goto fail;
	ns = realloc(m->sigs, (m->nsigs + 1) * sizeof(*ns));
	if (!ns) {
		free(s.qname);
		goto fail;
	}
	m->sigs = ns;
	if (s.mux == DBC_MUX_SWITCH)
		m->mux_sig = m->nsigs;
	ns[m->nsigs++] = s;
	return;
fail:
	free(s.name);
	free(s.unit);
}

static struct dbc_signal *sig_ref(struct parser *ps, struct cur *c,
				  const char *what)
{
	struct dbc_msg *m;
	uint32_t id;
	bool ext;
	char *name;
	struct dbc_signal *s;

	if (!parse_id(ps, c, &id, &ext))
		return NULL;
	name = ident(c);
	if (!name) {
		perr(ps, ps->line, "%s: expected a signal name", what);
		return NULL;
	}
	m = msg_by_id(ps->db, id, ext);
	s = m ? (struct dbc_signal *)dbc_find_signal(m, name) : NULL;
	if (!s)
		perr(ps, ps->line, "%s: no signal %s in message %s0x%x", what,
		     name, ext ? "extended " : "", id);
	free(name);
	return s;
}

static void parse_val(struct parser *ps, struct cur *c)
{
	struct dbc_signal *s;
	struct dbc_val *nv;
	long long raw;
	char *desc;

	ws(c);
	if (c->p < c->end && !isdigit((unsigned char)*c->p))
		return; /* VAL_ of an environment variable */
	s = sig_ref(ps, c, "VAL_");
	if (!s)
		return;
	while (!at_end(c)) {
		if (!num_s(c, &raw) || !(desc = qstr(c))) {
			perr(ps, ps->line,
			     "VAL_ %s: expected pairs of number \"text\"",
			     s->name);
			return;
		}
		nv = realloc(s->vals, (s->nvals + 1) * sizeof(*nv));
		if (!nv) {
			free(desc);
			return;
		}
		s->vals = nv;
		nv[s->nvals++] = (struct dbc_val){ raw, desc };
	}
}

static void parse_valtype(struct parser *ps, struct cur *c)
{
	struct dbc_signal *s = sig_ref(ps, c, "SIG_VALTYPE_");
	unsigned long long t;

	if (!s)
		return;
	if (!lit(c, ':') || !num_u(c, &t) || t > 2 || !at_end(c)) {
		perr(ps, ps->line, "SIG_VALTYPE_ %s: expected \": 0|1|2\"",
		     s->name);
		return;
	}
	if ((t == 1 && s->len != 32) || (t == 2 && s->len != 64)) {
		perr(ps, ps->line,
		     "SIG_VALTYPE_ %s: a %s needs %d bits, the signal has %u",
		     s->name, t == 1 ? "float" : "double", t == 1 ? 32 : 64,
		     s->len);
		return;
	}
	s->valtype = t;
}

/* Statements skipped whole: comments and attributes change no value. */
static const char *const skipped[] = {
	"CM_",
	"BA_DEF_",
	"BA_DEF_DEF_",
	"BA_",
	"BA_DEF_REL_",
	"BA_REL_",
	"BA_DEF_DEF_REL_",
	"BA_DEF_SGTYPE_",
	"BA_SGTYPE_",
	"VAL_TABLE_",
	"BO_TX_BU_",
	"EV_",
	"ENVVAR_DATA_",
	"SGTYPE_",
	"SGTYPE_VAL_",
	"SIG_GROUP_",
	"SIG_TYPE_REF_",
	"CAT_DEF_",
	"CAT_",
	"FILTER",
	"SIG_TYPE_REF_",
	NULL,
};

static bool is_skipped(const char *kw)
{
	for (const char *const *s = skipped; *s; s++)
		if (!strcmp(*s, kw))
			return true;
	return false;
}

/* End of a ';'-terminated statement from @p (quotes respected). */
static const char *stmt_end(const char *p, const char *end)
{
	bool q = false;

	for (; p < end; p++) {
		if (*p == '"')
			q = !q;
		else if (*p == ';' && !q)
			return p;
	}
	return NULL;
}

static int count_nl(const char *a, const char *b)
{
	int n = 0;

	for (; a < b; a++)
		n += *a == '\n';
	return n;
}

static void parse_text(struct parser *ps, const char *p, const char *end)
{
	int line = 1;

	while (p < end) {
		const char *kw, *eol, *se;
		char word[32];
		size_t n;
		struct cur c;

		while (p < end && isspace((unsigned char)*p))
			line += *p++ == '\n';
		if (p >= end)
			break;
		eol = memchr(p, '\n', end - p);
		if (!eol)
			eol = end;
		ps->line = line;
		if (p + 1 < end && p[0] == '/' && p[1] == '/') {
			p = eol;
			continue;
		}
		kw = p;
		while (p < eol && !isspace((unsigned char)*p) && *p != ':')
			p++;
		n = p - kw;
		snprintf(word, sizeof(word), "%.*s", (int)n, kw);
		c = (struct cur){ p, eol };
		if (!strcmp(word, "BO_")) {
			parse_bo(ps, &c);
		} else if (!strcmp(word, "SG_")) {
			parse_sg(ps, &c);
		} else if (!strcmp(word, "NS_")) {
			/* Its list is indented: skip to the next line that is not. */
			while (eol < end && eol + 1 < end &&
			       (eol[1] == ' ' || eol[1] == '\t' ||
				eol[1] == '\r' || eol[1] == '\n')) {
				const char *nx =
					memchr(eol + 1, '\n', end - eol - 1);

				line++;
				eol = nx ? nx : end;
			}
		} else if (!strcmp(word, "VERSION") || !strcmp(word, "BS_") ||
			   !strcmp(word, "BU_")) {
			/* names only */
		} else if (!strcmp(word, "VAL_") ||
			   !strcmp(word, "SIG_VALTYPE_") || is_skipped(word)) {
			se = stmt_end(p, end);
			if (!se) {
				perr(ps, line,
				     "%s: no ';' before the end of the file",
				     word);
				return;
			}
			c = (struct cur){ p, se };
			if (!strcmp(word, "VAL_"))
				parse_val(ps, &c);
			else if (!strcmp(word, "SIG_VALTYPE_"))
				parse_valtype(ps, &c);
			line += count_nl(kw, se);
			p = se + 1;
			continue;
		} else if (!strcmp(word, "SG_MUL_VAL_")) {
			perr(ps, line,
			     "extended multiplexing (SG_MUL_VAL_) is not supported");
		} else {
			perr(ps, line, "unknown keyword \"%s\"", word);
		}
		p = eol;
	}
}

static int msg_cmp(const void *a, const void *b)
{
	const struct dbc_msg *x = a, *y = b;
	uint64_t kx = (uint64_t)x->ext << 32 | x->id;
	uint64_t ky = (uint64_t)y->ext << 32 | y->id;

	return kx < ky ? -1 : kx > ky;
}

static void check_mux(struct parser *ps)
{
	for (size_t i = 0; i < ps->db->nmsgs; i++) {
		struct dbc_msg *m = &ps->db->msgs[i];

		for (size_t j = 0; j < m->nsigs; j++)
			if (m->sigs[j].mux >= 0 && m->mux_sig < 0)
				perr(ps, m->sigs[j].line,
				     "SG_ %s: multiplexed (m%d) but %s has no multiplexor (M)",
				     m->sigs[j].name, m->sigs[j].mux, m->name);
	}
}

struct dbc *dbc_load(const char *path, FILE *err)
{
	struct parser ps = { .file = path, .err = err, .cur = -1 };
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	const char *text;
	size_t cap = 0, n;
	ssize_t got;

	if (!f) {
		fprintf(err, "%s: %s\n", path, strerror(errno));
		return NULL;
	}
	ps.db = calloc(1, sizeof(*ps.db));
	/* The whole file up to a NUL byte, which no DBC text has; an empty
	 * file is read as "" (getdelim() says -1 without an error). */
	got = ps.db ? getdelim(&buf, &cap, '\0', f) : -1;
	if (!ps.db || (got < 0 && ferror(f))) {
		fprintf(err, "%s: cannot read: %s\n", path, strerror(errno));
		fclose(f);
		free(buf);
		dbc_free(ps.db);
		return NULL;
	}
	n = got > 0 ? strlen(buf) : 0;
	fclose(f);
	if (got > 0 && (size_t)got > n) {
		int line = 1;

		for (size_t i = 0; i < n; i++)
			line += buf[i] == '\n';
		perr(&ps, line, "NUL byte: not a DBC text file");
		n = 0;
	}
	text = n ? buf : "";
	parse_text(&ps, text, text + n);
	free(buf);
	check_mux(&ps);
	if (!ps.errors && !ps.db->nmsgs)
		perr(&ps, 1, "no messages (BO_) in the file");
	if (ps.errors) {
		dbc_free(ps.db);
		return NULL;
	}
	qsort(ps.db->msgs, ps.db->nmsgs, sizeof(*ps.db->msgs), msg_cmp);
	return ps.db;
}

void dbc_free(struct dbc *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->nmsgs; i++) {
		struct dbc_msg *m = &db->msgs[i];

		for (size_t j = 0; j < m->nsigs; j++) {
			struct dbc_signal *s = &m->sigs[j];

			for (size_t k = 0; k < s->nvals; k++)
				free(s->vals[k].desc);
			free(s->vals);
			free(s->name);
			free(s->qname);
			free(s->unit);
		}
		free(m->sigs);
		free(m->name);
	}
	free(db->msgs);
	free(db);
}

const struct dbc_msg *dbc_find_id(const struct dbc *db, uint32_t id, bool ext)
{
	struct dbc_msg key = { .id = id, .ext = ext };

	return bsearch(&key, db->msgs, db->nmsgs, sizeof(key), msg_cmp);
}

const struct dbc_msg *dbc_find_name(const struct dbc *db, const char *name)
{
	for (size_t i = 0; i < db->nmsgs; i++)
		if (!strcmp(db->msgs[i].name, name))
			return &db->msgs[i];
	return NULL;
}

const struct dbc_signal *dbc_find_signal(const struct dbc_msg *m,
					 const char *name)
{
	for (size_t i = 0; i < m->nsigs; i++)
		if (!strcmp(m->sigs[i].name, name))
			return &m->sigs[i];
	return NULL;
}
