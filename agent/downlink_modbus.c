// SPDX-License-Identifier: GPL-2.0
/*
 * Modbus register writes from the downlink:
 *
 *   {"slave":1,"write":{"address":10,"value":7}}         function 6
 *   {"slave":1,"write":{"address":10,"values":[1,2,3]}}  function 16
 *
 * Values are 0..65535, or -32768..-1 for a signed register.  They go
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

#define MB_MAX_REGS 123 /* function 16 */

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

/* The "write" object into @regs; the count or -1. */
static int parse_write(struct cmd *c, const cJSON *w, uint16_t *addr,
		       uint16_t *regs)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(w, "address");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(w, "value");
	const cJSON *vs = cJSON_GetObjectItemCaseSensitive(w, "values");
	const cJSON *it;
	int n = 0;

	if (!cJSON_IsObject(w) || !cJSON_IsNumber(a) || a->valuedouble < 0 ||
	    a->valuedouble > 65535 || a->valuedouble != floor(a->valuedouble) ||
	    !v == !vs)
		return dl_fail(
			c,
			"\"write\" must be {\"address\":0..65535, \"value\":N} or {\"address\":A, \"values\":[N, ...]}");
	cJSON_ArrayForEach(it, w)
	{
		if (strcmp(it->string, "address") &&
		    strcmp(it->string, "value") && strcmp(it->string, "values"))
			return dl_fail(c, "\"write\": unknown field \"%s\"",
				       it->string);
	}
	*addr = (uint16_t)a->valuedouble;
	if (v)
		return reg_value(c, v, &regs[0]) ? -1 : 1;
	if (!cJSON_IsArray(vs) || !cJSON_GetArraySize(vs) ||
	    cJSON_GetArraySize(vs) > MB_MAX_REGS)
		return dl_fail(
			c,
			"\"write\": \"values\" is an array of 1..%d registers",
			MB_MAX_REGS);
	cJSON_ArrayForEach(it, vs)
	{
		if (reg_value(c, it, &regs[n++]))
			return -1;
	}
	if (*addr + n - 1 > 65535)
		return dl_fail(c, "\"write\": registers past 65535");
	return n;
}

int dl_cmd_modbus(struct cmd *c)
{
	static const char *const names[] = { "slave", "write", NULL };
	const cJSON *slave = dl_field(c, "slave"), *w = dl_field(c, "write");
	uint16_t regs[MB_MAX_REGS], addr = 0;
	struct mb_pend *p;
	int n, rc;

	if (dl_only_fields(c, names))
		return -1;
	if (!cJSON_IsNumber(slave) || slave->valuedouble < 1 ||
	    slave->valuedouble > 247 ||
	    slave->valuedouble != floor(slave->valuedouble))
		return dl_fail(c, "\"slave\" must be a Modbus address 1..247");
	n = parse_write(c, w, &addr, regs);
	if (n < 0)
		return -1;
	if (!dl_allow_modbus(&c->p->allow, (uint32_t)slave->valuedouble, addr,
			     (uint32_t)n))
		return dl_fail(
			c,
			"not allowed: slave %u register %u (%d of them) is not in downlink_modbus of port %s",
			(unsigned int)slave->valuedouble, addr, n,
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
	cJSON_AddNumberToObject(c->reply, "address", addr);
	cJSON_AddNumberToObject(c->reply, "count", n);
	c->pending = true; /* mb_done owns c->reply from here */
	rc = c->dl->modbus(c->dl->ctx, c->p->pc, (uint8_t)p->slave,
			   n == 1 && !cJSON_GetObjectItem(w, "values") ? 6 : 16,
			   addr, regs, (uint16_t)n, mb_done, p);
	if (!rc)
		return 0;
	c->pending = false;
	free(p);
	cJSON_DeleteItemFromObjectCaseSensitive(c->reply, "slave");
	cJSON_DeleteItemFromObjectCaseSensitive(c->reply, "address");
	cJSON_DeleteItemFromObjectCaseSensitive(c->reply, "count");
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
