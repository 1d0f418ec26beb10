// SPDX-License-Identifier: GPL-2.0
/*
 * The Modbus decoder's [port] keys and the master poll schedule (see
 * modbus_poll.h for the syntax), validated with "file:line: message".
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "modbus_pdu.h"
#include "modbus_poll.h"

struct poll_parse {
	const char *file;
	FILE *err;
	int line;
	int errors;
};

static void perr(struct poll_parse *pp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void perr(struct poll_parse *pp, const char *fmt, ...)
{
	va_list ap;

	pp->errors++;
	if (!pp->err)
		return;
	fprintf(pp->err, "%s:%d: ", pp->file, pp->line);
	va_start(ap, fmt);
	vfprintf(pp->err, fmt, ap);
	va_end(ap);
	fputc('\n', pp->err);
}

static const char *const dtype_names[] = {
	[MODBUS_BIT] = "bit", [MODBUS_U16] = "u16", [MODBUS_S16] = "s16",
	[MODBUS_U32] = "u32", [MODBUS_S32] = "s32", [MODBUS_F32] = "float32",
};

unsigned int modbus_dtype_width(enum modbus_dtype t)
{
	return t >= MODBUS_U32 ? 2 : 1;
}

static bool name_ok(const char *n)
{
	if (!*n || strlen(n) >= MODBUS_NAME_MAX)
		return false;
	for (; *n; n++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			    "0123456789_.-",
			    *n))
			return false;
	return true;
}

static int uint_in(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
	return conf_parse_uint(v, max, out) || *out < min ? -1 : 0;
}

/* One "key=value" of a poll line. */
static void poll_kv(struct poll_parse *pp, struct modbus_poll *p, char *key,
		    const char *v, bool *type_given)
{
	uint64_t u;
	char *end;

	if (!strcmp(key, "slave")) {
		if (uint_in(v, 1, MODBUS_SLAVE_MAX, &u))
			perr(pp, "poll: slave \"%s\" is not in 1..%d", v,
			     MODBUS_SLAVE_MAX);
		else
			p->slave = (uint8_t)u;
	} else if (!strcmp(key, "fc")) {
		if (uint_in(v, 1, 4, &u))
			perr(pp,
			     "poll: fc \"%s\" is not a read function (1 coils, 2 discrete inputs, 3 holding registers, 4 input registers)",
			     v);
		else
			p->fc = (uint8_t)u;
	} else if (!strcmp(key, "addr")) {
		if (uint_in(v, 0, 65535, &u))
			perr(pp, "poll: addr \"%s\" is not in 0..65535", v);
		else
			p->addr = (uint16_t)u;
	} else if (!strcmp(key, "count")) {
		if (uint_in(v, 1, MODBUS_MAX_BITS, &u))
			perr(pp, "poll: count \"%s\" is not in 1..%d", v,
			     MODBUS_MAX_BITS);
		else
			p->count = (uint16_t)u;
	} else if (!strcmp(key, "type")) {
		unsigned int t;

		for (t = 0; t <= MODBUS_F32 && strcmp(v, dtype_names[t]); t++)
			;
		if (t > MODBUS_F32)
			perr(pp,
			     "poll: type \"%s\" is not one of bit, u16, s16, u32, s32, float32",
			     v);
		else
			p->type = t;
		*type_given = true;
	} else if (!strcmp(key, "order")) {
		if (strcmp(v, "big") && strcmp(v, "little"))
			perr(pp,
			     "poll: order \"%s\" is not big (most significant word first) or little",
			     v);
		p->lsw_first = !strcmp(v, "little");
	} else if (!strcmp(key, "scale")) {
		errno = 0;
		p->scale = strtod(v, &end);
		if (end == v || *end || errno || !isfinite(p->scale))
			perr(pp, "poll: scale \"%s\" is not a number", v);
	} else if (!strcmp(key, "unit")) {
		if (strlen(v) >= MODBUS_UNIT_MAX)
			perr(pp, "poll: unit \"%s\" is longer than %d", v,
			     MODBUS_UNIT_MAX - 1);
		else
			snprintf(p->unit, sizeof(p->unit), "%s", v);
	} else if (!strcmp(key, "period")) {
		if (conf_parse_duration(v, &p->period) || p->period < 0.01)
			perr(pp,
			     "poll: period \"%s\" is not a duration of at least 10ms",
			     v);
	} else if (!strcmp(key, "timeout")) {
		if (conf_parse_duration(v, &p->timeout) || p->timeout < 0.001)
			perr(pp, "poll: timeout \"%s\" is not a duration", v);
	} else {
		perr(pp,
		     "poll: unknown key \"%s\" (slave, fc, addr, count, type, order, scale, unit, period, timeout)",
		     key);
	}
}

static void poll_line(struct poll_parse *pp, struct modbus_bus_conf *bc,
		      const char *value)
{
	struct modbus_poll p = { .type = MODBUS_U16,
				 .count = 1,
				 .scale = 1,
				 .period = 1,
				 .line = pp->line };
	bool have_slave = false, have_fc = false, have_addr = false;
	bool type_given = false;
	char buf[512], *tok, *save;
	int errors = pp->errors;
	void *n;

	if (strlen(value) >= sizeof(buf)) {
		perr(pp, "poll: line too long");
		return;
	}
	strcpy(buf, value);
	tok = strtok_r(buf, " \t", &save);
	if (!tok || strchr(tok, '=') || !name_ok(tok)) {
		perr(pp,
		     "poll: a signal name (letters, digits, _ . -) must come first");
		return;
	}
	snprintf(p.name, sizeof(p.name), "%s", tok);
	while ((tok = strtok_r(NULL, " \t", &save))) {
		char *eq = strchr(tok, '=');

		if (!eq || eq == tok || !eq[1]) {
			perr(pp, "poll: \"%s\" is not key=value", tok);
			continue;
		}
		*eq = '\0';
		have_slave |= !strcmp(tok, "slave");
		have_fc |= !strcmp(tok, "fc");
		have_addr |= !strcmp(tok, "addr");
		poll_kv(pp, &p, tok, eq + 1, &type_given);
	}
	if (pp->errors != errors)
		return;
	if (!have_slave || !have_fc || !have_addr) {
		perr(pp, "poll %s: slave=, fc= and addr= are required", p.name);
		return;
	}
	if (p.fc <= 2 && !type_given)
		p.type = MODBUS_BIT;
	if ((p.fc <= 2) != (p.type == MODBUS_BIT)) {
		perr(pp, "poll %s: type %s does not fit fc %u (%s)", p.name,
		     dtype_names[p.type], p.fc,
		     p.fc <= 2 ? "bits: type bit" : "registers");
		return;
	}
	p.span = (uint16_t)(p.count * modbus_dtype_width(p.type));
	if (p.span > modbus_read_max(p.fc))
		perr(pp, "poll %s: %u values of %s exceed one request (%u)",
		     p.name, p.count, dtype_names[p.type],
		     modbus_read_max(p.fc));
	else if (p.addr + p.span > 65536)
		perr(pp, "poll %s: addr + count passes 65535", p.name);
	for (unsigned int i = 0; i < bc->npolls; i++)
		if (!strcmp(bc->polls[i].name, p.name))
			perr(pp, "poll %s: name already used on line %d",
			     p.name, bc->polls[i].line);
	if (pp->errors != errors)
		return;
	n = realloc(bc->polls, (bc->npolls + 1) * sizeof(p));
	if (!n) {
		perr(pp, "out of memory");
		return;
	}
	bc->polls = n;
	bc->polls[bc->npolls++] = p;
}

static void dur_key(struct poll_parse *pp, const struct conf_kv *kv, double min,
		    double *out)
{
	if (conf_parse_duration(kv->value, out) || *out < min)
		perr(pp, "%s: \"%s\" is not a duration of at least %gms",
		     kv->key, kv->value, min * 1e3);
}

int modbus_conf_parse(const struct port_conf *pc, const char *file, FILE *err,
		      struct modbus_bus_conf *bc)
{
	static const char *const master_keys[] = { "timeout", "retries",
						   "backoff_min", "backoff_max",
						   "poll" };
	struct poll_parse pp = { .file = file, .err = err };
	int master_line = 0;
	uint64_t u;

	memset(bc, 0, sizeof(*bc));
	bc->timeout = 0.2;
	bc->retries = 2;
	bc->backoff_min = 1;
	bc->backoff_max = 60;
	bc->baud = pc->baud;
	bc->data_bits = pc->data_bits;
	bc->parity = pc->parity;
	bc->stop_bits = pc->stop_bits;
	for (const struct conf_kv *kv = pc->opts; kv; kv = kv->next) {
		pp.line = kv->line;
		if (!strcmp(kv->key, "mode")) {
			if (strcmp(kv->value, "master") &&
			    strcmp(kv->value, "sniffer"))
				perr(&pp,
				     "mode must be master or sniffer, not \"%s\"",
				     kv->value);
			bc->master = !strcmp(kv->value, "master");
		} else if (!strcmp(kv->key, "timeout")) {
			dur_key(&pp, kv, 0.001, &bc->timeout);
		} else if (!strcmp(kv->key, "backoff_min")) {
			dur_key(&pp, kv, 0.01, &bc->backoff_min);
		} else if (!strcmp(kv->key, "backoff_max")) {
			dur_key(&pp, kv, 0.01, &bc->backoff_max);
		} else if (!strcmp(kv->key, "retries")) {
			if (uint_in(kv->value, 0, 10, &u))
				perr(&pp, "retries: \"%s\" is not in 0..10",
				     kv->value);
			else
				bc->retries = (unsigned int)u;
		} else if (!strcmp(kv->key, "poll")) {
			poll_line(&pp, bc, kv->value);
		} else {
			perr(&pp,
			     "unknown key \"%s\" in [port %s] (decoder modbus: mode, timeout, retries, backoff_min, backoff_max, poll)",
			     kv->key, pc->name);
			continue;
		}
		for (size_t i = 0;
		     i < sizeof(master_keys) / sizeof(*master_keys); i++)
			if (!strcmp(kv->key, master_keys[i]) && !master_line)
				master_line = kv->line;
	}
	if (!bc->master && master_line) {
		pp.line = master_line;
		perr(&pp, "poll schedule keys need mode = master");
	}
	if (bc->master && pc->framing != M2MGW_FRAMING_MODBUS_RTU) {
		pp.line = pc->line;
		perr(&pp, "[port %s]: mode = master needs framing = modbus-rtu",
		     pc->name);
	}
	if (bc->backoff_max < bc->backoff_min) {
		pp.line = pc->line;
		perr(&pp, "[port %s]: backoff_max is less than backoff_min",
		     pc->name);
	}
	return pp.errors;
}

void modbus_conf_free(struct modbus_bus_conf *bc)
{
	free(bc->polls);
	bc->polls = NULL;
	bc->npolls = 0;
}

double modbus_poll_value(const struct modbus_poll *p, const uint8_t *data,
			 uint16_t first, unsigned int idx)
{
	unsigned int w = modbus_dtype_width(p->type);
	unsigned int at = p->addr - first + idx * w;
	const uint8_t *r = data + 2 * at;
	uint32_t hi, lo, u;
	float f;

	if (p->type == MODBUS_BIT)
		return (data[at / 8] >> (at % 8) & 1) * p->scale;
	hi = (uint32_t)(r[0] << 8 | r[1]);
	if (w == 1)
		return (p->type == MODBUS_S16 ? (double)(int16_t)hi :
						(double)hi) *
		       p->scale;
	lo = (uint32_t)(r[2] << 8 | r[3]);
	u = p->lsw_first ? lo << 16 | hi : hi << 16 | lo;
	switch (p->type) {
	case MODBUS_S32:
		return (double)(int32_t)u * p->scale;
	case MODBUS_F32:
		memcpy(&f, &u, sizeof(f));
		return (double)f * p->scale;
	default:
		return (double)u * p->scale;
	}
}
