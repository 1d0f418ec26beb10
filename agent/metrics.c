// SPDX-License-Identifier: GPL-2.0
/*
 * Metrics: every counter of the agent, in the log on SIGUSR1 and as
 * Prometheus text (version 0.0.4) over HTTP at GET /metrics, served by
 * libmicrohttpd on the agent's own loop: MHD runs in external-select
 * mode with its epoll fd watched by an ev_io, and an ev_timer for MHD's
 * timeouts, so there is no second thread reading counters.
 */
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "lazylib.h"
#include "log.h"
#include "modbus_sched.h"
#include "output.h"

const char *const drop_names[DROP__MAX] = {
	[DROP_RING_FULL] = "ring_full",
	[DROP_UNKNOWN_PORT] = "unknown_port",
	[DROP_DECODE] = "decode",
	[DROP_ENCODE] = "encode",
	[DROP_SPOOL_FULL] = "spool_full",
	[DROP_SPOOL_OLDEST] = "spool_oldest",
	[DROP_SPOOL_ERROR] = "spool_error",
	[DROP_SPOOL_CORRUPT] = "spool_corrupt",
	[DROP_HTTP_REJECTED] = "http_rejected",
};

struct metrics_http {
	struct agent *ag;
	struct MHD_Daemon *d;
	ev_io io;
	ev_timer timer;
};

struct buf {
	char *p;
	size_t len, cap;
};

static void bprintf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL,
			      b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (b->p && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		b->cap = (b->cap + (size_t)n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			return;
	}
}

static void metric(struct buf *b, const char *name, const char *type,
		   const char *help)
{
	bprintf(b, "# HELP m2mgwd_%s %s\n# TYPE m2mgwd_%s %s\n", name, help,
		name, type);
}

/* The Modbus master schedulers' counters (modbus_sched.h), per port. */
#define MB(f) offsetof(struct modbus_sched_stats, f)
static const struct {
	const char *event;
	size_t off;
} modbus_events[] = {
	{ "requests", MB(requests) },
	{ "responses", MB(responses) },
	{ "retries", MB(retries) },
	{ "timeouts", MB(timeouts) },
	{ "crc_errors", MB(crc_errors) },
	{ "exceptions", MB(exceptions) },
	{ "bad_responses", MB(bad_responses) },
	{ "unexpected", MB(unexpected) },
	{ "tx_errors", MB(tx_errors) },
	{ "tx_busy", MB(tx_busy) },
	{ "merged", MB(merged) },
	{ "skipped", MB(skipped) },
	{ "writes", MB(writes) },
	{ "writes_failed", MB(writes_failed) },
};

static void modbus_metrics(struct agent *ag, struct buf *b)
{
	bool any = false;

	for (unsigned int i = 0; i < ag->nports; i++) {
		struct modbus_sched *s = modbus_sched_of(ag->ports[i].dec);
		const char *st;

		if (!s)
			continue;
		if (!any)
			metric(b, "modbus_total", "counter",
			       "Modbus master exchanges and errors, by event.");
		any = true;
		st = (const char *)modbus_sched_stats(s);
		for (size_t k = 0;
		     k < sizeof(modbus_events) / sizeof(modbus_events[0]); k++)
			bprintf(b,
				"m2mgwd_modbus_total{port=\"%s\",event=\"%s\"} %llu\n",
				ag->ports[i].pc->name, modbus_events[k].event,
				(unsigned long long)*(
					const uint64_t *)(st +
							  modbus_events[k].off));
	}
}

char *metrics_text(struct agent *ag)
{
	const struct agg_stats *as = agg_stats(ag->agg);
	struct buf b = { 0 };
	uint64_t ring_drops = ag->src ? ag->src->dropped(ag->src) : 0;

	metric(&b, "frames_in_total", "counter",
	       "Frames read from the source.");
	bprintf(&b, "m2mgwd_frames_in_total %llu\n",
		(unsigned long long)ag->frames_in);
	metric(&b, "port_frames_total", "counter", "Frames per port.");
	for (unsigned int i = 0; i < ag->nports; i++)
		bprintf(&b, "m2mgwd_port_frames_total{port=\"%s\"} %llu\n",
			ag->ports[i].pc->name,
			(unsigned long long)ag->ports[i].frames);
	metric(&b, "decoded_total", "counter", "Samples decoded from frames.");
	bprintf(&b, "m2mgwd_decoded_total %llu\n",
		(unsigned long long)ag->decoded);
	metric(&b, "reports_total", "counter", "Aggregated reports produced.");
	bprintf(&b, "m2mgwd_reports_total %llu\n",
		(unsigned long long)ag->reports);
	metric(&b, "suppressed_total", "counter",
	       "Windows held back by deadband or on_change.");
	bprintf(&b, "m2mgwd_suppressed_total %llu\n",
		(unsigned long long)as->suppressed);
	metric(&b, "dropped_total", "counter",
	       "Frames or messages dropped, by reason.");
	for (int i = 0; i < DROP__MAX; i++) {
		uint64_t v = ag->drops[i];

		if (i == DROP_RING_FULL)
			v += ring_drops;
		for (struct output *o = ag->outputs; o; o = o->next) {
			if (i == DROP_SPOOL_OLDEST)
				v += spool_stats(o->sp)->dropped_oldest;
			if (i == DROP_SPOOL_CORRUPT)
				v += spool_stats(o->sp)->corrupt;
		}
		bprintf(&b, "m2mgwd_dropped_total{reason=\"%s\"} %llu\n",
			drop_names[i], (unsigned long long)v);
	}
	metric(&b, "published_total", "counter",
	       "Messages handed to the broker.");
	for (struct output *o = ag->outputs; o; o = o->next)
		bprintf(&b,
			"m2mgwd_published_total{output=\"%s\"} %llu\n"
			"m2mgwd_published_total{output=\"%s\",historical=\"1\"} %llu\n",
			o->oc->name, (unsigned long long)o->published,
			o->oc->name, (unsigned long long)o->hist_published);
	metric(&b, "acked_total", "counter",
	       "Messages acknowledged by the broker.");
	for (struct output *o = ag->outputs; o; o = o->next)
		bprintf(&b, "m2mgwd_acked_total{output=\"%s\"} %llu\n",
			o->oc->name, (unsigned long long)o->acked);
	metric(&b, "spool_records", "gauge",
	       "Undelivered messages in the spool.");
	for (struct output *o = ag->outputs; o; o = o->next)
		bprintf(&b, "m2mgwd_spool_records{output=\"%s\"} %llu\n",
			o->oc->name,
			(unsigned long long)spool_stats(o->sp)->records);
	metric(&b, "spool_bytes", "gauge", "Bytes of spool files on disk.");
	for (struct output *o = ag->outputs; o; o = o->next)
		bprintf(&b, "m2mgwd_spool_bytes{output=\"%s\"} %llu\n",
			o->oc->name,
			(unsigned long long)spool_stats(o->sp)->bytes);
	metric(&b, "broker_connected", "gauge",
	       "1 while connected to the broker.");
	for (struct output *o = ag->outputs; o; o = o->next)
		bprintf(&b,
			"m2mgwd_broker_connected{output=\"%s\",state=\"%s\"} %d\n",
			o->oc->name, o->ops->state(o), o->ops->connected(o));
	metric(&b, "broker_connect_failures_total", "counter",
	       "Failed connection attempts (auth = refused credentials).");
	for (struct output *o = ag->outputs; o; o = o->next)
		bprintf(&b,
			"m2mgwd_broker_connect_failures_total{output=\"%s\"} %llu\n"
			"m2mgwd_broker_connect_failures_total{output=\"%s\",cause=\"auth\"} %llu\n",
			o->oc->name, (unsigned long long)o->connect_failures,
			o->oc->name, (unsigned long long)o->auth_failures);
	metric(&b, "http_rejected_batches_total", "counter",
	       "HTTP batches refused with a 4xx and dropped.");
	for (struct output *o = ag->outputs; o; o = o->next)
		if (o->oc->type == OUT_HTTP)
			bprintf(&b,
				"m2mgwd_http_rejected_batches_total{output=\"%s\"} %llu\n",
				o->oc->name,
				(unsigned long long)o->rejected_batches);
	metric(&b, "stage_stalls_total", "counter",
	       "Stalls detected per stage.");
	bprintf(&b,
		"m2mgwd_stage_stalls_total{stage=\"source\"} %llu\n"
		"m2mgwd_stage_stalls_total{stage=\"aggregate\"} %llu\n",
		(unsigned long long)ag->h_source.stalls,
		(unsigned long long)ag->h_aggregate.stalls);
	for (struct output *o = ag->outputs; o; o = o->next)
		bprintf(&b,
			"m2mgwd_stage_stalls_total{stage=\"spool\",output=\"%s\"} %llu\n"
			"m2mgwd_stage_stalls_total{stage=\"output\",output=\"%s\"} %llu\n",
			o->oc->name, (unsigned long long)o->h_spool.stalls,
			o->oc->name, (unsigned long long)o->h_send.stalls);
	modbus_metrics(ag, &b);
	metric(&b, "downlink_commands_total", "counter",
	       "Downlink commands carried out (ok) and refused.");
	bprintf(&b,
		"m2mgwd_downlink_commands_total{result=\"ok\"} %llu\n"
		"m2mgwd_downlink_commands_total{result=\"refused\"} %llu\n",
		(unsigned long long)ag->dl_stats.ok,
		(unsigned long long)ag->dl_stats.refused);
	metric(&b, "reloads_total", "counter",
	       "Configuration reloads (SIGHUP).");
	bprintf(&b,
		"m2mgwd_reloads_total %llu\nm2mgwd_reloads_total{result=\"failed\"} %llu\n",
		(unsigned long long)ag->reloads,
		(unsigned long long)ag->reload_failures);
	return b.p;
}

void metrics_log(struct agent *ag)
{
	char *t = metrics_text(ag), *line, *save;

	if (!t)
		return;
	log_notice("metrics (SIGUSR1):");
	for (line = strtok_r(t, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (line[0] != '#')
			log_notice("  %s", line + strlen("m2mgwd_"));
	free(t);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_len, void **con_cls)
{
	struct metrics_http *m = cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned int status = MHD_HTTP_OK;
	char *body;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)con_cls;
	if (strcmp(method, "GET")) {
		body = strdup("method not allowed\n");
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
	} else if (strcmp(url, "/metrics")) {
		body = strdup("not found; try /metrics\n");
		status = MHD_HTTP_NOT_FOUND;
	} else {
		body = metrics_text(m->ag);
	}
	if (!body)
		return MHD_NO;
	resp = libmhd.create_response_from_buffer(strlen(body), body,
						  MHD_RESPMEM_MUST_FREE);
	libmhd.add_response_header(resp, "Content-Type",
				   "text/plain; version=0.0.4");
	ret = libmhd.queue_response(c, status, resp);
	libmhd.destroy_response(resp);
	return ret;
}

static void mhd_run(struct metrics_http *m)
{
	MHD_UNSIGNED_LONG_LONG to;

	libmhd.run(m->d);
	ev_timer_stop(m->ag->loop, &m->timer);
	if (libmhd.get_timeout(m->d, &to) == MHD_YES) {
		ev_timer_set(&m->timer, (double)to / 1000.0, 0);
		ev_timer_start(m->ag->loop, &m->timer);
	}
}

static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	mhd_run(container_of(w, struct metrics_http, io));
}

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	mhd_run(container_of(w, struct metrics_http, timer));
}

struct metrics_http *metrics_http_start(struct agent *ag, const char *listen,
					char *err, size_t n)
{
	struct metrics_http *m = calloc(1, sizeof(*m));
	struct sockaddr_in sin = { .sin_family = AF_INET };
	const union MHD_DaemonInfo *info;
	char host[64], why[256];
	unsigned int port;

	if (!m)
		return NULL;
	if (sscanf(listen, "%63[^:]:%u", host, &port) != 2 || port > 65535 ||
	    inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
		snprintf(err, n, "metrics_listen \"%s\": want IPv4:PORT",
			 listen);
		free(m);
		return NULL;
	}
	if (libmhd_load(why, sizeof(why))) {
		snprintf(err, n, "metrics_listen \"%s\": %s", listen, why);
		free(m);
		return NULL;
	}
	sin.sin_port = htons((uint16_t)port);
	m->ag = ag;
	m->d = libmhd.start_daemon(MHD_USE_EPOLL, (uint16_t)port, NULL, NULL,
				   handle, m, MHD_OPTION_SOCK_ADDR, &sin,
				   MHD_OPTION_CONNECTION_TIMEOUT, 10U,
				   MHD_OPTION_END);
	info = m->d ? libmhd.get_daemon_info(m->d, MHD_DAEMON_INFO_EPOLL_FD) :
		      NULL;
	if (!info) {
		snprintf(err, n, "metrics: cannot listen on %s: %s", listen,
			 strerror(errno));
		if (m->d)
			libmhd.stop_daemon(m->d);
		free(m);
		return NULL;
	}
	ev_io_init(&m->io, io_cb, info->epoll_fd, EV_READ);
	ev_timer_init(&m->timer, timer_cb, 0, 0);
	ev_io_start(ag->loop, &m->io);
	log_info("metrics: Prometheus text at http://%s/metrics", listen);
	return m;
}

void metrics_http_stop(struct metrics_http *m)
{
	if (!m)
		return;
	ev_io_stop(m->ag->loop, &m->io);
	ev_timer_stop(m->ag->loop, &m->timer);
	libmhd.stop_daemon(m->d);
	free(m);
}
