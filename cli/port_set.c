// SPDX-License-Identifier: GPL-2.0
/* m2mctl port set: change a port's filters, framing or enable state. */
#include <stddef.h>

#include "m2mctl.h"
#include "port_args.h"

const char help_port_set[] =
	"Usage: m2mctl port set PORT [enable|disable] [filter ID:MASK ...|nofilter]\n"
	"               [framing raw [IDLE_US] | delimiter BYTE | gap USEC |\n"
	"               modbus-rtu | fixed N] [maxlen N]\n"
	"Options not given are left as they are; 'nofilter' captures everything.\n";

static const char cmd[] = "port set";

int cmd_port_set(int argc, char **argv)
{
	struct m2mgw_port req = { 0 }, port;
	struct m2mgw_genl g;
	int i, err;

	if (argc < 2)
		return usage_error(cmd, "expected PORT");
	if (argc < 3)
		return usage_error(cmd, "nothing to change for '%s'", argv[1]);
	for (i = 2; i < argc; i++) {
		err = port_arg(cmd, argc, argv, &i, &req);
		if (err == PORT_ARG_UNKNOWN ||
		    M2MGW_PORT_HAS(&req, M2MGW_A_PORT_NAME))
			return usage_error(cmd, "unknown argument '%s'",
					   argv[i]);
		if (err)
			return err;
	}

	if ((err = nl_open(&g)))
		return err;
	if ((err = nl_port_lookup(&g, cmd, argv[1], &port)))
		goto out;
	if ((err = port_args_check_type(cmd, &req, port.type)))
		goto out;
	req.id = port.id;
	M2MGW_PORT_SET(&req, M2MGW_A_PORT_ID);
	err = m2mgw_genl_port_set(&g, &req);
	if (err)
		err = kernel_error(&g, cmd, err);
out:
	m2mgw_genl_close(&g);
	return err;
}
