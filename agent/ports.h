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

int ports_setup(struct agent *ag, char *err, size_t n);
int ports_subscribe(struct agent *ag, struct m2mgw_ring *ring, char *err,
		    size_t n);

#endif /* M2MGWD_PORTS_H */
