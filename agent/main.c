// SPDX-License-Identifier: GPL-2.0
/*
 * m2mgwd: M2M frames from the m2mgw module (or a candump log) to MQTT,
 * through decoders, aggregation and a crash-safe spool.  See m2mgwd(8).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "output.h"
#include "systemd.h"

#ifndef M2MGWD_VERSION
#define M2MGWD_VERSION "0"
#endif
#define DEFAULT_CONF "/etc/m2mgw/m2mgwd.conf"

double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void finish(struct agent *ag)
{
	for (struct output *o = ag->outputs; o; o = o->next)
		o->ops->shutdown(o);
	ev_timer_stop(ag->loop, &ag->drain);
	ev_break(ag->loop, EVBREAK_ALL);
}

static void drain_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct agent *ag = container_of(w, struct agent, drain);
	bool idle = true;

	(void)loop;
	(void)revents;
	for (struct output *o = ag->outputs; o; o = o->next)
		if (o->ops->connected(o) && !output_idle(o))
			idle = false;
	if (idle || now_mono() >= ag->drain_deadline) {
		if (!idle)
			log_warn(
				"drain: timeout; undelivered messages stay in the spool");
		finish(ag);
	}
}

static void sigterm_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct agent *ag = container_of(w, struct agent, sig_term);

	(void)revents;
	if (ag->draining)
		return;
	log_notice("%s: draining", strsignal(w->signum));
	systemd_notify("STOPPING=1");
	ag->draining = true;
	if (ag->src) {
		ag->src->destroy(ag->src);
		ag->src = NULL;
	}
	agg_flush(ag->agg);
	for (struct output *o = ag->outputs; o; o = o->next)
		output_commit(o);
	ag->drain_deadline = now_mono() + ag->conf->drain_timeout;
	ev_timer_set(&ag->drain, 0, 0.05);
	ev_timer_again(loop, &ag->drain);
}

static void sigint_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct agent *ag = container_of(w, struct agent, sig_int);

	sigterm_cb(loop, &ag->sig_term, revents);
}

static void sighup_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct agent *ag = container_of(w, struct agent, sig_hup);
	struct agent_conf *nc;

	(void)loop;
	(void)revents;
	if (ag->draining)
		return;
	log_notice("SIGHUP: reloading %s", ag->conf_path);
	nc = conf_load(ag->conf_path, stderr);
	if (!nc) {
		ag->reload_failures++;
		log_err("reload: %s has errors (above); keeping the running configuration",
			ag->conf_path);
		return;
	}
	systemd_notify("RELOADING=1");
	if (pipeline_reload(ag, nc)) {
		ag->reload_failures++;
		log_err("reload: could not apply the new configuration; keeping the old one");
		conf_free(nc);
	} else {
		ag->reloads++;
		log_max_level = ag->conf->log_level;
		log_notice("reload: done");
	}
	systemd_notify("READY=1");
}

static void sigusr1_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)revents;
	metrics_log(container_of(w, struct agent, sig_usr1));
}

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct agent *ag = container_of(w, struct agent, tick);
	double now = now_mono(), t = ag->conf->stall_timeout;
	bool stalled = false;

	(void)loop;
	(void)revents;
	agg_tick(ag->agg, now);
	if (ag->src && health_check(&ag->h_source, ag->frames_in,
				    ag->src->waiting(ag->src), false, now, t))
		ag->src->kick(ag->src);
	if (health_check(&ag->h_aggregate,
			 agg_stats(ag->agg)->reports +
				 agg_stats(ag->agg)->suppressed,
			 agg_overdue(ag->agg, now) > 0, false, now, t))
		agg_flush(ag->agg);
	/* Reports of windows closed above still need their batch commit. */
	pipeline_batch_end(ag);
	for (struct output *o = ag->outputs; o; o = o->next) {
		output_health(o, now);
		stalled |= o->h_spool.state == H_STALLED ||
			   o->h_send.state == H_STALLED;
	}
	stalled |= ag->h_source.state == H_STALLED ||
		   ag->h_aggregate.state == H_STALLED;
	/* The watchdog is fed only while no stage is stalled: a stage
	 * that stays stuck after its recovery gets the service restarted. */
	if (!stalled)
		systemd_notify("WATCHDOG=1");
}

static int spool_list(const char *dir)
{
	struct spool_conf sc = { .dir = dir,
				 .max_bytes = UINT64_MAX,
				 .segment_bytes = 1 << 30 };
	char err[512];
	struct spool *sp = spool_open(&sc, err, sizeof(err));
	struct spool_rec *r;

	if (!sp || err[0]) {
		fprintf(stderr, "m2mgwd: %s\n", err);
		if (sp)
			spool_close(sp);
		return 1;
	}
	while ((r = spool_peek(sp, true))) {
		const char *topic, *payload;
		size_t len;
		void *buf;

		if (!spool_read(sp, r, &buf, &topic, &payload, &len)) {
			printf("%llu %s %s\n",
			       (unsigned long long)spool_rec_seq(r), topic,
			       payload);
			free(buf);
		} else {
			continue;
		}
		spool_take(sp, r);
	}
	fprintf(stderr, "m2mgwd: %llu undelivered, %llu corrupt\n",
		(unsigned long long)spool_stats(sp)->recovered,
		(unsigned long long)spool_stats(sp)->corrupt);
	spool_close(sp);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: m2mgwd [-c FILE] [-t] [-v LEVEL]\n"
		"       m2mgwd --spool-list DIR\n"
		"       m2mgwd --version\n"
		"  -c, --config FILE   configuration (default " DEFAULT_CONF
		")\n"
		"  -t, --test          check the configuration and exit (0 good, 2 bad)\n"
		"  -v, --log-level L   error, warn, notice, info, debug (overrides the file)\n"
		"      --spool-list DIR  print the undelivered messages of a spool\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "test", no_argument, NULL, 't' },
		{ "log-level", required_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "spool-list", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct agent ag = { .conf_path = DEFAULT_CONF };
	int c, test = 0, level = -1;
	uint64_t wd_usec;
	char err[512] = "";

	log_init();
	while ((c = getopt_long(argc, argv, "c:tv:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			ag.conf_path = optarg;
			break;
		case 't':
			test = 1;
			break;
		case 'v':
			level = log_level_parse(optarg);
			if (level < 0) {
				usage(stderr);
				return 2;
			}
			break;
		case 'V':
			printf("m2mgwd %s (m2mgw uapi %d)\n", M2MGWD_VERSION,
			       M2MGW_UAPI_VERSION);
			return 0;
		case 'S':
			return spool_list(optarg);
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	ag.conf = conf_load(ag.conf_path, stderr);
	if (!ag.conf)
		return 2;
	if (test) {
		printf("%s: configuration is valid\n", ag.conf_path);
		conf_free(ag.conf);
		return 0;
	}
	log_max_level = level >= 0 ? level : ag.conf->log_level;
	srand48((long)getpid() ^ (long)time(NULL));
	signal(SIGPIPE, SIG_IGN);
	ag.loop = ev_default_loop(EVFLAG_AUTO);
	health_init(&ag.h_source, "source", now_mono());
	health_init(&ag.h_aggregate, "aggregate", now_mono());
	if (pipeline_start(&ag))
		goto err;
	ag.src = ag.conf->source == SRC_REPLAY ?
			 source_replay_new(&ag, err, sizeof(err)) :
			 source_ring_new(&ag, err, sizeof(err));
	if (!ag.src) {
		log_err("%s", err[0] ? err : "source: out of memory");
		goto err;
	}
	if (ag.conf->metrics_listen) {
		ag.http = metrics_http_start(&ag, ag.conf->metrics_listen, err,
					     sizeof(err));
		if (!ag.http) {
			log_err("%s", err);
			goto err;
		}
	}
	ev_signal_init(&ag.sig_term, sigterm_cb, SIGTERM);
	ev_signal_init(&ag.sig_int, sigint_cb, SIGINT);
	ev_signal_init(&ag.sig_hup, sighup_cb, SIGHUP);
	ev_signal_init(&ag.sig_usr1, sigusr1_cb, SIGUSR1);
	ev_signal_start(ag.loop, &ag.sig_term);
	ev_signal_start(ag.loop, &ag.sig_int);
	ev_signal_start(ag.loop, &ag.sig_hup);
	ev_signal_start(ag.loop, &ag.sig_usr1);
	ev_timer_init(&ag.drain, drain_cb, 0, 0.05);
	/* Tick at 1 Hz, faster if the watchdog asks for it. */
	wd_usec = systemd_watchdog_usec();
	if (wd_usec && wd_usec < 2000000)
		ev_timer_init(&ag.tick, tick_cb, (double)wd_usec / 2e6,
			      (double)wd_usec / 2e6);
	else
		ev_timer_init(&ag.tick, tick_cb, 1, 1);
	ev_timer_start(ag.loop, &ag.tick);
	log_notice("m2mgwd %s started (%s source, %u ports)", M2MGWD_VERSION,
		   ag.src->kind, ag.nports);
	systemd_notify("READY=1");
	ev_run(ag.loop, 0);
	ag.exit_code = 0;
	log_notice("m2mgwd stopped");
	goto out;
err:
	ag.exit_code = 1;
out:
	if (ag.src)
		ag.src->destroy(ag.src);
	metrics_http_stop(ag.http);
	if (ag.agg || ag.outputs)
		pipeline_stop(&ag);
	conf_free(ag.conf);
	return ag.exit_code;
}
