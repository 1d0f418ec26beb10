// SPDX-License-Identifier: GPL-2.0
/*
 * Whole-file checks after parsing: required keys, combinations,
 * references between sections (rule -> port, rule -> output, port ->
 * decoder, which then checks its own keys); lookups by name.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "decode.h"
#include "downlink.h"
#include "encode.h"
#include "log.h"

struct check_state {
	const char *file;
	FILE *err;
	int errors;
};

static void perr(struct check_state *ps, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void perr(struct check_state *ps, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(ps->err, "%s:%d: ", ps->file, line);
	va_start(ap, fmt);
	vfprintf(ps->err, fmt, ap);
	va_end(ap);
	fputc('\n', ps->err);
	ps->errors++;
}

static void *named_find(void *list, size_t name_off, const char *name)
{
	for (void **p = list; p; p = *p)
		if (!strcmp(*(char **)((char *)p + name_off), name))
			return p;
	return NULL;
}

int conf_check(struct agent_conf *c, const char *file, FILE *err)
{
	struct check_state st = { .file = file, .err = err }, *ps = &st;

	if (c->source == SRC_REPLAY && !c->replay_file)
		perr(ps, 1, "[source] type = replay needs file =");
	if (!c->wakeup_bytes != !(c->wakeup_latency > 0))
		perr(ps, 1,
		     "[source] wakeup_bytes and wakeup_latency go together (both set, or neither)");
	else if (c->wakeup_bytes && c->wakeup_bytes > c->ring_size / 2)
		perr(ps, 1,
		     "[source] wakeup_bytes (%u) must be at most half of ring_size (%u)",
		     c->wakeup_bytes, c->ring_size);
	if (c->wakeup_latency > 0 &&
	    (c->wakeup_latency < 1e-6 ||
	     c->wakeup_latency > M2MGW_WAKEUP_USEC_MAX / 1e6))
		perr(ps, 1,
		     "[source] wakeup_latency must be between 1us and %gs",
		     M2MGW_WAKEUP_USEC_MAX / 1e6);
	if (c->spool_segment > c->spool_max / 2)
		perr(ps, 1,
		     "[spool] segment_size (%llu) must be at most half of max_size (%llu)",
		     (unsigned long long)c->spool_segment,
		     (unsigned long long)c->spool_max);
	for (struct port_conf *pc = c->ports; pc; pc = pc->next) {
		const struct decoder_ops *dec;

		if (pc->type == M2MGW_PORT_NONE) {
			perr(ps, pc->line,
			     "[port %s]: type = can or serial is required",
			     pc->name);
			continue;
		}
		if (pc->type == M2MGW_PORT_CAN && pc->tty)
			perr(ps, pc->line,
			     "[port %s]: tty = is for serial ports", pc->name);
		if (pc->type == M2MGW_PORT_SERIAL &&
		    (pc->ifname || pc->nfilters))
			perr(ps, pc->line,
			     "[port %s]: ifname/filters are for CAN ports",
			     pc->name);
		if (pc->type == M2MGW_PORT_SERIAL && pc->create && !pc->tty)
			perr(ps, pc->line,
			     "[port %s]: tty = is required to create a serial port",
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
			perr(ps, pc->decoder_line,
			     "[port %s]: decoder %s cannot decode %s ports",
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
			perr(ps, rc->line,
			     "[rule %s]: port \"%s\" is not defined", rc->name,
			     rc->port);
		if (!rc->output) {
			if (c->outputs && !c->outputs->next)
				rc->output = strdup(c->outputs->name);
			else
				perr(ps, rc->line,
				     "[rule %s]: output = is required",
				     rc->name);
		}
		if (rc->output && !(rc->out = conf_output(c, rc->output)))
			perr(ps, rc->line,
			     "[rule %s]: output \"%s\" is not defined",
			     rc->name, rc->output);
		if (rc->on_change && rc->deadband > 0)
			perr(ps, rc->line,
			     "[rule %s]: on_change and deadband exclude each other",
			     rc->name);
	}
	for (struct output_conf *oc = c->outputs; oc; oc = oc->next) {
		if (oc->type == OUT_MQTT && !oc->host)
			perr(ps, oc->line, "[output %s]: host = is required",
			     oc->name);
		ps->errors += conf_check_output_http(oc, ps->file, ps->err);
		if (!oc->topic)
			oc->topic = strdup("m2mgw/{port}/{signal}");
		if (topic_check(oc->topic))
			perr(ps, oc->line,
			     "[output %s]: topic \"%s\": only {port}, {signal} and {rule} may be expanded, and no + or # wildcards",
			     oc->name, oc->topic);
		if (oc->status_topic && (strpbrk(oc->status_topic, "+#{")))
			perr(ps, oc->line,
			     "[output %s]: status_topic \"%s\" must be a plain topic",
			     oc->name, oc->status_topic);
		if ((oc->tls_cert != NULL) != (oc->tls_key != NULL))
			perr(ps, oc->line,
			     "[output %s]: tls_cert and tls_key go together",
			     oc->name);
		if (oc->backoff_min <= 0 || oc->backoff_max < oc->backoff_min)
			perr(ps, oc->line,
			     "[output %s]: need 0 < backoff_min <= backoff_max",
			     oc->name);
		if (oc->password && !oc->username)
			perr(ps, oc->line,
			     "[output %s]: password without username",
			     oc->name);
		if (oc->command_topic && dl_topic_check(oc->command_topic))
			perr(ps, oc->line,
			     "[output %s]: command_topic \"%s\": needs one level that is exactly {port}, may end in /#, no other wildcards",
			     oc->name, oc->command_topic);
		if (oc->command_result_topic &&
		    (!oc->command_topic ||
		     strpbrk(oc->command_result_topic, "+#") ||
		     dl_topic_check(oc->command_result_topic)))
			perr(ps, oc->line,
			     "[output %s]: command_result_topic \"%s\": needs command_topic, one level {port} and no wildcards",
			     oc->name, oc->command_result_topic);
		if (!oc->client_id) {
			char id[64];

			snprintf(id, sizeof(id), "m2mgwd-%s", oc->name);
			oc->client_id = strdup(id);
		}
	}
	st.errors += dl_conf_check(c, file, err);
	if (!c->rules && !st.errors)
		log_warn("%s: no [rule] sections: nothing will be published",
			 ps->file);
	return st.errors;
}

struct port_conf *conf_port(const struct agent_conf *c, const char *name)
{
	return named_find(c->ports, offsetof(struct port_conf, name), name);
}

struct rule_conf *conf_rule(const struct agent_conf *c, const char *name)
{
	return named_find(c->rules, offsetof(struct rule_conf, name), name);
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
	       str_eq(a->tls_ca, b->tls_ca) &&
	       str_eq(a->tls_cert, b->tls_cert) &&
	       str_eq(a->tls_key, b->tls_key) &&
	       a->tls_insecure == b->tls_insecure && a->qos == b->qos &&
	       a->retain == b->retain &&
	       str_eq(a->status_topic, b->status_topic) &&
	       a->keepalive == b->keepalive &&
	       a->backoff_min == b->backoff_min &&
	       a->backoff_max == b->backoff_max &&
	       a->max_inflight == b->max_inflight &&
	       a->replay_rate == b->replay_rate &&
	       str_eq(a->command_topic, b->command_topic) &&
	       str_eq(a->command_result_topic, b->command_result_topic) &&
	       conf_output_http_equal(a, b);
}
