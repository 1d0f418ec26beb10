// SPDX-License-Identifier: GPL-2.0
/*
 * Ring source: one /dev/m2mgw reader (lib/m2mgw_ring.h), subscribed to
 * every configured port.  On readiness the ring is drained in batches
 * of [source] batch records through m2mgw_ring_consume(), which
 * publishes the consumer position once per batch; between batches the
 * loop runs (outputs, timers) so a flood cannot starve them.  Reloads
 * keep the ring open: new ports are subscribed, removed ones
 * unsubscribed, no record is lost in between.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "ports.h"

struct ring_src {
	struct source base;
	struct agent *ag;
	struct m2mgw_ring ring;
	ev_io io;
	ev_idle more; /* a batch was full: continue next turn */
	uint64_t dropped_seen;
};

static int on_rec(void *ctx, const struct m2mgw_rec *rec)
{
	struct ring_src *r = ctx;

	pipeline_record(r->ag, pipeline_port_by_id(r->ag, rec->port_id), rec);
	return 0;
}

static void drain(struct ring_src *r)
{
	unsigned int batch = r->ag->conf->ring_batch;
	int n = m2mgw_ring_consume(&r->ring, on_rec, r, batch);
	uint64_t d = m2mgw_ring_dropped(&r->ring);

	if (d != r->dropped_seen) {
		log_warn(
			"ring: %llu records lost because the ring was full (ring_size too small or agent too slow)",
			(unsigned long long)(d - r->dropped_seen));
		r->dropped_seen = d;
	}
	if (n > 0)
		pipeline_batch_end(r->ag);
	if (n == (int)batch)
		ev_idle_start(r->ag->loop, &r->more);
	else
		ev_idle_stop(r->ag->loop, &r->more);
}

static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	drain(container_of(w, struct ring_src, io));
}

static void more_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	(void)loop;
	(void)revents;
	drain(container_of(w, struct ring_src, more));
}

static bool ring_waiting(struct source *s)
{
	struct ring_src *r = container_of(s, struct ring_src, base);

	return m2mgw_ring_pending(&r->ring) > 0;
}

static uint64_t ring_dropped(struct source *s)
{
	struct ring_src *r = container_of(s, struct ring_src, base);

	return m2mgw_ring_dropped(&r->ring);
}

static void ring_kick(struct source *s)
{
	drain(container_of(s, struct ring_src, base));
}

/*
 * Reload: resolve/create the new port set and subscribe it before the
 * pipeline switches to it; ports that are gone from the config are
 * unsubscribed.  Frames keep arriving in the ring meanwhile.
 */
static int ring_ports_changed(struct source *s, struct port_rt *ports,
			      unsigned int n, const struct port_rt *old,
			      unsigned int nold)
{
	struct ring_src *r = container_of(s, struct ring_src, base);
	char err[512];

	if (ports_setup(ports, n, err, sizeof(err)) ||
	    ports_subscribe(ports, n, &r->ring, err, sizeof(err))) {
		log_err("reload: %s", err);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < nold; i++) {
		bool kept = false;

		for (unsigned int j = 0; j < n; j++)
			kept |= ports[j].port_id == old[i].port_id;
		if (!kept && m2mgw_ring_unsubscribe(&r->ring, old[i].port_id))
			log_warn("reload: unsubscribe port %u: %s",
				 old[i].port_id, strerror(errno));
	}
	return 0;
}

/* One whole record per write(): the kernel sends all of it or none. */
static int ring_tx(struct source *s, uint32_t port_id, uint16_t type,
		   const void *payload, uint32_t len)
{
	struct ring_src *r = container_of(s, struct ring_src, base);
	uint64_t buf[(M2MGW_REC_HDR_LEN + M2MGW_SERIAL_MAXLEN) / 8 + 1];
	size_t n =
		m2mgw_rec_build(buf, sizeof(buf), port_id, type, payload, len);
	ssize_t w;

	if (!n)
		return -EMSGSIZE;
	w = write(r->ring.fd, buf, n);
	if (w < 0)
		return -errno;
	return (size_t)w == n ? 0 : -EIO;
}

static void ring_destroy(struct source *s)
{
	struct ring_src *r = container_of(s, struct ring_src, base);

	ev_io_stop(r->ag->loop, &r->io);
	ev_idle_stop(r->ag->loop, &r->more);
	m2mgw_ring_close(&r->ring);
	free(r);
}

struct source *source_ring_new(struct agent *ag, char *err, size_t n)
{
	struct ring_src *r = calloc(1, sizeof(*r));
	int rc;

	if (!r)
		return NULL;
	rc = m2mgw_ring_open(&r->ring, NULL, ag->conf->ring_size);
	if (rc) {
		snprintf(err, n, "ring: %s: %s%s", M2MGW_DEV_PATH,
			 strerror(-rc),
			 rc == -ENOENT ? " (is the m2mgw module loaded?)" :
			 rc == -EACCES ? " (is the agent in group m2mgw?)" :
					 "");
		free(r);
		return NULL;
	}
	r->ag = ag;
	if (ag->conf->wakeup_bytes) {
		rc = m2mgw_ring_set_wakeup(
			&r->ring, ag->conf->wakeup_bytes,
			(uint32_t)(ag->conf->wakeup_latency * 1e6 + 0.5));
		if (rc) {
			snprintf(err, n, "ring: wakeup %u bytes / %g s: %s",
				 ag->conf->wakeup_bytes,
				 ag->conf->wakeup_latency, strerror(-rc));
			m2mgw_ring_close(&r->ring);
			free(r);
			return NULL;
		}
	}
	/* Ports first: their ids are what the ring subscribes to. */
	if (ports_setup(ag->ports, ag->nports, err, n) ||
	    ports_subscribe(ag->ports, ag->nports, &r->ring, err, n)) {
		m2mgw_ring_close(&r->ring);
		free(r);
		return NULL;
	}
	r->base.kind = "ring";
	r->base.waiting = ring_waiting;
	r->base.dropped = ring_dropped;
	r->base.kick = ring_kick;
	r->base.ports_changed = ring_ports_changed;
	r->base.destroy = ring_destroy;
	r->base.tx = ring_tx;
	ev_io_init(&r->io, io_cb, r->ring.fd, EV_READ);
	ev_idle_init(&r->more, more_cb);
	ev_io_start(ag->loop, &r->io);
	/* Records may already be waiting. */
	drain(r);
	return &r->base;
}
