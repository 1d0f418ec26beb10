// SPDX-License-Identifier: GPL-2.0
/*
 * Config file parsing and validation (see config.h for the sections).
 *
 * libinih does the INI syntax.  Debian builds it without
 * INI_HANDLER_LINENO, so line numbers come from our own reader callback
 * (ini_parse_stream calls it once per line, before the handler for that
 * line); the reader also sees section headers, so a section with no keys
 * still exists and duplicates are caught.
 *
 * Keys are described by one table per section kind: the parser stores
 * typed values at offsets, checks ranges, and reports every problem as
 * "file:line: message".  Cross-references (rule -> port, rule -> output,
 * port -> decoder) are checked after the whole file is read.
 */
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "decode.h"
#include "encode.h"
#include "log.h"

#include "config_int.h"

struct parse_state {
	struct agent_conf *c;
	const char *file;
	FILE *in, *err;
	char *lbuf; /* conf_reader's getline() buffer */
	size_t lcap;
	int line;
	int errors;
	enum sect sect;
	void *obj; /* struct being filled */
	int sect_line;
	char seen[64];		  /* keys seen in this section (by index) */
	char singles_seen[S_BAD]; /* [agent], [source], [spool] */
};

static const char *const sect_names[] = {
	[S_AGENT] = "agent", [S_SOURCE] = "source", [S_SPOOL] = "spool",
	[S_PORT] = "port",   [S_RULE] = "rule",	    [S_OUTPUT] = "output"
};

static void perr(struct parse_state *ps, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void perr(struct parse_state *ps, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(ps->err, "%s:%d: ", ps->file, line);
	va_start(ap, fmt);
	vfprintf(ps->err, fmt, ap);
	va_end(ap);
	fputc('\n', ps->err);
	ps->errors++;
}

/* Integer fields are 32 bits wide, except the 64-bit spool sizes. */
static void store_uint(void *obj, const struct key_desc *d, uint64_t v)
{
	void *p = (char *)obj + d->off;

	if (d->type == K_SIZE && d->off != A(ring_size))
		*(uint64_t *)p = v;
	else
		*(uint32_t *)p = (uint32_t)v;
}

static void set_key(struct parse_state *ps, const struct key_desc *d,
		    const char *value)
{
	void *p = (char *)ps->obj + d->off;
	const char *what = NULL;
	uint64_t u;
	double dv;
	bool b;

	switch (d->type) {
	case K_STR:
		if (!*value) {
			what = "a non-empty string";
			break;
		}
		free(*(char **)p);
		*(char **)p = strdup(value);
		break;
	case K_BOOL:
		if (conf_parse_bool(value, &b))
			what = "yes or no";
		else
			*(bool *)p = b;
		break;
	case K_DUR:
		if (conf_parse_duration(value, &dv))
			what = "a duration (e.g. 10s, 500ms, 2m)";
		else
			*(double *)p = dv;
		break;
	case K_DOUBLE: {
		char *end;

		errno = 0;
		dv = strtod(value, &end);
		if (end == value || *end || errno || !isfinite(dv) || dv < 0)
			what = "a non-negative number";
		else
			*(double *)p = dv;
		break;
	}
	case K_SIZE:
		if (conf_parse_size(value, &u) || u < d->min || u > d->max) {
			perr(ps, ps->line,
			     "%s: \"%s\" is not a size in %llu..%llu (suffix k, M, G allowed)",
			     d->key, value, (unsigned long long)d->min,
			     (unsigned long long)d->max);
			return;
		}
		if (d->off == A(ring_size) && (u & (u - 1))) {
			perr(ps, ps->line, "%s: %s is not a power of two",
			     d->key, value);
			return;
		}
		store_uint(ps->obj, d, u);
		break;
	case K_UINT:
		if (conf_parse_uint(value, d->max, &u) || u < d->min) {
			perr(ps, ps->line,
			     "%s: \"%s\" is not an integer in %llu..%llu",
			     d->key, value, (unsigned long long)d->min,
			     (unsigned long long)d->max);
			return;
		}
		store_uint(ps->obj, d, u);
		break;
	case K_ENUM: {
		const struct enum_val *e;
		char list[256] = "";

		for (e = d->enums; e->name; e++) {
			if (!strcmp(e->name, value)) {
				store_uint(ps->obj, d, (uint64_t)e->value);
				return;
			}
			if (list[0])
				strcat(list, ", ");
			strcat(list, e->name);
		}
		perr(ps, ps->line, "%s: \"%s\" is not one of %s", d->key, value,
		     list);
		return;
	}
	case K_STATS:
		if (conf_parse_stats(value, (unsigned int *)p))
			what = "a list of last, min, max, mean, count";
		break;
	case K_FILTERS: {
		struct port_conf *pc = ps->obj;
		int rc = conf_parse_filters(value, pc->filters, &pc->nfilters);

		if (rc == -E2BIG)
			perr(ps, ps->line, "filters: more than %d filters",
			     M2MGW_MAX_FILTERS);
		else if (rc)
			what = "CAN filters ID[:MASK] in hex, ~ to invert";
		break;
	}
	case K_HEADER:
		if (conf_add_header((struct conf_kv **)p, value, ps->line))
			what = "a header \"Name: value\"";
		break;
	case K_LOGLEVEL: {
		int l = log_level_parse(value);

		if (l < 0)
			what = "error, warn, notice, info or debug";
		else
			*(int *)p = l;
		break;
	}
	}
	if (what)
		perr(ps, ps->line, "%s: \"%s\" is not %s", d->key, value, what);
}

/* Append @obj (whose first member is the next pointer) to list @head. */
static void list_append(void *head, void *obj)
{
	void **pp = head;

	while (*pp)
		pp = *pp;
	*pp = obj;
}

static bool name_valid(const char *n)
{
	if (!*n || strlen(n) >= M2MGW_NAME_MAX)
		return false;
	for (; *n; n++)
		if (!(*n == '-' || *n == '_' || *n == '.' ||
		      (*n >= '0' && *n <= '9') || (*n >= 'a' && *n <= 'z') ||
		      (*n >= 'A' && *n <= 'Z')))
			return false;
	return true;
}

/* A "[...]" line: start a section. */
static void begin_section(struct parse_state *ps, char *hdr)
{
	struct agent_conf *c = ps->c;
	char *name = strchr(hdr, ' ');
	enum sect s = S_BAD;

	if (name) {
		*name++ = '\0';
		while (*name == ' ')
			name++;
	}
	for (int i = S_AGENT; i < S_BAD; i++)
		if (!strcmp(hdr, sect_names[i]))
			s = i;
	ps->sect = s;
	ps->sect_line = ps->line;
	ps->obj = NULL;
	memset(ps->seen, 0, sizeof(ps->seen));
	if (s == S_BAD) {
		perr(ps, ps->line, "unknown section [%s]", hdr);
		return;
	}
	if (s <= S_SPOOL) {
		if (name && *name) {
			perr(ps, ps->line, "[%s] takes no name", hdr);
			ps->sect = S_BAD;
			return;
		}
		if (ps->singles_seen[s])
			perr(ps, ps->line, "duplicate section [%s]", hdr);
		ps->singles_seen[s] = 1;
		ps->obj = c;
		return;
	}
	if (!name || !name_valid(name)) {
		perr(ps, ps->line,
		     "[%s NAME]: name missing or invalid (letters, digits, - _ . and at most %d characters)",
		     hdr, M2MGW_NAME_MAX - 1);
		ps->sect = S_BAD;
		return;
	}
	if (s == S_PORT) {
		struct port_conf *pc;

		if (conf_port(c, name))
			perr(ps, ps->line, "duplicate section [port %s]", name);
		pc = calloc(1, sizeof(*pc));
		pc->name = strdup(name);
		pc->line = ps->line;
		pc->type = M2MGW_PORT_NONE;
		pc->create = true;
		pc->baud = 115200;
		pc->data_bits = 8;
		pc->stop_bits = 1;
		pc->maxlen = 256;
		list_append(&c->ports, pc);
		ps->obj = pc;
	} else if (s == S_RULE) {
		struct rule_conf *rc;

		if (conf_rule(c, name))
			perr(ps, ps->line, "duplicate section [rule %s]", name);
		rc = calloc(1, sizeof(*rc));
		rc->name = strdup(name);
		rc->line = ps->line;
		rc->stats = STAT_LAST;
		list_append(&c->rules, rc);
		ps->obj = rc;
	} else {
		struct output_conf *oc;

		if (conf_output(c, name))
			perr(ps, ps->line, "duplicate section [output %s]",
			     name);
		oc = calloc(1, sizeof(*oc));
		oc->name = strdup(name);
		oc->line = ps->line;
		oc->type = OUT_MQTT;
		oc->encoding = ENC_JSON;
		oc->port = 1883;
		oc->protocol = 4;
		oc->qos = 1;
		oc->keepalive = 30;
		oc->backoff_min = 1;
		oc->backoff_max = 60;
		oc->max_inflight = 100;
		oc->replay_rate = 100;
		oc->timeout = 10;
		oc->connect_timeout = 5;
		oc->batch_max = 100;
		oc->batch_bytes = 256 << 10;
		oc->max_requests = 1;
		list_append(&c->outputs, oc);
		ps->obj = oc;
	}
}

/*
 * ini_reader: one line per call; counts lines, spots section headers.
 * A line libinih has no room for (@size) or one with a NUL byte is an
 * error here: with fgets() the rest of a long line came back as a line
 * of its own (a 600-character header value was "syntax error" on the
 * next line), and a NUL silently cut a value short.
 */
static char *conf_reader(char *buf, int size, void *stream)
{
	struct parse_state *ps = stream;
	char *s, *end;
	ssize_t n = getline(&ps->lbuf, &ps->lcap, ps->in);

	if (n < 0)
		return NULL;
	ps->line++;
	if ((size_t)n != strlen(ps->lbuf)) {
		perr(ps, ps->line, "NUL byte in the line (not a text file?)");
		n = 0;
	} else if (n >= size) {
		perr(ps, ps->line, "line longer than %d characters", size - 2);
		n = 0;
	}
	memcpy(buf, ps->lbuf, (size_t)n);
	buf[n] = '\0';
	for (s = buf; *s == ' ' || *s == '\t'; s++)
		;
	if (*s == '[') {
		end = strchr(s, ']');
		if (end) {
			char hdr[256];
			size_t n = (size_t)(end - s - 1);

			if (n >= sizeof(hdr))
				n = sizeof(hdr) - 1;
			memcpy(hdr, s + 1, n);
			hdr[n] = '\0';
			begin_section(ps, hdr);
		}
	}
	return buf;
}

static int conf_handler(void *user, const char *section, const char *key,
			const char *value)
{
	struct parse_state *ps = user;
	const struct key_desc *keys = conf_sect_keys(ps->sect), *d;
	int idx;

	(void)section;
	if (ps->sect == S_BAD)
		return 1; /* already reported */
	if (ps->sect == S_NONE) {
		perr(ps, ps->line, "key \"%s\" outside of any section", key);
		return 1;
	}
	for (d = keys, idx = 0; d->key && strcmp(d->key, key); d++, idx++)
		;
	if (!d->key) {
		if (ps->sect == S_PORT) {
			struct port_conf *pc = ps->obj;
			struct conf_kv *kv = calloc(1, sizeof(*kv));

			kv->key = strdup(key);
			kv->value = strdup(value);
			kv->line = ps->line;
			list_append(strncmp(key, "downlink_", 9) ?
					    &pc->opts :
					    &pc->downlink,
				    kv);
			return 1;
		}
		perr(ps, ps->line, "unknown key \"%s\" in [%s]", key,
		     sect_names[ps->sect]);
		return 1;
	}
	/* [agent]/[source]/[spool] share one struct: index by table. */
	if (ps->seen[idx] && d->type != K_HEADER) {
		perr(ps, ps->line, "duplicate key \"%s\"", key);
		return 1;
	}
	ps->seen[idx] = 1;
	if (ps->sect == S_PORT && d->type == K_STR && d->off == P(decoder))
		((struct port_conf *)ps->obj)->decoder_line = ps->line;
	if (ps->sect == S_PORT &&
	    (d->off == P(framing) || d->off == P(framing_arg) ||
	     d->off == P(maxlen)))
		((struct port_conf *)ps->obj)->framing_given = true;
	if (ps->sect == S_OUTPUT && d->off == O(url))
		((struct output_conf *)ps->obj)->url_line = ps->line;
	if (ps->sect == S_OUTPUT && d->off == O(bearer_token_file))
		((struct output_conf *)ps->obj)->bearer_token_file_line =
			ps->line;
	set_key(ps, d, value);
	return 1;
}

struct agent_conf *conf_load(const char *path, FILE *err)
{
	struct parse_state ps = { .file = path, .err = err };
	struct agent_conf *c = calloc(1, sizeof(*c));
	int rc;

	c->file = strdup(path);
	c->log_level = LOG_LVL_INFO;
	c->stall_timeout = 30;
	c->drain_timeout = 5;
	c->source = SRC_RING;
	c->ring_size = 1U << 20;
	c->ring_batch = 256;
	c->replay_speed = 1;
	c->spool_dir = strdup("/var/lib/m2mgw/spool");
	c->spool_max = 64ULL << 20;
	c->spool_segment = 1ULL << 20;
	c->spool_policy = SPOOL_DROP_OLDEST;
	c->spool_batch = 64;
	c->spool_flush = 0.05;
	ps.c = c;
	ps.in = fopen(path, "r");
	if (!ps.in) {
		fprintf(err, "%s:0: cannot open: %s\n", path, strerror(errno));
		conf_free(c);
		return NULL;
	}
	rc = ini_parse_stream(conf_reader, &ps, conf_handler, &ps);
	fclose(ps.in);
	free(ps.lbuf);
	if (rc > 0)
		perr(&ps, rc,
		     "syntax error (expected [section] or key = value)");
	else if (rc < 0)
		perr(&ps, 0, "cannot parse (out of memory)");
	ps.errors += conf_check(c, path, err);
	if (ps.errors) {
		conf_free(c);
		return NULL;
	}
	return c;
}

static void free_kvs(struct conf_kv *kv)
{
	while (kv) {
		struct conf_kv *next = kv->next;

		free(kv->key);
		free(kv->value);
		free(kv);
		kv = next;
	}
}

static void free_port(struct port_conf *pc)
{
	free_kvs(pc->opts);
	free_kvs(pc->downlink);
	free(pc->name);
	free(pc->ifname);
	free(pc->tty);
	free(pc->decoder);
	free(pc);
}

void conf_free(struct agent_conf *c)
{
	if (!c)
		return;
	while (c->ports) {
		struct port_conf *pc = c->ports;

		c->ports = pc->next;
		free_port(pc);
	}
	while (c->rules) {
		struct rule_conf *rc = c->rules;

		c->rules = rc->next;
		free(rc->name);
		free(rc->port);
		free(rc->signal);
		free(rc->output);
		free(rc);
	}
	while (c->outputs) {
		struct output_conf *oc = c->outputs;

		c->outputs = oc->next;
		free(oc->name);
		free(oc->topic);
		free(oc->host);
		free(oc->client_id);
		free(oc->username);
		free(oc->password);
		free(oc->tls_ca);
		free(oc->tls_cert);
		free(oc->tls_key);
		free(oc->status_topic);
		free(oc->url);
		free(oc->bearer_token);
		free(oc->bearer_token_file);
		free_kvs(oc->headers);
		free(oc->command_topic);
		free(oc->command_result_topic);
		free(oc);
	}
	free(c->file);
	free(c->metrics_listen);
	free(c->replay_file);
	free(c->spool_dir);
	free(c);
}
