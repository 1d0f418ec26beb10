// SPDX-License-Identifier: GPL-2.0
/* m2mctl port del: destroy a port. */
#include <stddef.h>

#include "m2mctl.h"

const char help_port_del[] = "Usage: m2mctl port del PORT\n"
			     "PORT is a port name or id.\n";

static const char cmd[] = "port del";

int cmd_port_del(int argc, char **argv)
{
	struct m2mgw_port port;
	struct m2mgw_genl g;
	int err;

	if (argc < 2)
		return usage_error(cmd, "expected PORT");
	if (argc > 2)
		return usage_error(cmd, "unexpected argument '%s'", argv[2]);
	if ((err = nl_open(&g)))
		return err;
	if ((err = nl_port_lookup(&g, cmd, argv[1], &port)))
		goto out;
	err = m2mgw_genl_port_del(&g, port.id, NULL);
	if (err)
		err = kernel_error(&g, cmd, err);
out:
	m2mgw_genl_close(&g);
	return err;
}
