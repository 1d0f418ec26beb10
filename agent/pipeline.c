// SPDX-License-Identifier: GPL-2.0
/*
 * The pipeline between a source and the outputs: per-port decoders, the
 * aggregator, encoders and topic templates; and the SIGHUP swap of all
 * of these while the source (and the kernel ring) stay open.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "downlink.h"
#include "encode.h"
#include "log.h"
#include "modbus_sched.h"
#include "output.h"

struct emit_ctx {
	struct agent *ag;
	struct port_rt *port;
};

static void on_report(void *ctx, const struct report *r)
{
	struct agent *ag = ctx;
	struct output *o;
	char topic[1024], *payload;

	ag->reports++;
	for (o = ag->outputs; o && o->oc != r->rule->out; o = o->next)
		;
	if (!o)
		return;
	payload = encode_report(o->oc->encoding, r);
	if (!payload ||
	    topic_expand(topic, sizeof(topic), o->oc->topic, r) < 0) {
		ag->drops[DROP_ENCODE]++;
		free(payload);
		return;
	}
	output_submit(o, topic, payload, strlen(payload));
	free(payload);
}

static void on_sample(void *ctx, const struct sample *s)
{
	struct emit_ctx *e = ctx;

	e->ag->decoded++;
	e->port->samples++;
	agg_sample(e->ag->agg, e->port->pc->name, s, now_mono());
}

void pipeline_record(struct agent *ag, struct port_rt *port,
		     const struct m2mgw_rec *rec)
{
	struct emit_ctx e = { ag, port };
	int rc;

	ag->frames_in++;
	if (!port) {
		ag->drops[DROP_UNKNOWN_PORT]++;
		return;
	}
	port->frames++;
	rc = port->dec->ops->decode(port->dec, rec, on_sample, &e);
	if (rc < 0) {
		port->decode_errors++;
		ag->drops[DROP_DECODE]++;
		log_debug("port %s: frame seq %llu not decoded: %s",
			  port->pc->name, (unsigned long long)rec->seq,
			  strerror(-rc));
	}
}

void pipeline_batch_end(struct agent *ag)
{
	for (struct output *o = ag->outputs; o; o = o->next)
		output_batch_end(o);
}

struct port_rt *pipeline_port_by_id(struct agent *ag, uint32_t id)
{
	for (unsigned int i = 0; i < ag->nports; i++)
		if (ag->ports[i].port_id == id)
			return &ag->ports[i];
	return NULL;
}

struct port_rt *pipeline_port_by_ifname(struct agent *ag, const char *ifname)
{
	for (unsigned int i = 0; i < ag->nports; i++) {
		const struct port_conf *pc = ag->ports[i].pc;

		if ((pc->ifname && !strcmp(pc->ifname, ifname)) ||
		    (pc->tty && !strcmp(pc->tty, ifname)) ||
		    !strcmp(pc->name, ifname))
			return &ag->ports[i];
	}
	return NULL;
}

/*
 * decoder_env->tx: one record to the module's TX path on the source's
 * /dev/m2mgw file (O_NONBLOCK: a full tty gives -EAGAIN and nothing is
 * sent; the decoder tries again later).  Decoders are created before
 * the ring source resolves port ids, so the id is the port's current
 * one, not the @port_id the decoder was given.
 */
static int port_tx(void *ctx, uint32_t port_id, uint16_t type,
		   const void *payload, uint32_t len)
{
	struct port_rt *rt = ctx;
	struct source *src = rt->ag->src;

	(void)port_id;
	if (!src || !src->tx)
		return -EOPNOTSUPP;
	if (rt->port_id == M2MGW_PORT_ALL)
		return -ENODEV;
	return src->tx(src, rt->port_id, type, payload, len);
}

/* Decoders for every port of @c; port ids are kept from @old by name. */
static int ports_build(struct agent *ag, struct agent_conf *c,
		       struct port_rt **out, unsigned int *nout)
{
	unsigned int n = 0, i = 0;
	struct port_rt *ports;

	for (struct port_conf *pc = c->ports; pc; pc = pc->next)
		n++;
	ports = calloc(n ? n : 1, sizeof(*ports));
	if (!ports)
		return -ENOMEM;
	for (struct port_conf *pc = c->ports; pc; pc = pc->next, i++) {
		const struct decoder_ops *ops = decoder_find(pc->decoder);
		struct decoder_env env = { .loop = ag->loop,
					   .tx = port_tx,
					   .tx_ctx = &ports[i] };
		struct port_rt *old = NULL;

		for (unsigned int j = 0; j < ag->nports; j++)
			if (!strcmp(ag->ports[j].pc->name, pc->name))
				old = &ag->ports[j];
		ports[i].pc = pc;
		ports[i].ag = ag;
		/* Resolved by the ring source through netlink. */
		ports[i].port_id = old ? old->port_id : M2MGW_PORT_ALL;
		env.port_id = ports[i].port_id;
		ports[i].dec = ops->create(pc, &env);
		if (!ports[i].dec) {
			log_err("port %s: decoder %s failed to start", pc->name,
				ops->name);
			while (i--)
				ports[i].dec->ops->destroy(ports[i].dec);
			free(ports);
			return -EINVAL;
		}
	}
	*out = ports;
	*nout = n;
	return 0;
}

/* Downlink frames go out through the source (the ring's write()). */
static int dl_tx(void *ctx, const struct port_conf *pc, uint16_t type,
		 const void *payload, uint32_t len)
{
	struct agent *ag = ctx;

	for (unsigned int i = 0; i < ag->nports; i++) {
		uint32_t id = ag->ports[i].port_id;

		if (strcmp(ag->ports[i].pc->name, pc->name))
			continue;
		if (!ag->src || !ag->src->tx)
			return -EOPNOTSUPP; /* replay source */
		if (id == M2MGW_PORT_ALL)
			return -ENODEV;
		return ag->src->tx(ag->src, id, type, payload, len);
	}
	return -ENODEV;
}

/* Downlink Modbus writes: queued on the port's master scheduler. */
static int dl_modbus(void *ctx, const struct port_conf *pc, uint8_t slave,
		     uint8_t fc, uint16_t addr, const uint16_t *values,
		     uint16_t count, dl_modbus_done_fn done, void *done_ctx)
{
	struct agent *ag = ctx;

	for (unsigned int i = 0; i < ag->nports; i++) {
		struct modbus_sched *s;

		if (strcmp(ag->ports[i].pc->name, pc->name))
			continue;
		s = modbus_sched_of(ag->ports[i].dec);
		if (!s)
			return -EOPNOTSUPP;
		return modbus_sched_write(s, slave, fc, addr, values, count,
					  done, done_ctx);
	}
	return -ENODEV;
}

static void ports_free(struct port_rt *ports, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		ports[i].dec->ops->destroy(ports[i].dec);
	free(ports);
}

int pipeline_start(struct agent *ag)
{
	char err[512] = "";

	if (ports_build(ag, ag->conf, &ag->ports, &ag->nports))
		return -EINVAL;
	ag->dl = downlink_new(ag->conf, dl_tx, dl_modbus, ag, &ag->dl_stats);
	if (!ag->dl)
		return -EINVAL;
	ag->agg = agg_new(ag->conf, on_report, ag);
	if (!ag->agg)
		return -ENOMEM;
	for (struct output_conf *oc = ag->conf->outputs; oc; oc = oc->next) {
		struct output *o = output_new(ag, oc, err, sizeof(err));

		if (!o) {
			log_err("output %s: %s", oc->name, err);
			return -EIO;
		}
		o->next = ag->outputs;
		ag->outputs = o;
	}
	return 0;
}

void pipeline_stop(struct agent *ag)
{
	while (ag->outputs) {
		struct output *o = ag->outputs;

		ag->outputs = o->next;
		output_free(o);
	}
	agg_free(ag->agg);
	ag->agg = NULL;
	downlink_free(ag->dl);
	ag->dl = NULL;
	ports_free(ag->ports, ag->nports);
	ag->ports = NULL;
	ag->nports = 0;
}

/*
 * Swap to @nc.  Runs between two source batches (everything is on one
 * loop), so no record is in the pipeline: open windows are reported
 * first, outputs whose settings are unchanged keep their connection
 * (their config pointer moves to @nc), the others are restarted on the
 * same spool directory.  The source and its ring are not touched:
 * ring/replay settings need a restart and are reported as such.
 */
int pipeline_reload(struct agent *ag, struct agent_conf *nc)
{
	struct agent_conf *old = ag->conf;
	struct output *keep = NULL, *o, *next;
	struct port_rt *ports;
	unsigned int nports;
	struct downlink *dl;
	char err[512] = "";

	if (nc->source != old->source || nc->ring_size != old->ring_size ||
	    nc->wakeup_bytes != old->wakeup_bytes ||
	    nc->wakeup_latency != old->wakeup_latency ||
	    (nc->replay_file && old->replay_file &&
	     strcmp(nc->replay_file, old->replay_file)) ||
	    strcmp(nc->spool_dir, old->spool_dir))
		log_warn(
			"reload: [source] and [spool] dir changes take effect at restart");
	if (ports_build(ag, nc, &ports, &nports))
		return -EINVAL;
	dl = downlink_new(nc, dl_tx, dl_modbus, ag, &ag->dl_stats);
	if (!dl || (ag->src && ag->src->ports_changed &&
		    ag->src->ports_changed(ag->src, ports, nports, ag->ports,
					   ag->nports))) {
		downlink_free(dl);
		ports_free(ports, nports);
		return -EINVAL;
	}
	downlink_free(ag->dl);
	ag->dl = dl;
	agg_flush(ag->agg);
	agg_free(ag->agg);
	ag->agg = agg_new(nc, on_report, ag);
	ports_free(ag->ports, ag->nports);
	ag->ports = ports;
	ag->nports = nports;
	for (o = ag->outputs; o; o = next) {
		struct output_conf *noc = conf_output(nc, o->oc->name);

		next = o->next;
		output_commit(o);
		if (noc && conf_output_equal(noc, o->oc)) {
			o->oc = noc;
			o->next = keep;
			keep = o;
		} else {
			log_notice("reload: output %s changed; restarting it",
				   o->oc->name);
			o->ops->shutdown(o);
			output_free(o);
		}
	}
	ag->outputs = keep;
	ag->conf = nc;
	for (struct output_conf *oc = nc->outputs; oc; oc = oc->next) {
		for (o = keep; o && o->oc != oc; o = o->next)
			;
		if (o)
			continue;
		o = output_new(ag, oc, err, sizeof(err));
		if (!o) {
			log_err("reload: output %s: %s", oc->name, err);
			continue;
		}
		o->next = ag->outputs;
		ag->outputs = o;
	}
	conf_free(old);
	return 0;
}
