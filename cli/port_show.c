// SPDX-License-Identifier: GPL-2.0
/* m2mctl port show: ports with their configuration and counters. */
#include <stddef.h>

#include "m2mctl.h"
#include "output.h"

const char help_port_show[] = "Usage: m2mctl [-j] [-p] [-s] port show [PORT]\n"
			      "-s adds the drops by reason.\n";

static const char cmd[] = "port show";

static int show_one(void *ctx, const struct m2mgw_port *p)
{
	(void)ctx;
	print_port(p, true);
	return 0;
}

int cmd_port_show(int argc, char **argv)
{
	struct m2mgw_port port;
	struct m2mgw_genl g;
	int err;

	if (argc > 2)
		return usage_error(cmd, "unexpected argument '%s'", argv[2]);
	if ((err = nl_open(&g)))
		return err;
	if (argc == 2) {
		if ((err = nl_port_lookup(&g, cmd, argv[1], &port)))
			goto out;
		out_list_begin();
		print_port(&port, true);
		out_list_end();
		goto out;
	}
	out_list_begin();
	err = m2mgw_genl_port_dump(&g, show_one, NULL);
	out_list_end();
	err = err < 0 ? kernel_error(&g, cmd, err) : EXIT_OK;
out:
	m2mgw_genl_close(&g);
	return err;
}
