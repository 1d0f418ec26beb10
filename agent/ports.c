// SPDX-License-Identifier: GPL-2.0
/*
 * Port setup over generic netlink, through the shared client
 * (lib/m2mgw_genl.h).  Each [port] is looked up by name: an existing port
 * of the right type is reused (its filters are set from the section if
 * the section has any), a missing one is created from the section when
 * create = yes.  Kernel refusals are logged with the extack message.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "m2mgw_genl.h"
#include "ports.h"

static void port_req(const struct port_conf *pc, struct m2mgw_port *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", pc->name);
	M2MGW_PORT_SET(p, M2MGW_A_PORT_NAME);
	p->type = (uint32_t)pc->type;
	M2MGW_PORT_SET(p, M2MGW_A_PORT_TYPE);
	p->enabled = 1;
	M2MGW_PORT_SET(p, M2MGW_A_PORT_ENABLED);
	if (pc->type == M2MGW_PORT_CAN) {
		snprintf(p->ifname, sizeof(p->ifname), "%s", pc->ifname);
		M2MGW_PORT_SET(p, M2MGW_A_IFNAME);
		if (pc->nfilters) {
			p->n_filters = pc->nfilters;
			memcpy(p->filters, pc->filters,
			       pc->nfilters * sizeof(pc->filters[0]));
			M2MGW_PORT_SET(p, M2MGW_A_FILTERS);
		}
		return;
	}
	snprintf(p->tty, sizeof(p->tty), "%s", pc->tty ? pc->tty : "");
	M2MGW_PORT_SET(p, M2MGW_A_TTY);
	p->baud = pc->baud;
	p->data_bits = (uint8_t)pc->data_bits;
	p->parity = (uint8_t)pc->parity;
	p->stop_bits = (uint8_t)pc->stop_bits;
	p->framing = pc->framing;
	p->framing_arg = pc->framing_arg;
	p->maxlen = pc->maxlen;
	M2MGW_PORT_SET(p, M2MGW_A_SERIAL_BAUD);
	M2MGW_PORT_SET(p, M2MGW_A_SERIAL_DATA_BITS);
	M2MGW_PORT_SET(p, M2MGW_A_SERIAL_PARITY);
	M2MGW_PORT_SET(p, M2MGW_A_SERIAL_STOP_BITS);
	M2MGW_PORT_SET(p, M2MGW_A_SERIAL_FRAMING);
	M2MGW_PORT_SET(p, M2MGW_A_SERIAL_FRAMING_ARG);
	M2MGW_PORT_SET(p, M2MGW_A_SERIAL_MAXLEN);
}

static int port_one(struct m2mgw_genl *g, struct port_rt *rt, char *err,
		    size_t n)
{
	const struct port_conf *pc = rt->pc;
	struct m2mgw_port req, got;
	int rc;

	rc = m2mgw_genl_port_get(g, 0, pc->name, &got);
	if (!rc) {
		if (got.type != (uint32_t)pc->type) {
			snprintf(
				err, n,
				"port %s exists in the module as a %s port, the config says %s",
				pc->name, m2mgw_port_type_name(got.type),
				m2mgw_port_type_name((uint32_t)pc->type));
			return -EEXIST;
		}
		rt->port_id = got.id;
		if (pc->type == M2MGW_PORT_CAN && pc->nfilters) {
			port_req(pc, &req);
			req.attrs = 0;
			M2MGW_PORT_SET(&req, M2MGW_A_PORT_NAME);
			M2MGW_PORT_SET(&req, M2MGW_A_FILTERS);
			rc = m2mgw_genl_port_set(g, &req);
			if (rc) {
				snprintf(err, n,
					 "port %s: setting filters: %s%s%s",
					 pc->name, strerror(-rc),
					 m2mgw_genl_errmsg(g)[0] ? ": " : "",
					 m2mgw_genl_errmsg(g));
				return rc;
			}
		}
		if (pc->type == M2MGW_PORT_SERIAL && pc->framing_given) {
			/* An existing serial port (e.g. attached by TIOCSETD)
			 * gets the framing the config asks for. */
			port_req(pc, &req);
			req.attrs = 0;
			M2MGW_PORT_SET(&req, M2MGW_A_PORT_NAME);
			M2MGW_PORT_SET(&req, M2MGW_A_SERIAL_FRAMING);
			M2MGW_PORT_SET(&req, M2MGW_A_SERIAL_FRAMING_ARG);
			M2MGW_PORT_SET(&req, M2MGW_A_SERIAL_MAXLEN);
			rc = m2mgw_genl_port_set(g, &req);
			if (rc) {
				snprintf(err, n,
					 "port %s: setting framing: %s%s%s",
					 pc->name, strerror(-rc),
					 m2mgw_genl_errmsg(g)[0] ? ": " : "",
					 m2mgw_genl_errmsg(g));
				return rc;
			}
		}
		log_info("port %s: reusing module port %u (%s)", pc->name,
			 got.id, m2mgw_port_state_name(got.state));
		return 0;
	}
	if (rc != -ENOENT) {
		snprintf(err, n, "port %s: lookup: %s%s%s", pc->name,
			 strerror(-rc), m2mgw_genl_errmsg(g)[0] ? ": " : "",
			 m2mgw_genl_errmsg(g));
		return rc;
	}
	if (!pc->create) {
		snprintf(err, n,
			 "port %s does not exist in the module (create = no)",
			 pc->name);
		return -ENOENT;
	}
	port_req(pc, &req);
	rc = m2mgw_genl_port_new(g, &req, &got);
	if (rc) {
		snprintf(err, n, "port %s: create on %s: %s%s%s", pc->name,
			 pc->type == M2MGW_PORT_CAN ? pc->ifname : pc->tty,
			 strerror(-rc), m2mgw_genl_errmsg(g)[0] ? ": " : "",
			 m2mgw_genl_errmsg(g));
		return rc;
	}
	rt->port_id = got.id;
	log_notice("port %s: created module port %u on %s", pc->name, got.id,
		   pc->type == M2MGW_PORT_CAN ? pc->ifname : pc->tty);
	return 0;
}

int ports_setup(struct port_rt *ports, unsigned int nports, char *err, size_t n)
{
	struct m2mgw_genl g;
	int rc;

	rc = m2mgw_genl_open(&g);
	if (rc) {
		snprintf(err, n, "netlink: family \"%s\": %s%s",
			 M2MGW_GENL_NAME, strerror(-rc),
			 rc == -ENOENT ? " (is the m2mgw module loaded?)" : "");
		return rc;
	}
	for (unsigned int i = 0; i < nports && !rc; i++)
		rc = port_one(&g, &ports[i], err, n);
	m2mgw_genl_close(&g);
	return rc;
}

int ports_subscribe(struct port_rt *ports, unsigned int nports,
		    struct m2mgw_ring *ring, char *err, size_t n)
{
	for (unsigned int i = 0; i < nports; i++) {
		int rc = m2mgw_ring_subscribe(ring, ports[i].port_id);

		if (rc && rc != -EALREADY) {
			snprintf(err, n, "ring: subscribe to port %s (%u): %s",
				 ports[i].pc->name, ports[i].port_id,
				 strerror(-rc));
			return rc;
		}
	}
	return 0;
}
