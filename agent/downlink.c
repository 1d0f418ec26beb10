// SPDX-License-Identifier: GPL-2.0
/*
 * Downlink commands (downlink.h): parse the JSON, check it against the
 * port's allowlist, build the whole frame, hand it to the transmit
 * function, and say what happened in a JSON reply.  Every check runs
 * before the frame exists, so a refused command never reaches a bus.
 *
 * Unknown fields are refused rather than ignored: a misspelt "ext" or
 * "fd" must not silently send a different frame.
 */
#define _GNU_SOURCE /* strerrorname_np */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/can.h>

#include "dbc.h"
#include "downlink.h"
#include "downlink_int.h"
#include "log.h"

int dl_fail(struct cmd *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* Every member of the request must be one of @names (NULL-ended). */
int dl_only_fields(struct cmd *c, const char *const *names)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, c->req)
	{
		const char *const *n;

		if (!strcmp(it->string, "cid"))
			continue;
		for (n = names; *n && strcmp(*n, it->string); n++)
			;
		if (!*n)
			return dl_fail(c, "unknown field \"%s\"", it->string);
	}
	return 0;
}

const cJSON *dl_field(struct cmd *c, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(c->req, name);
}

/* Optional boolean field; -1 if present and not a boolean. */
static int opt_bool(struct cmd *c, const char *name, bool *out)
{
	const cJSON *f = dl_field(c, name);

	*out = false;
	if (!f)
		return 0;
	if (!cJSON_IsBool(f))
		return dl_fail(c, "\"%s\" must be true or false", name);
	*out = cJSON_IsTrue(f);
	return 0;
}

/* Hex digits (even count) into @buf; length or -1 (c->err says why). */
static int parse_hex(struct cmd *c, const char *name, uint8_t *buf, size_t cap)
{
	const cJSON *f = dl_field(c, name);
	const char *s;
	size_t n;

	if (!cJSON_IsString(f))
		return dl_fail(c, "\"%s\" must be a string of hex digits",
			       name);
	s = f->valuestring;
	n = strlen(s);
	if (n % 2)
		return dl_fail(c, "\"%s\": odd number of hex digits", name);
	if (n / 2 > cap)
		return dl_fail(c, "\"%s\": %zu bytes, at most %zu", name, n / 2,
			       cap);
	for (size_t i = 0; i < n / 2; i++) {
		char pair[3] = { s[2 * i], s[2 * i + 1], 0 };
		char *end;

		buf[i] = (uint8_t)strtoul(pair, &end, 16);
		if (*end || pair[0] == ' ' || pair[0] == '+' || pair[0] == '-')
			return dl_fail(c, "\"%s\": \"%s\" is not hex", name,
				       pair);
	}
	return (int)(n / 2);
}

static void hex_str(char *out, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = '\0';
}

int dl_cmd_rate(struct cmd *c)
{
	if (dl_rate_take(&c->p->allow, c->now))
		return 0;
	return dl_fail(
		c,
		"rate limited: port %s takes at most %g commands per second (downlink_rate)",
		c->p->pc->name, c->p->allow.rate);
}

/* Rate limit, then the kernel: the last two things that can say no. */
static int transmit(struct cmd *c, uint16_t type, const void *payload,
		    uint32_t len)
{
	int rc;

	if (dl_cmd_rate(c))
		return -1;
	rc = c->dl->tx(c->dl->ctx, c->p->pc, type, payload, len);
	if (rc)
		return dl_fail(c, "send failed: %s (%s)", strerror(-rc),
			       strerrorname_np(-rc) ?: "?");
	return 0;
}

static bool canfd_len_valid(size_t n)
{
	return n <= 8 || n == 12 || n == 16 || n == 20 || n == 24 || n == 32 ||
	       n == 48 || n == 64;
}

/* A whole CAN frame, classic or FD, to the port. */
static int send_can(struct cmd *c, uint32_t id, bool ext, bool fd, bool brs,
		    const uint8_t *data, size_t n)
{
	char hex[2 * CANFD_MAX_DLEN + 1], ids[16];
	canid_t cid = id | (ext ? CAN_EFF_FLAG : 0);
	int rc;

	if (fd) {
		struct canfd_frame f = { .can_id = cid, .len = (uint8_t)n };

		f.flags = CANFD_FDF | (brs ? CANFD_BRS : 0);
		memcpy(f.data, data, n);
		rc = transmit(c, M2MGW_REC_CANFD, &f, sizeof(f));
	} else {
		struct can_frame f = { .can_id = cid, .len = (uint8_t)n };

		memcpy(f.data, data, n);
		rc = transmit(c, M2MGW_REC_CAN, &f, sizeof(f));
	}
	if (rc)
		return rc;
	snprintf(ids, sizeof(ids), ext ? "0x%08x" : "0x%03x", id);
	hex_str(hex, data, n);
	cJSON_AddStringToObject(c->reply, "id", ids);
	cJSON_AddBoolToObject(c->reply, "ext", ext);
	if (fd)
		cJSON_AddBoolToObject(c->reply, "fd", true);
	cJSON_AddStringToObject(c->reply, "data", hex);
	return 0;
}

static int parse_id(struct cmd *c, uint32_t *id)
{
	const cJSON *f = dl_field(c, "id");
	double v;

	if (cJSON_IsString(f)) {
		const char *s = f->valuestring;
		char *end;

		if (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2))
			s += 2;
		errno = 0;
		v = (double)strtoul(s, &end, 16);
		if (!*s || *end || errno || *s == '-' || *s == '+' || *s == ' ')
			return dl_fail(c, "\"id\": \"%s\" is not a hex CAN id",
				       f->valuestring);
	} else if (cJSON_IsNumber(f)) {
		v = f->valuedouble;
		if (v < 0 || v != floor(v))
			return dl_fail(c, "\"id\": %g is not a CAN id", v);
	} else {
		return dl_fail(c, "\"id\" must be a hex string (\"0x123\")");
	}
	if (v > CAN_EFF_MASK) /* v may not fit any integer type */
		return dl_fail(c, "\"id\": %s is more than 29 bits",
			       cJSON_IsString(f) ? f->valuestring :
						   "the number");
	*id = (uint32_t)v;
	return 0;
}

static int cmd_can_raw(struct cmd *c)
{
	static const char *const names[] = { "id", "data", "ext",
					     "fd", "brs",  NULL };
	uint8_t data[CANFD_MAX_DLEN];
	bool ext, fd, brs;
	uint32_t id = 0;
	int n;

	if (dl_only_fields(c, names) || parse_id(c, &id) ||
	    opt_bool(c, "ext", &ext) || opt_bool(c, "fd", &fd) ||
	    opt_bool(c, "brs", &brs))
		return -1;
	if (!dl_field(c, "ext"))
		ext = id > CAN_SFF_MASK;
	else if (!ext && id > CAN_SFF_MASK)
		return dl_fail(
			c,
			"\"id\": 0x%x is more than 11 bits; say \"ext\":true",
			id);
	if (brs && !fd)
		return dl_fail(c, "\"brs\" needs \"fd\":true");
	n = parse_hex(c, "data", data, fd ? CANFD_MAX_DLEN : CAN_MAX_DLEN);
	if (n < 0)
		return -1;
	if (fd && !canfd_len_valid((size_t)n))
		return dl_fail(
			c,
			"\"data\": %d bytes is not a CAN FD length (0-8, 12, 16, 20, 24, 32, 48, 64)",
			n);
	if (!dl_allow_can_id(&c->p->allow, id, ext))
		return dl_fail(
			c,
			"not allowed: CAN id 0x%x (%s) is not in downlink_can_ids of port %s",
			id, ext ? "29-bit" : "11-bit", c->p->pc->name);
	return send_can(c, id, ext, fd, brs, data, (size_t)n);
}

/* Which of the given signals the DBC refuses, to name it in the error. */
static int encode_error(struct cmd *c, const struct dbc_msg *m,
			const char *const *names, const double *vals, size_t n,
			int rc)
{
	uint8_t scratch[CANFD_MAX_DLEN];
	double page = 0;

	/* The page the multiplexor selects (raw 0 when not given). */
	for (size_t i = 0; m->mux_sig >= 0 && i < n; i++) {
		const struct dbc_signal *ms = &m->sigs[m->mux_sig];

		if (!strcmp(names[i], ms->name))
			page = round((vals[i] - ms->offset) / ms->factor);
	}
	for (size_t i = 0; i < n; i++) {
		const struct dbc_signal *s = dbc_find_signal(m, names[i]);

		if (rc == -EINVAL && s->mux >= 0 && s->mux != page)
			return dl_fail(
				c,
				"encode error: %s.%s is in multiplexed page %d, the multiplexor %s selects page %g",
				m->name, s->name, s->mux,
				m->sigs[m->mux_sig].name, page);
		if (rc == -ERANGE && dbc_put(s, vals[i], scratch))
			return dl_fail(
				c,
				"encode error: %s.%s = %g is out of its range [%g, %g] or bits",
				m->name, s->name, vals[i], s->min, s->max);
	}
	return dl_fail(c, "encode error: %s: %s", m->name, strerror(-rc));
}

static int cmd_can_dbc(struct cmd *c)
{
	static const char *const names[] = { "message", "signals", NULL };
	const cJSON *msg = dl_field(c, "message"),
		    *sigs = dl_field(c, "signals");
	const char *snames[64];
	double vals[64];
	uint8_t data[CANFD_MAX_DLEN];
	const struct dbc_msg *m;
	const cJSON *it;
	size_t n = 0;
	int len;

	if (dl_only_fields(c, names))
		return -1;
	if (!cJSON_IsString(msg))
		return dl_fail(c, "\"message\" must be a DBC message name");
	if (!dl_allow_message(&c->p->allow, msg->valuestring))
		return dl_fail(
			c,
			"not allowed: message \"%s\" is not in downlink_messages of port %s",
			msg->valuestring, c->p->pc->name);
	m = c->p->db ? dbc_find_name(c->p->db, msg->valuestring) : NULL;
	if (!m)
		return dl_fail(c, "unknown message \"%s\" in the port's DBC",
			       msg->valuestring);
	if (!cJSON_IsObject(sigs))
		return dl_fail(
			c, "\"signals\" must be an object of signal: number");
	cJSON_ArrayForEach(it, sigs)
	{
		if (n == sizeof(vals) / sizeof(vals[0]))
			return dl_fail(c, "\"signals\": too many");
		if (!cJSON_IsNumber(it))
			return dl_fail(c, "\"signals\": %s must be a number",
				       it->string);
		if (!dbc_find_signal(m, it->string))
			return dl_fail(c,
				       "encode error: %s has no signal \"%s\"",
				       m->name, it->string);
		for (size_t i = 0; i < n; i++)
			if (!strcmp(snames[i], it->string))
				return dl_fail(c, "\"signals\": %s given twice",
					       it->string);
		snames[n] = it->string;
		vals[n++] = it->valuedouble;
	}
	len = dbc_encode(m, snames, vals, n, data, sizeof(data));
	if (len < 0)
		return encode_error(c, m, snames, vals, n, len);
	if (len > CAN_MAX_DLEN && !canfd_len_valid((size_t)len))
		return dl_fail(c, "encode error: %s: %d bytes is no CAN length",
			       m->name, len);
	return send_can(c, m->id, m->ext, len > CAN_MAX_DLEN, false, data,
			(size_t)len);
}

static int cmd_serial(struct cmd *c)
{
	static const char *const names[] = { "hex", "text", NULL };
	uint8_t buf[M2MGW_SERIAL_MAXLEN];
	const cJSON *text = dl_field(c, "text");
	int n;

	if (dl_only_fields(c, names))
		return -1;
	if (dl_field(c, "hex") && text)
		return dl_fail(c, "give \"hex\" or \"text\", not both");
	if (!c->p->allow.serial)
		return dl_fail(c,
			       "not allowed: port %s has downlink_serial = no",
			       c->p->pc->name);
	if (text) {
		if (!cJSON_IsString(text))
			return dl_fail(c, "\"text\" must be a string");
		n = (int)strlen(text->valuestring);
		if (n > M2MGW_SERIAL_MAXLEN)
			return dl_fail(c, "\"text\": %d bytes, at most %d", n,
				       M2MGW_SERIAL_MAXLEN);
		memcpy(buf, text->valuestring, (size_t)n);
	} else {
		n = parse_hex(c, "hex", buf, sizeof(buf));
		if (n < 0)
			return -1;
	}
	if (!n)
		return dl_fail(c, "nothing to send (empty)");
	if (transmit(c, M2MGW_REC_SERIAL, buf, (uint32_t)n))
		return -1;
	cJSON_AddNumberToObject(c->reply, "bytes", n);
	return 0;
}

static int dispatch(struct cmd *c)
{
	const struct port_conf *pc = c->p->pc;

	if (!dl_allow_any(&c->p->allow))
		return dl_fail(
			c,
			"not allowed: port %s takes no downlink commands (no downlink_* keys)",
			pc->name);
	if (pc->type == M2MGW_PORT_CAN) {
		if (dl_field(c, "message"))
			return cmd_can_dbc(c);
		if (dl_field(c, "id"))
			return cmd_can_raw(c);
		return dl_fail(
			c,
			"a CAN command has \"id\" and \"data\", or \"message\" and \"signals\"");
	}
	if (dl_field(c, "slave") || dl_field(c, "write"))
		return dl_cmd_modbus(c);
	if (dl_field(c, "hex") || dl_field(c, "text"))
		return cmd_serial(c);
	return dl_fail(
		c,
		"a serial command has \"hex\" or \"text\" (or \"slave\" and \"write\" for Modbus)");
}

int downlink_command(struct downlink *dl, const char *port, const void *payload,
		     size_t len, double now, const struct dl_later *later,
		     char **reply)
{
	struct cmd c = { .dl = dl, .now = now, .later = later };
	const char *end = NULL;
	char *text = malloc(len + 1);
	cJSON *req = NULL;

	*reply = NULL;
	c.reply = cJSON_CreateObject();
	if (!c.reply || !text) {
		cJSON_Delete(c.reply);
		free(text);
		return -ENOMEM;
	}
	/* Strict: one JSON value and nothing after it. */
	memcpy(text, payload, len);
	text[len] = '\0';
	if (strlen(text) == len)
		req = cJSON_ParseWithOpts(text, &end, true);
	cJSON_AddStringToObject(c.reply, "port", port);
	for (size_t i = 0; i < dl->nports; i++)
		if (!strcmp(dl->ports[i].pc->name, port))
			c.p = &dl->ports[i];
	c.req = req;
	if (cJSON_IsObject(req) && dl_field(&c, "cid"))
		cJSON_AddItemToObject(c.reply, "cid",
				      cJSON_Duplicate(dl_field(&c, "cid"),
						      true));
	cJSON_AddBoolToObject(c.reply, "ok", false); /* set below */
	if (!c.p)
		dl_fail(&c, "unknown port \"%s\"", port);
	else if (strlen(text) != len)
		dl_fail(&c, "bad JSON: a NUL byte in the payload");
	else if (!req)
		dl_fail(&c, "bad JSON at byte %td",
			end ? end - text : (ptrdiff_t)0);
	else if (!cJSON_IsObject(req))
		dl_fail(&c, "bad JSON: a command is an object {...}");
	else
		dispatch(&c);
	cJSON_Delete(req);
	free(text);
	if (c.pending)
		return 1; /* c.reply went with the command */
	*reply = dl_reply_finish(c.reply, port, c.err[0] ? c.err : NULL,
				 dl->stats);
	return *reply ? 0 : -ENOMEM;
}

char *dl_reply_finish(cJSON *reply, const char *port, const char *err,
		      struct dl_stats *stats)
{
	char *out;

	if (stats)
		(*(err ? &stats->refused : &stats->ok))++;
	cJSON_ReplaceItemInObjectCaseSensitive(reply, "ok",
					       cJSON_CreateBool(!err));
	if (err) {
		cJSON_AddStringToObject(reply, "error", err);
		log_warn("downlink: port %s: refused: %s", port, err);
	} else {
		log_info("downlink: port %s: done", port);
	}
	out = cJSON_PrintUnformatted(reply);
	cJSON_Delete(reply);
	return out;
}

struct downlink *downlink_new(const struct agent_conf *c, dl_tx_fn tx,
			      dl_modbus_fn modbus, void *ctx,
			      struct dl_stats *stats)
{
	struct downlink *dl = calloc(1, sizeof(*dl));
	size_t n = 0;

	if (!dl)
		return NULL;
	for (const struct port_conf *pc = c->ports; pc; pc = pc->next)
		n++;
	dl->ports = calloc(n ? n : 1, sizeof(*dl->ports));
	dl->tx = tx;
	dl->modbus = modbus;
	dl->ctx = ctx;
	dl->stats = stats;
	if (!dl->ports)
		goto err;
	for (const struct port_conf *pc = c->ports; pc; pc = pc->next) {
		struct dl_port *p = &dl->ports[dl->nports++];

		p->pc = pc;
		if (dl_allow_parse(pc, &p->allow, c->file, stderr))
			goto err;
		for (const struct conf_kv *kv = pc->opts; p->allow.nmsgs && kv;
		     kv = kv->next)
			if (!strcmp(kv->key, "dbc"))
				p->db = dbc_load(kv->value, stderr);
		if (p->allow.nmsgs && !p->db) {
			log_err("downlink: port %s: cannot load its DBC",
				pc->name);
			goto err;
		}
	}
	return dl;
err:
	downlink_free(dl);
	return NULL;
}

void downlink_free(struct downlink *dl)
{
	if (!dl)
		return;
	for (size_t i = 0; i < dl->nports; i++) {
		dl_allow_free(&dl->ports[i].allow);
		dbc_free(dl->ports[i].db);
	}
	free(dl->ports);
	free(dl);
}
