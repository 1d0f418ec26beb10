/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ports through generic netlink (lib/m2mgw_genl.h): each [port] is
 * looked up by name and reused, or created (create = yes) from its
 * section; the module's port id is stored in port_rt->port_id.
 */
#ifndef M2MGWD_PORTS_H
#define M2MGWD_PORTS_H

#include <stddef.h>

#include "agent.h"
#include "m2mgw_ring.h"

/* Resolve (or create) every port of @ports; sets their port_id. */
int ports_setup(struct port_rt *ports, unsigned int nports, char *err,
		size_t n);
int ports_subscribe(struct port_rt *ports, unsigned int nports,
		    struct m2mgw_ring *ring, char *err, size_t n);

#endif /* M2MGWD_PORTS_H */
