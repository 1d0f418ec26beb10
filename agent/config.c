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

enum sect { S_NONE, S_AGENT, S_SOURCE, S_SPOOL, S_PORT, S_RULE, S_OUTPUT,
	    S_BAD };

enum ktype { K_STR, K_BOOL, K_DUR, K_SIZE, K_UINT, K_ENUM, K_DOUBLE,
	     K_STATS, K_FILTERS, K_LOGLEVEL };

struct enum_val {
	const char *name;
	int value;
};

struct key_desc {
	const char *key;
	enum ktype type;
	size_t off;
	uint64_t min, max;		/* K_UINT, K_SIZE */
	const struct enum_val *enums;	/* K_ENUM */
};

static const struct enum_val src_types[] = {
	{ "ring", SRC_RING }, { "replay", SRC_REPLAY }, { NULL, 0 } };
static const struct enum_val policies[] = {
	{ "drop-oldest", SPOOL_DROP_OLDEST },
	{ "stop-accepting", SPOOL_STOP_ACCEPTING }, { NULL, 0 } };
static const struct enum_val port_types[] = {
	{ "can", M2MGW_PORT_CAN }, { "serial", M2MGW_PORT_SERIAL },
	{ NULL, 0 } };
static const struct enum_val parities[] = {
	{ "none", M2MGW_PARITY_NONE }, { "even", M2MGW_PARITY_EVEN },
	{ "odd", M2MGW_PARITY_ODD }, { NULL, 0 } };
static const struct enum_val framings[] = {
	{ "raw", M2MGW_FRAMING_RAW }, { "delimiter", M2MGW_FRAMING_DELIMITER },
	{ "gap", M2MGW_FRAMING_GAP }, { "modbus-rtu", M2MGW_FRAMING_MODBUS_RTU },
	{ "fixed", M2MGW_FRAMING_FIXED }, { NULL, 0 } };
static const struct enum_val out_types[] = {
	{ "mqtt", OUT_MQTT }, { NULL, 0 } };
static const struct enum_val encodings[] = {
	{ "json", ENC_JSON }, { "senml", ENC_SENML }, { NULL, 0 } };
static const struct enum_val protocols[] = {
	{ "3.1.1", 4 }, { "5", 5 }, { NULL, 0 } };

#define A(f) offsetof(struct agent_conf, f)
#define P(f) offsetof(struct port_conf, f)
#define R(f) offsetof(struct rule_conf, f)
#define O(f) offsetof(struct output_conf, f)

static const struct key_desc agent_keys[] = {
	{ .key = "log_level", .type = K_LOGLEVEL, .off = A(log_level) },
	{ .key = "metrics_listen", .type = K_STR, .off = A(metrics_listen) },
	{ .key = "stall_timeout", .type = K_DUR, .off = A(stall_timeout) },
	{ .key = "drain_timeout", .type = K_DUR, .off = A(drain_timeout) },
	{ .key = NULL } };
static const struct key_desc source_keys[] = {
	{ .key = "type", .type = K_ENUM, .off = A(source), .enums = src_types },
	{ .key = "ring_size", .type = K_SIZE, .off = A(ring_size), .min = M2MGW_RING_MIN, .max = M2MGW_RING_MAX },
	{ .key = "batch", .type = K_UINT, .off = A(ring_batch), .min = 1, .max = 65536 },
	{ .key = "file", .type = K_STR, .off = A(replay_file) },
	{ .key = "speed", .type = K_DOUBLE, .off = A(replay_speed) },
	{ .key = "loop", .type = K_BOOL, .off = A(replay_loop) },
	{ .key = NULL } };
static const struct key_desc spool_keys[] = {
	{ .key = "dir", .type = K_STR, .off = A(spool_dir) },
	{ .key = "max_size", .type = K_SIZE, .off = A(spool_max), .min = 4096, .max = UINT64_MAX },
	{ .key = "segment_size", .type = K_SIZE, .off = A(spool_segment), .min = 1024, .max = 1ULL << 30 },
	{ .key = "policy", .type = K_ENUM, .off = A(spool_policy), .enums = policies },
	{ .key = "batch", .type = K_UINT, .off = A(spool_batch), .min = 1, .max = 65536 },
	{ .key = "flush_interval", .type = K_DUR, .off = A(spool_flush) },
	{ .key = NULL } };
static const struct key_desc port_keys[] = {
	{ .key = "type", .type = K_ENUM, .off = P(type), .enums = port_types },
	{ .key = "create", .type = K_BOOL, .off = P(create) },
	{ .key = "ifname", .type = K_STR, .off = P(ifname) },
	{ .key = "filters", .type = K_FILTERS, .off = 0 },
	{ .key = "tty", .type = K_STR, .off = P(tty) },
	{ .key = "baud", .type = K_UINT, .off = P(baud), .min = 50, .max = 4000000 },
	{ .key = "data_bits", .type = K_UINT, .off = P(data_bits), .min = 5, .max = 8 },
	{ .key = "parity", .type = K_ENUM, .off = P(parity), .enums = parities },
	{ .key = "stop_bits", .type = K_UINT, .off = P(stop_bits), .min = 1, .max = 2 },
	{ .key = "framing", .type = K_ENUM, .off = P(framing), .enums = framings },
	{ .key = "framing_arg", .type = K_UINT, .off = P(framing_arg), .min = 0, .max = UINT32_MAX },
	{ .key = "maxlen", .type = K_UINT, .off = P(maxlen), .min = 1, .max = M2MGW_SERIAL_MAXLEN },
	{ .key = "decoder", .type = K_STR, .off = P(decoder) },
	{ .key = NULL } };
static const struct key_desc rule_keys[] = {
	{ .key = "port", .type = K_STR, .off = R(port) },
	{ .key = "signal", .type = K_STR, .off = R(signal) },
	{ .key = "period", .type = K_DUR, .off = R(period) },
	{ .key = "stats", .type = K_STATS, .off = R(stats) },
	{ .key = "deadband", .type = K_DOUBLE, .off = R(deadband) },
	{ .key = "on_change", .type = K_BOOL, .off = R(on_change) },
	{ .key = "output", .type = K_STR, .off = R(output) },
	{ .key = NULL } };
static const struct key_desc output_keys[] = {
	{ .key = "type", .type = K_ENUM, .off = O(type), .enums = out_types },
	{ .key = "encoding", .type = K_ENUM, .off = O(encoding), .enums = encodings },
	{ .key = "topic", .type = K_STR, .off = O(topic) },
	{ .key = "host", .type = K_STR, .off = O(host) },
	{ .key = "port", .type = K_UINT, .off = O(port), .min = 1, .max = 65535 },
	{ .key = "protocol", .type = K_ENUM, .off = O(protocol), .enums = protocols },
	{ .key = "client_id", .type = K_STR, .off = O(client_id) },
	{ .key = "username", .type = K_STR, .off = O(username) },
	{ .key = "password", .type = K_STR, .off = O(password) },
	{ .key = "tls_ca", .type = K_STR, .off = O(tls_ca) },
	{ .key = "tls_cert", .type = K_STR, .off = O(tls_cert) },
	{ .key = "tls_key", .type = K_STR, .off = O(tls_key) },
	{ .key = "tls_insecure", .type = K_BOOL, .off = O(tls_insecure) },
	{ .key = "qos", .type = K_UINT, .off = O(qos), .min = 0, .max = 1 },
	{ .key = "retain", .type = K_BOOL, .off = O(retain) },
	{ .key = "status_topic", .type = K_STR, .off = O(status_topic) },
	{ .key = "keepalive", .type = K_UINT, .off = O(keepalive), .min = 5, .max = 65535 },
	{ .key = "backoff_min", .type = K_DUR, .off = O(backoff_min) },
	{ .key = "backoff_max", .type = K_DUR, .off = O(backoff_max) },
	{ .key = "max_inflight", .type = K_UINT, .off = O(max_inflight), .min = 1, .max = 65535 },
	{ .key = "replay_rate", .type = K_DOUBLE, .off = O(replay_rate) },
	{ .key = NULL } };

struct parse_state {
	struct agent_conf *c;
	const char *file;
	FILE *in, *err;
	int line;
	int errors;
	enum sect sect;
	void *obj;		/* struct being filled */
	int sect_line;
	char seen[64];		/* keys seen in this section (by index) */
	char singles_seen[S_BAD]; /* [agent], [source], [spool] */
};

static const char *const sect_names[] = {
	[S_AGENT] = "agent", [S_SOURCE] = "source", [S_SPOOL] = "spool",
	[S_PORT] = "port", [S_RULE] = "rule", [S_OUTPUT] = "output" };

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

int conf_parse_bool(const char *s, bool *out)
{
	static const char *const t[] = { "yes", "true", "on", "1" };
	static const char *const f[] = { "no", "false", "off", "0" };

	for (int i = 0; i < 4; i++) {
		if (!strcasecmp(s, t[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, f[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

int conf_parse_duration(const char *s, double *out)
{
	static const struct { const char *sfx; double mul; } units[] = {
		{ "", 1 }, { "s", 1 }, { "ms", 1e-3 }, { "m", 60 },
		{ "h", 3600 } };
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !isfinite(v) || v < 0)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcmp(end, units[i].sfx)) {
			*out = v * units[i].mul;
			return 0;
		}
	}
	return -1;
}

int conf_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (*s == '-' || *s == '\0')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

int conf_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	if (*s == '-' || *s == '\0')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	if (*end) {
		const char *u = strchr("kMG", *end);

		if (!u || (end[1] && strcmp(end + 1, "iB") && strcmp(end + 1, "B")))
			return -1;
		shift = 10 * (int)(u - "kMG" + 1);
	}
	if (v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_stats(const char *s, unsigned int *out)
{
	static const struct enum_val names[] = {
		{ "last", STAT_LAST }, { "min", STAT_MIN }, { "max", STAT_MAX },
		{ "mean", STAT_MEAN }, { "count", STAT_COUNT }, { NULL, 0 } };
	char buf[128], *tok, *save;
	unsigned int m = 0;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save)) {
		const struct enum_val *e;

		for (e = names; e->name && strcmp(e->name, tok); e++)
			;
		if (!e->name)
			return -1;
		m |= e->value;
	}
	if (!m)
		return -1;
	*out = m;
	return 0;
}

/* "123", "123:7ff", "~123:7ff" (inverted), comma or space separated. */
static int parse_filters(struct parse_state *ps, struct port_conf *pc,
			 const char *s)
{
	char buf[1024], *tok, *save;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	pc->nfilters = 0;
	for (tok = strtok_r(buf, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save)) {
		struct can_filter *f;
		bool inv = *tok == '~';
		char *colon, *end;
		unsigned long id, mask;

		if (pc->nfilters == M2MGW_MAX_FILTERS) {
			perr(ps, ps->line, "more than %d filters",
			     M2MGW_MAX_FILTERS);
			return 0;
		}
		tok += inv;
		colon = strchr(tok, ':');
		id = strtoul(tok, &end, 16);
		if (end == tok || (colon ? end != colon : *end != '\0') ||
		    id > CAN_EFF_MASK)
			return -1;
		mask = id > CAN_SFF_MASK ? CAN_EFF_MASK : CAN_SFF_MASK;
		if (colon) {
			mask = strtoul(colon + 1, &end, 16);
			if (end == colon + 1 || *end || mask > CAN_EFF_MASK)
				return -1;
		}
		f = &pc->filters[pc->nfilters++];
		f->can_id = (canid_t)id | (id > CAN_SFF_MASK ? CAN_EFF_FLAG : 0) |
			    (inv ? CAN_INV_FILTER : 0);
		f->can_mask = (canid_t)mask | CAN_EFF_FLAG;
	}
	return pc->nfilters ? 0 : -1;
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
			perr(ps, ps->line, "%s: \"%s\" is not a size in %llu..%llu (suffix k, M, G allowed)",
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
			perr(ps, ps->line, "%s: \"%s\" is not an integer in %llu..%llu",
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
		if (parse_stats(value, (unsigned int *)p))
			what = "a list of last, min, max, mean, count";
		break;
	case K_FILTERS:
		if (parse_filters(ps, ps->obj, value))
			what = "CAN filters ID[:MASK] in hex, ~ to invert";
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

static const struct key_desc *sect_keys(enum sect s)
{
	switch (s) {
	case S_AGENT: return agent_keys;
	case S_SOURCE: return source_keys;
	case S_SPOOL: return spool_keys;
	case S_PORT: return port_keys;
	case S_RULE: return rule_keys;
	case S_OUTPUT: return output_keys;
	default: return NULL;
	}
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

static void *named_find(void *list, size_t name_off, const char *name)
{
	for (void **p = list; p; p = *p)
		if (!strcmp(*(char **)((char *)p + name_off), name))
			return p;
	return NULL;
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
		perr(ps, ps->line, "[%s NAME]: name missing or invalid (letters, digits, - _ . and at most %d characters)",
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

		if (named_find(c->rules, offsetof(struct rule_conf, name), name))
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
			perr(ps, ps->line, "duplicate section [output %s]", name);
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
		list_append(&c->outputs, oc);
		ps->obj = oc;
	}
}

/* ini_reader: one line per call; counts lines, spots section headers. */
static char *conf_reader(char *buf, int size, void *stream)
{
	struct parse_state *ps = stream;
	char *s, *end;

	if (!fgets(buf, size, ps->in))
		return NULL;
	ps->line++;
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
	const struct key_desc *keys = sect_keys(ps->sect), *d;
	int idx;

	(void)section;
	if (ps->sect == S_BAD)
		return 1;	/* already reported */
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
			list_append(&pc->opts, kv);
			return 1;
		}
		perr(ps, ps->line, "unknown key \"%s\" in [%s]", key,
		     sect_names[ps->sect]);
		return 1;
	}
	/* [agent]/[source]/[spool] share one struct: index by table. */
	if (ps->seen[idx]) {
		perr(ps, ps->line, "duplicate key \"%s\"", key);
		return 1;
	}
	ps->seen[idx] = 1;
	if (ps->sect == S_PORT && d->type == K_STR &&
	    d->off == P(decoder))
		((struct port_conf *)ps->obj)->decoder_line = ps->line;
	set_key(ps, d, value);
	return 1;
}

static void check_refs(struct parse_state *ps)
{
	struct agent_conf *c = ps->c;

	if (c->source == SRC_REPLAY && !c->replay_file)
		perr(ps, 1, "[source] type = replay needs file =");
	if (c->spool_segment > c->spool_max / 2)
		perr(ps, 1, "[spool] segment_size (%llu) must be at most half of max_size (%llu)",
		     (unsigned long long)c->spool_segment,
		     (unsigned long long)c->spool_max);
	for (struct port_conf *pc = c->ports; pc; pc = pc->next) {
		const struct decoder_ops *dec;

		if (pc->type == M2MGW_PORT_NONE) {
			perr(ps, pc->line, "[port %s]: type = can or serial is required",
			     pc->name);
			continue;
		}
		if (pc->type == M2MGW_PORT_CAN && pc->tty)
			perr(ps, pc->line, "[port %s]: tty = is for serial ports",
			     pc->name);
		if (pc->type == M2MGW_PORT_SERIAL && (pc->ifname || pc->nfilters))
			perr(ps, pc->line, "[port %s]: ifname/filters are for CAN ports",
			     pc->name);
		if (pc->type == M2MGW_PORT_SERIAL && pc->create && !pc->tty)
			perr(ps, pc->line, "[port %s]: tty = is required to create a serial port",
			     pc->name);
		if (!pc->ifname && pc->type == M2MGW_PORT_CAN)
			pc->ifname = strdup(pc->name);
		if (!pc->decoder)
			pc->decoder = strdup("raw");
		dec = decoder_find(pc->decoder);
		if (!dec) {
			perr(ps, pc->decoder_line ? pc->decoder_line : pc->line,
			     "[port %s]: unknown decoder \"%s\" (known: %s)",
			     pc->name, pc->decoder, decoder_names());
			continue;
		}
		if (!(dec->port_types & (1U << pc->type))) {
			perr(ps, pc->decoder_line, "[port %s]: decoder %s cannot decode %s ports",
			     pc->name, dec->name,
			     pc->type == M2MGW_PORT_CAN ? "CAN" : "serial");
			continue;
		}
		ps->errors += dec->validate(pc, ps->file, ps->err);
	}
	for (struct rule_conf *rc = c->rules; rc; rc = rc->next) {
		if (!rc->port)
			rc->port = strdup("*");
		if (!rc->signal)
			rc->signal = strdup("*");
		if (strcmp(rc->port, "*") && !conf_port(c, rc->port))
			perr(ps, rc->line, "[rule %s]: port \"%s\" is not defined",
			     rc->name, rc->port);
		if (!rc->output) {
			if (c->outputs && !c->outputs->next)
				rc->output = strdup(c->outputs->name);
			else
				perr(ps, rc->line, "[rule %s]: output = is required",
				     rc->name);
		}
		if (rc->output && !(rc->out = conf_output(c, rc->output)))
			perr(ps, rc->line, "[rule %s]: output \"%s\" is not defined",
			     rc->name, rc->output);
		if (rc->on_change && rc->deadband > 0)
			perr(ps, rc->line, "[rule %s]: on_change and deadband exclude each other",
			     rc->name);
	}
	for (struct output_conf *oc = c->outputs; oc; oc = oc->next) {
		if (!oc->host)
			perr(ps, oc->line, "[output %s]: host = is required",
			     oc->name);
		if (!oc->topic)
			oc->topic = strdup("m2mgw/{port}/{signal}");
		if (topic_check(oc->topic))
			perr(ps, oc->line, "[output %s]: topic \"%s\": only {port}, {signal} and {rule} may be expanded, and no + or # wildcards",
			     oc->name, oc->topic);
		if (oc->status_topic && (strpbrk(oc->status_topic, "+#{")))
			perr(ps, oc->line, "[output %s]: status_topic \"%s\" must be a plain topic",
			     oc->name, oc->status_topic);
		if ((oc->tls_cert != NULL) != (oc->tls_key != NULL))
			perr(ps, oc->line, "[output %s]: tls_cert and tls_key go together",
			     oc->name);
		if (oc->backoff_min <= 0 || oc->backoff_max < oc->backoff_min)
			perr(ps, oc->line, "[output %s]: need 0 < backoff_min <= backoff_max",
			     oc->name);
		if (oc->password && !oc->username)
			perr(ps, oc->line, "[output %s]: password without username",
			     oc->name);
		if (!oc->client_id) {
			char id[64];

			snprintf(id, sizeof(id), "m2mgwd-%s", oc->name);
			oc->client_id = strdup(id);
		}
	}
	if (!c->rules)
		log_warn("%s: no [rule] sections: nothing will be published",
			 ps->file);
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
	if (rc > 0)
		perr(&ps, rc, "syntax error (expected [section] or key = value)");
	else if (rc < 0)
		perr(&ps, 0, "cannot parse (out of memory)");
	check_refs(&ps);
	if (ps.errors) {
		conf_free(c);
		return NULL;
	}
	return c;
}

static void free_port(struct port_conf *pc)
{
	while (pc->opts) {
		struct conf_kv *kv = pc->opts;

		pc->opts = kv->next;
		free(kv->key);
		free(kv->value);
		free(kv);
	}
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
		free(oc);
	}
	free(c->file);
	free(c->metrics_listen);
	free(c->replay_file);
	free(c->spool_dir);
	free(c);
}

struct port_conf *conf_port(const struct agent_conf *c, const char *name)
{
	return named_find(c->ports, offsetof(struct port_conf, name), name);
}

struct output_conf *conf_output(const struct agent_conf *c, const char *name)
{
	return named_find(c->outputs, offsetof(struct output_conf, name), name);
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

bool conf_output_equal(const struct output_conf *a, const struct output_conf *b)
{
	return a->type == b->type && a->encoding == b->encoding &&
	       str_eq(a->topic, b->topic) && str_eq(a->host, b->host) &&
	       a->port == b->port && a->protocol == b->protocol &&
	       str_eq(a->client_id, b->client_id) &&
	       str_eq(a->username, b->username) &&
	       str_eq(a->password, b->password) &&
	       str_eq(a->tls_ca, b->tls_ca) && str_eq(a->tls_cert, b->tls_cert) &&
	       str_eq(a->tls_key, b->tls_key) &&
	       a->tls_insecure == b->tls_insecure && a->qos == b->qos &&
	       a->retain == b->retain &&
	       str_eq(a->status_topic, b->status_topic) &&
	       a->keepalive == b->keepalive &&
	       a->backoff_min == b->backoff_min &&
	       a->backoff_max == b->backoff_max &&
	       a->max_inflight == b->max_inflight &&
	       a->replay_rate == b->replay_rate;
}
