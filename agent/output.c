// SPDX-License-Identifier: GPL-2.0
/* Output plumbing shared by transports: spool, batch commits, health. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "output.h"

static void flush_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct output *o = container_of(w, struct output, flush);

	(void)loop;
	(void)revents;
	output_commit(o);
}

struct output *output_new(struct agent *ag, struct output_conf *oc, char *err,
			  size_t n)
{
	struct output *o = calloc(1, sizeof(*o));
	char dir[4096];
	struct spool_conf sc = {
		.dir = dir,
		.max_bytes = ag->conf->spool_max,
		.segment_bytes = ag->conf->spool_segment,
		.policy = ag->conf->spool_policy,
	};
	double now = now_mono();

	if (!o)
		return NULL;
	o->ag = ag;
	o->oc = oc;
	o->ops = oc->type == OUT_HTTP ? &output_http_ops : &output_mqtt_ops;
	snprintf(dir, sizeof(dir), "%s/%s", ag->conf->spool_dir, oc->name);
	o->sp = spool_open(&sc, err, n);
	if (!o->sp || err[0]) {
		if (o->sp)
			spool_close(o->sp);
		free(o);
		return NULL;
	}
	ev_timer_init(&o->flush, flush_cb, ag->conf->spool_flush, 0);
	health_init(&o->h_spool, "spool", now);
	health_init(&o->h_send, "output", now);
	if (o->ops->start(o)) {
		snprintf(err, n, "output %s: cannot start", oc->name);
		spool_close(o->sp);
		free(o);
		return NULL;
	}
	return o;
}

void output_free(struct output *o)
{
	if (!o)
		return;
	ev_timer_stop(o->ag->loop, &o->flush);
	output_commit(o);
	o->ops->destroy(o);
	spool_close(o->sp);
	free(o);
}

int output_submit(struct output *o, const char *topic, const char *payload,
		  size_t len)
{
	int rc =
		spool_append(o->sp, topic, payload, len, !o->ops->connected(o));

	if (rc == -ENOSPC) {
		o->ag->drops[DROP_SPOOL_FULL]++;
		log_debug("output %s: spool full, message refused",
			  o->oc->name);
	} else if (rc) {
		o->ag->drops[DROP_SPOOL_ERROR]++;
		log_err("output %s: spool write failed: %s", o->oc->name,
			strerror(-rc));
	} else {
		o->submitted++;
	}
	return rc;
}

int output_commit(struct output *o)
{
	int rc;

	ev_timer_stop(o->ag->loop, &o->flush);
	rc = spool_commit(o->sp);
	if (rc < 0) {
		log_err("output %s: spool fsync failed: %s; retrying",
			o->oc->name, strerror(-rc));
		ev_timer_start(o->ag->loop, &o->flush);
		return rc;
	}
	if (rc > 0 || spool_queued(o->sp, true))
		o->ops->kick(o);
	return rc;
}

void output_batch_end(struct output *o)
{
	if (spool_pending(o->sp) >= o->ag->conf->spool_batch)
		output_commit(o);
	else if (spool_pending(o->sp) && !ev_is_active(&o->flush))
		ev_timer_start(o->ag->loop, &o->flush);
}

bool output_health(struct output *o, double now)
{
	const struct spool_stats *st = spool_stats(o->sp);
	double t = o->ag->conf->stall_timeout;
	bool stalled = false;
	unsigned int queued =
		spool_queued(o->sp, false) + spool_queued(o->sp, true);

	if (health_check(&o->h_spool, st->commits, spool_pending(o->sp) > 0,
			 false, now, t)) {
		output_commit(o);
		stalled = true;
	}
	if (health_check(&o->h_send, st->acked,
			 queued + o->ops->inflight(o) > 0,
			 !o->ops->connected(o), now, t)) {
		o->ops->recover(o);
		stalled = true;
	}
	return stalled;
}

bool output_idle(struct output *o)
{
	return !spool_pending(o->sp) && !spool_queued(o->sp, false) &&
	       !o->ops->inflight(o);
}
