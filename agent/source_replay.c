// SPDX-License-Identifier: GPL-2.0
/*
 * Replay source: a candump -L log ("(1700000000.123456) vcan0 123#0A0B",
 * CAN FD "123##1AABB", remote "123#R") fed through the same pipeline as
 * ring records, with the log's time stamps as capture times.  Interfaces
 * are matched to [port] sections by ifname (or port name); each port
 * gets sequence numbers from 0 in log order.  speed = 1 replays in real
 * time, 2 twice as fast, 0 as fast as possible (in batches, yielding to
 * the loop between them so outputs keep up).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <linux/can.h>

#include "agent.h"
#include "candump.h"
#include "log.h"

struct port_seq {
	struct port_seq *next;
	char ifname[IFNAMSIZ];
	uint64_t seq;
};

struct replay {
	struct source base;
	struct agent *ag;
	FILE *f;
	ev_timer timer;
	unsigned long lineno;
	double t0_log, t0_wall; /* real-time pacing */
	bool have_pending;
	char pending_if[IFNAMSIZ];
	/* One record: header then a CAN (FD) frame, 8-byte aligned. */
	uint8_t recbuf[CANDUMP_REC_MAX] __attribute__((aligned(8)));
	struct m2mgw_rec *rec; /* = recbuf */
	struct port_seq *seqs;
	uint64_t lines, bad;
};

static uint64_t next_seq(struct replay *r, const char *ifname)
{
	struct port_seq *s;

	for (s = r->seqs; s && strcmp(s->ifname, ifname); s = s->next)
		;
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return 0;
		strcpy(s->ifname, ifname);
		s->next = r->seqs;
		r->seqs = s;
	}
	return s->seq++;
}

static void deliver(struct replay *r)
{
	struct port_rt *port = pipeline_port_by_ifname(r->ag, r->pending_if);

	r->rec->seq = next_seq(r, r->pending_if);
	r->rec->port_id = port ? port->port_id : 0;
	pipeline_record(r->ag, port, r->rec);
	r->have_pending = false;
}

static void replay_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct replay *r = container_of(w, struct replay, timer);
	double speed = r->ag->conf->replay_speed;
	unsigned int batch = r->ag->conf->ring_batch;
	char line[512];

	(void)revents;
	for (unsigned int i = 0; i < batch; i++) {
		double t, due;

		if (!r->have_pending) {
			if (!fgets(line, sizeof(line), r->f)) {
				if (r->ag->conf->replay_loop && r->lines) {
					rewind(r->f);
					r->t0_wall = 0;
					continue;
				}
				log_notice(
					"replay: end of %s after %llu frames",
					r->ag->conf->replay_file,
					(unsigned long long)r->lines);
				r->base.eof = true;
				pipeline_batch_end(r->ag);
				return;
			}
			r->lineno++;
			if (line[0] == '\n' || line[0] == '#')
				continue;
			if (candump_parse(line, r->rec, r->pending_if, &t)) {
				r->bad++;
				r->ag->drops[DROP_DECODE]++;
				log_warn(
					"replay: %s:%lu: not a candump -L line",
					r->ag->conf->replay_file, r->lineno);
				continue;
			}
			r->lines++;
			r->have_pending = true;
			if (speed > 0 && !r->t0_wall) {
				r->t0_wall = now_mono();
				r->t0_log = t;
			}
			if (speed > 0) {
				due = r->t0_wall + (t - r->t0_log) / speed;
				if (due > now_mono()) {
					pipeline_batch_end(r->ag);
					ev_timer_set(w, due - now_mono(), 0);
					ev_timer_start(loop, w);
					return;
				}
			}
		}
		deliver(r);
	}
	pipeline_batch_end(r->ag);
	ev_timer_set(w, 0, 0);
	ev_timer_start(loop, w);
}

static bool replay_waiting(struct source *s)
{
	struct replay *r = container_of(s, struct replay, base);

	return !s->eof && !ev_is_active(&r->timer);
}

static uint64_t replay_dropped(struct source *s)
{
	(void)s;
	return 0;
}

static void replay_kick(struct source *s)
{
	struct replay *r = container_of(s, struct replay, base);

	if (!s->eof && !ev_is_active(&r->timer)) {
		ev_timer_set(&r->timer, 0, 0);
		ev_timer_start(r->ag->loop, &r->timer);
	}
}

static void replay_destroy(struct source *s)
{
	struct replay *r = container_of(s, struct replay, base);

	ev_timer_stop(r->ag->loop, &r->timer);
	while (r->seqs) {
		struct port_seq *n = r->seqs->next;

		free(r->seqs);
		r->seqs = n;
	}
	fclose(r->f);
	free(r);
}

struct source *source_replay_new(struct agent *ag, char *err, size_t n)
{
	struct replay *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->f = fopen(ag->conf->replay_file, "r");
	if (!r->f) {
		snprintf(err, n, "replay: %s: %s", ag->conf->replay_file,
			 strerror(errno));
		free(r);
		return NULL;
	}
	r->ag = ag;
	r->rec = (struct m2mgw_rec *)r->recbuf;
	r->base.kind = "replay";
	r->base.waiting = replay_waiting;
	r->base.dropped = replay_dropped;
	r->base.kick = replay_kick;
	r->base.destroy = replay_destroy;
	ev_timer_init(&r->timer, replay_cb, 0, 0);
	ev_timer_start(ag->loop, &r->timer);
	return &r->base;
}
