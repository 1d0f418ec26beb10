// SPDX-License-Identifier: GPL-2.0
/*
 * The downlink allowlist of a port and its rate limit.  Keys of a [port]
 * section (kept in port_conf->downlink with their lines):
 *
 *   downlink_can_ids  = 100-1ff, 321, 18fef100-18fef1ff
 *                       CAN ids (hex, 0x optional) or ranges lo-hi; an id
 *                       above 7ff, or written with 8 digits (00000123),
 *                       is a 29-bit id; both ends of a range are the same
 *                       kind.  Raw {"id","data"} commands.
 *   downlink_messages = EngineCmd, Lights
 *                       DBC messages by name (decoder = dbc): commands
 *                       {"message","signals"} encoded with the port's DBC.
 *   downlink_serial   = yes
 *                       serial ports: {"hex"} and {"text"} commands.
 *   downlink_modbus   = 1:0-99, 2:10
 *                       serial ports: Modbus register writes (functions
 *                       6, 16), SLAVE:REG[-REG].
 *   downlink_modbus_coils = 1:0-15
 *                       serial ports: Modbus coil writes (functions 5,
 *                       15), SLAVE:COIL[-COIL].  Coils and registers are
 *                       separate tables of a slave: each has its own key.
 *   downlink_rate     = 10
 *                       commands per second that reach the bus (burst:
 *                       one second's worth, at least 1).
 *
 * No key: nothing allowed.  Only what a key names is allowed.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <linux/can.h>

#include "dbc.h"
#include "downlink.h"
#include "log.h"

struct allow_parse {
	const struct port_conf *pc;
	const char *file;
	FILE *err;
	int errors;
};

static void aerr(struct allow_parse *ap, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void aerr(struct allow_parse *ap, int line, const char *fmt, ...)
{
	va_list va;

	fprintf(ap->err, "%s:%d: [port %s]: ", ap->file, line, ap->pc->name);
	va_start(va, fmt);
	vfprintf(ap->err, fmt, va);
	va_end(va);
	fputc('\n', ap->err);
	ap->errors++;
}

/* One hex CAN id; *ext set for 29-bit ones (> 7ff or 8 digits). */
static int parse_can_id(const char *s, uint32_t *id, bool *ext)
{
	const char *digits = s;
	unsigned long v;
	char *end;

	if (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2))
		digits += 2;
	if (!*digits || *digits == '-' || *digits == '+')
		return -1;
	errno = 0;
	v = strtoul(digits, &end, 16);
	if (errno || *end || v > CAN_EFF_MASK)
		return -1;
	*id = (uint32_t)v;
	*ext = v > CAN_SFF_MASK || strlen(digits) == 8;
	return 0;
}

static int parse_uint(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v;

	if (conf_parse_uint(s, max, &v))
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* How many comma/space separated tokens @s has (array sizes). */
static size_t count_tokens(const char *s)
{
	size_t n = 0;
	bool in = false;

	for (; *s; s++) {
		bool sep = *s == ',' || *s == ' ' || *s == '\t';

		n += !sep && !in;
		in = !sep;
	}
	return n;
}

static void parse_can_ids(struct allow_parse *ap, const struct conf_kv *kv,
			  struct dl_allow *a)
{
	char *buf = strdup(kv->value), *tok, *save;

	a->ids = calloc(count_tokens(kv->value) + 1, sizeof(*a->ids));
	for (tok = strtok_r(buf, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save)) {
		struct dl_range r = { 0 };
		char *dash = strchr(tok, '-');
		bool ext2;

		if (dash)
			*dash++ = '\0';
		if (parse_can_id(tok, &r.lo, &r.ext) ||
		    (dash && parse_can_id(dash, &r.hi, &ext2))) {
			aerr(ap, kv->line,
			     "downlink_can_ids: \"%s\" is not a hex CAN id or range LO-HI",
			     kv->value);
			break;
		}
		if (!dash)
			r.hi = r.lo;
		else if (ext2 != r.ext || r.hi < r.lo) {
			aerr(ap, kv->line,
			     "downlink_can_ids: range %s-%s must go up and have ends of one kind (11 or 29 bits)",
			     tok, dash);
			break;
		}
		a->ids[a->nids++] = r;
	}
	if (!a->nids && !ap->errors)
		aerr(ap, kv->line, "downlink_can_ids: no ids given");
	free(buf);
}

/* downlink_modbus or downlink_modbus_coils (@coils) into @out. */
static void parse_modbus(struct allow_parse *ap, const struct conf_kv *kv,
			 bool coils, struct dl_range **out, size_t *n)
{
	char *buf = strdup(kv->value), *tok, *save;

	*out = calloc(count_tokens(kv->value) + 1, sizeof(**out));
	for (tok = strtok_r(buf, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save)) {
		struct dl_range r = { 0 };
		char *colon = strchr(tok, ':'), *dash;

		dash = colon ? strchr(colon + 1, '-') : NULL;
		if (colon)
			*colon++ = '\0';
		if (dash)
			*dash++ = '\0';
		if (!colon || parse_uint(tok, 247, &r.slave) || !r.slave ||
		    parse_uint(colon, 65535, &r.lo) ||
		    (dash && parse_uint(dash, 65535, &r.hi)) ||
		    (dash && r.hi < r.lo)) {
			aerr(ap, kv->line,
			     "%s: \"%s\" is not a list of SLAVE:%s or SLAVE:LO-HI (slave 1..247, %s 0..65535)",
			     kv->key, kv->value, coils ? "COIL" : "REG",
			     coils ? "coils" : "registers");
			break;
		}
		if (!dash)
			r.hi = r.lo;
		(*out)[(*n)++] = r;
	}
	if (!*n && !ap->errors)
		aerr(ap, kv->line, "%s: nothing given", kv->key);
	free(buf);
}

static const char *port_opt(const struct port_conf *pc, const char *key)
{
	for (const struct conf_kv *kv = pc->opts; kv; kv = kv->next)
		if (!strcmp(kv->key, key))
			return kv->value;
	return NULL;
}

static void parse_messages(struct allow_parse *ap, const struct conf_kv *kv,
			   struct dl_allow *a)
{
	const char *path = port_opt(ap->pc, "dbc");
	char *buf = strdup(kv->value), *tok, *save;
	struct dbc *db = NULL;
	FILE *quiet;

	if (!ap->pc->decoder || strcmp(ap->pc->decoder, "dbc") || !path) {
		aerr(ap, kv->line,
		     "downlink_messages needs decoder = dbc and dbc = FILE");
		free(buf);
		return;
	}
	/* The decoder reports a DBC it cannot load; stay quiet about it. */
	quiet = fopen("/dev/null", "w");
	db = dbc_load(path, quiet ? quiet : stderr);
	if (quiet)
		fclose(quiet);
	a->msgs = calloc(count_tokens(kv->value) + 1, sizeof(*a->msgs));
	for (tok = strtok_r(buf, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save)) {
		if (db && !dbc_find_name(db, tok))
			aerr(ap, kv->line,
			     "downlink_messages: \"%s\" is not a message of %s",
			     tok, path);
		a->msgs[a->nmsgs++] = strdup(tok);
	}
	if (!a->nmsgs)
		aerr(ap, kv->line, "downlink_messages: no names given");
	dbc_free(db);
	free(buf);
}

int dl_allow_parse(const struct port_conf *pc, struct dl_allow *a,
		   const char *file, FILE *err)
{
	struct allow_parse ap = { .pc = pc, .file = file, .err = err };
	const struct conf_kv *kv, *k2;

	memset(a, 0, sizeof(*a));
	a->rate = DL_RATE_DEFAULT;
	for (kv = pc->downlink; kv; kv = kv->next) {
		bool is_can = !strcmp(kv->key, "downlink_can_ids") ||
			      !strcmp(kv->key, "downlink_messages");
		bool is_serial = !strcmp(kv->key, "downlink_serial") ||
				 !strcmp(kv->key, "downlink_modbus") ||
				 !strcmp(kv->key, "downlink_modbus_coils");

		for (k2 = pc->downlink; k2 != kv; k2 = k2->next)
			if (!strcmp(k2->key, kv->key))
				break;
		if (k2 != kv) {
			aerr(&ap, kv->line, "duplicate key \"%s\"", kv->key);
			continue;
		}
		if ((is_can && pc->type != M2MGW_PORT_CAN) ||
		    (is_serial && pc->type != M2MGW_PORT_SERIAL)) {
			aerr(&ap, kv->line, "%s is for %s ports", kv->key,
			     is_can ? "CAN" : "serial");
			continue;
		}
		if (!strcmp(kv->key, "downlink_can_ids")) {
			parse_can_ids(&ap, kv, a);
		} else if (!strcmp(kv->key, "downlink_messages")) {
			parse_messages(&ap, kv, a);
		} else if (!strcmp(kv->key, "downlink_modbus")) {
			parse_modbus(&ap, kv, false, &a->mb, &a->nmb);
		} else if (!strcmp(kv->key, "downlink_modbus_coils")) {
			parse_modbus(&ap, kv, true, &a->coils, &a->ncoils);
		} else if (!strcmp(kv->key, "downlink_serial")) {
			if (conf_parse_bool(kv->value, &a->serial))
				aerr(&ap, kv->line,
				     "downlink_serial: \"%s\" is not yes or no",
				     kv->value);
		} else if (!strcmp(kv->key, "downlink_rate")) {
			char *end;

			a->rate = strtod(kv->value, &end);
			if (end == kv->value || *end || !isfinite(a->rate) ||
			    a->rate <= 0 || a->rate > 100000)
				aerr(&ap, kv->line,
				     "downlink_rate: \"%s\" is not a number of commands per second in (0, 100000]",
				     kv->value);
		} else {
			aerr(&ap, kv->line,
			     "unknown key \"%s\" (downlink_can_ids, downlink_messages, downlink_serial, downlink_modbus, downlink_modbus_coils, downlink_rate)",
			     kv->key);
		}
	}
	a->tokens = a->rate < 1 ? 1 : a->rate;
	a->refilled = NAN; /* the first command starts the clock */
	return ap.errors;
}

void dl_allow_free(struct dl_allow *a)
{
	for (size_t i = 0; i < a->nmsgs; i++)
		free(a->msgs[i]);
	free(a->msgs);
	free(a->ids);
	free(a->mb);
	free(a->coils);
	memset(a, 0, sizeof(*a));
}

bool dl_allow_any(const struct dl_allow *a)
{
	return a->nids || a->nmsgs || a->serial || a->nmb || a->ncoils;
}

bool dl_allow_can_id(const struct dl_allow *a, uint32_t id, bool ext)
{
	for (size_t i = 0; i < a->nids; i++)
		if (a->ids[i].ext == ext && id >= a->ids[i].lo &&
		    id <= a->ids[i].hi)
			return true;
	return false;
}

bool dl_allow_message(const struct dl_allow *a, const char *name)
{
	for (size_t i = 0; i < a->nmsgs; i++)
		if (!strcmp(a->msgs[i], name))
			return true;
	return false;
}

/* Every address of addr .. addr + count - 1 in one allowed range. */
static bool in_ranges(const struct dl_range *r, size_t n, uint32_t slave,
		      uint32_t addr, uint32_t count)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].slave == slave && addr >= r[i].lo && count &&
		    addr + count - 1 <= r[i].hi)
			return true;
	return false;
}

bool dl_allow_modbus(const struct dl_allow *a, uint32_t slave, uint32_t addr,
		     uint32_t count)
{
	return in_ranges(a->mb, a->nmb, slave, addr, count);
}

bool dl_allow_modbus_coils(const struct dl_allow *a, uint32_t slave,
			   uint32_t addr, uint32_t count)
{
	return in_ranges(a->coils, a->ncoils, slave, addr, count);
}

bool dl_rate_take(struct dl_allow *a, double now)
{
	double burst = a->rate < 1 ? 1 : a->rate;

	if (!isnan(a->refilled))
		a->tokens += (now - a->refilled) * a->rate;
	a->refilled = now;
	if (a->tokens > burst)
		a->tokens = burst;
	if (a->tokens < 1)
		return false;
	a->tokens -= 1;
	return true;
}

int dl_conf_check(const struct agent_conf *c, const char *file, FILE *err)
{
	bool any = false, cmd = false;
	int errors = 0;

	for (const struct port_conf *pc = c->ports; pc; pc = pc->next) {
		struct dl_allow a;

		errors += dl_allow_parse(pc, &a, file, err);
		any |= dl_allow_any(&a);
		dl_allow_free(&a);
	}
	for (const struct output_conf *oc = c->outputs; oc; oc = oc->next)
		cmd |= oc->command_topic != NULL;
	if (cmd && !any && !errors)
		log_warn(
			"%s: command_topic is set but no [port] has downlink_* keys: every command will be refused",
			file);
	return errors;
}
