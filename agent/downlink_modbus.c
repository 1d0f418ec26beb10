// SPDX-License-Identifier: GPL-2.0
/*
 * Modbus writes from the downlink, registers and coils:
 *
 *   {"slave":1,"write":{"address":10,"value":7}}             function 6
 *   {"slave":1,"write":{"address":10,"values":[1,2,3]}}      function 16
 *   {"slave":1,"write":{"address":3,"coil":true}}            function 5
 *   {"slave":1,"write":{"address":0,"coils":[true,false]}}   function 15
 *
 * Register values are 0..65535, or -32768..-1 for a signed register;
 * coils are JSON true or false, nothing else.  Registers are allowed by
 * downlink_modbus, coils by downlink_modbus_coils.  They go
 * through the bus's Modbus master scheduler (one request on the line at
 * a time, the inter-frame gap, writes ahead of polls), never straight to
 * the port, so a write cannot collide with a poll.  The reply waits for
 * the slave's answer: ok, its exception, or the timeout.
 */
#define _GNU_SOURCE /* strerrorname_np */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "downlink_int.h"
#include "modbus_pdu.h"

struct mb_pend {
	struct dl_later later;
	cJSON *reply;
	struct dl_stats *stats;
	char port[M2MGW_NAME_MAX];
	unsigned int slave;
};

static const char *exception_name(uint8_t e)
{
	static const char *const names[] = {
		[1] = "illegal function",
		[2] = "illegal data address",
		[3] = "illegal data value",
		[4] = "slave device failure",
		[5] = "acknowledge",
		[6] = "slave device busy",
		[8] = "memory parity error",
		[10] = "gateway path unavailable",
		[11] = "gateway target device failed to respond",
	};

	return e < sizeof(names) / sizeof(names[0]) && names[e] ? names[e] :
								  "unknown";
}

static void mb_done(void *ctx, int result, uint8_t exception)
{
	struct mb_pend *p = ctx;
	char err[256];

	switch (result) {
	case 0:
		break;
	case -EREMOTEIO:
		snprintf(err, sizeof(err),
			 "slave %u answered with exception %u (%s)", p->slave,
			 exception, exception_name(exception));
		break;
	case -ETIMEDOUT:
		snprintf(err, sizeof(err),
			 "no answer from slave %u (timeout, after the retries)",
			 p->slave);
		break;
	case -EBADMSG:
		snprintf(
			err, sizeof(err),
			"slave %u answered with garbled frames (CRC or format)",
			p->slave);
		break;
	case -ECANCELED:
		snprintf(
			err, sizeof(err),
			"cancelled: the Modbus master stopped (reload or exit); the write may not have been sent");
		break;
	default:
		snprintf(err, sizeof(err), "send failed: %s (%s)",
			 strerror(-result), strerrorname_np(-result) ?: "?");
	}
	p->later.fn(p->later.ctx,
		    dl_reply_finish(p->reply, p->port, result ? err : NULL,
				    p->stats));
	free(p);
}

/* A parsed "write": what goes to the Modbus master. */
struct mb_req {
	uint8_t fc;
	uint16_t addr, count;
	uint16_t values[MODBUS_MAX_WBITS]; /* registers, or coils 0/1 */
};

static bool is_coils(uint8_t fc)
{
	return fc == 5 || fc == 15;
}

static int reg_value(struct cmd *c, const cJSON *v, uint16_t *out)
{
	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
	    v->valuedouble < -32768 || v->valuedouble > 65535)
		return dl_fail(
			c,
			"\"write\": a register value is an integer -32768..65535");
	*out = (uint16_t)(int32_t)v->valuedouble;
	return 0;
}

/*
 * Only JSON true and false: a number here is more likely a register
 * value sent as a coil by mistake than a coil state.
 */
static int coil_value(struct cmd *c, const cJSON *v, uint16_t *out)
{
	if (!cJSON_IsBool(v))
		return dl_fail(c, "\"write\": a coil is true or false");
	*out = cJSON_IsTrue(v);
	return 0;
}

/*
 * "values" or "coils" (@coils): an array of 1..123 registers or 1..1968
 * coils into r->values; the request's addresses must end by 65535.
 */
static int parse_array(struct cmd *c, const cJSON *arr, struct mb_req *r,
		       bool coils)
{
	int max = coils ? MODBUS_MAX_WBITS : MODBUS_MAX_WREGS;
	const char *what = coils ? "coils" : "registers";
	const cJSON *it;
	int n = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;

	if (n < 1 || n > max)
		return dl_fail(c, "\"write\": \"%s\" is an array of 1..%d %s%s",
			       arr->string, max, what,
			       coils ? " (true or false)" : "");
	if (r->addr + n - 1 > 65535)
		return dl_fail(
			c, "\"write\": %d %s from address %u run past 65535", n,
			what, r->addr);
	n = 0;
	cJSON_ArrayForEach(it, arr)
	{
		if ((coils ? coil_value : reg_value)(c, it, &r->values[n++]))
			return -1;
	}
	r->count = (uint16_t)n;
	return 0;
}

static int write_usage(struct cmd *c)
{
	return dl_fail(
		c,
		"\"write\" must be {\"address\":0..65535} and one of \"value\":N, \"values\":[N, ...], \"coil\":true|false, \"coils\":[true|false, ...]");
}

/*
 * The "write" object into @r: "address" and exactly one of "value"
 * (function 6), "values" (16), "coil" (5), "coils" (15).  0 or -1.
 */
static int parse_write(struct cmd *c, const cJSON *w, struct mb_req *r)
{
	static const char *const kinds[] = { "value", "values", "coil",
					     "coils" };
	static const uint8_t fcs[] = { 6, 16, 5, 15 };
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(w, "address");
	const cJSON *it = NULL, *v = NULL;
	size_t k, kind = 0;

	if (!cJSON_IsObject(w))
		return write_usage(c);
	cJSON_ArrayForEach(it, w)
	{
		if (!strcmp(it->string, "address"))
			continue;
		for (k = 0; k < 4 && strcmp(it->string, kinds[k]); k++)
			;
		if (k == 4)
			return dl_fail(c, "\"write\": unknown field \"%s\"",
				       it->string);
		if (v)
			break; /* two of them: the usage below */
		v = it;
		kind = k;
	}
	if (!cJSON_IsNumber(a) || a->valuedouble < 0 ||
	    a->valuedouble > 65535 || a->valuedouble != floor(a->valuedouble) ||
	    !v || it)
		return write_usage(c);
	r->addr = (uint16_t)a->valuedouble;
	r->fc = fcs[kind];
	r->count = 1;
	switch (r->fc) {
	case 6:
		return reg_value(c, v, &r->values[0]);
	case 5:
		return coil_value(c, v, &r->values[0]);
	case 16:
		return parse_array(c, v, r, false);
	default:
		return parse_array(c, v, r, true);
	}
}

int dl_cmd_modbus(struct cmd *c)
{
	static const char *const names[] = { "slave", "write", NULL };
	const cJSON *slave = dl_field(c, "slave"), *w = dl_field(c, "write");
	struct mb_req r = { 0 };
	struct mb_pend *p;
	bool allowed;
	int rc;

	if (dl_only_fields(c, names))
		return -1;
	if (!cJSON_IsNumber(slave) || slave->valuedouble < 1 ||
	    slave->valuedouble > 247 ||
	    slave->valuedouble != floor(slave->valuedouble))
		return dl_fail(c, "\"slave\" must be a Modbus address 1..247");
	if (parse_write(c, w, &r))
		return -1;
	allowed = (is_coils(r.fc) ? dl_allow_modbus_coils : dl_allow_modbus)(
		&c->p->allow, (uint32_t)slave->valuedouble, r.addr, r.count);
	if (!allowed)
		return dl_fail(
			c,
			"not allowed: slave %u %s %u (%u of them) is not in %s of port %s",
			(unsigned int)slave->valuedouble,
			is_coils(r.fc) ? "coil" : "register", r.addr, r.count,
			is_coils(r.fc) ? "downlink_modbus_coils" :
					 "downlink_modbus",
			c->p->pc->name);
	if (!c->dl->modbus || !c->later || !c->later->fn)
		return dl_fail(
			c,
			"not supported: Modbus writes need the Modbus master scheduler, which this build does not have");
	if (dl_cmd_rate(c))
		return -1;
	p = calloc(1, sizeof(*p));
	if (!p)
		return dl_fail(c, "out of memory");
	p->later = *c->later;
	p->reply = c->reply;
	p->stats = c->dl->stats;
	p->slave = (unsigned int)slave->valuedouble;
	snprintf(p->port, sizeof(p->port), "%s", c->p->pc->name);
	cJSON_AddNumberToObject(c->reply, "slave", p->slave);
	cJSON_AddNumberToObject(c->reply, "address", r.addr);
	cJSON_AddNumberToObject(c->reply, "count", r.count);
	cJSON_AddNumberToObject(c->reply, "function", r.fc);
	c->pending = true; /* mb_done owns c->reply from here */
	rc = c->dl->modbus(c->dl->ctx, c->p->pc, (uint8_t)p->slave, r.fc,
			   r.addr, r.values, r.count, mb_done, p);
	if (!rc)
		return 0;
	c->pending = false;
	free(p);
	cJSON_DeleteItemFromObjectCaseSensitive(c->reply, "slave");
	cJSON_DeleteItemFromObjectCaseSensitive(c->reply, "address");
	cJSON_DeleteItemFromObjectCaseSensitive(c->reply, "count");
	cJSON_DeleteItemFromObjectCaseSensitive(c->reply, "function");
	if (rc == -EOPNOTSUPP)
		return dl_fail(
			c,
			"not supported: port %s is no Modbus master (decoder = modbus, mode = master)",
			c->p->pc->name);
	if (rc == -ENOBUFS)
		return dl_fail(
			c, "busy: the Modbus write queue of port %s is full",
			c->p->pc->name);
	return dl_fail(c, "Modbus write refused: %s (%s)", strerror(-rc),
		       strerrorname_np(-rc) ?: "?");
}
