// SPDX-License-Identifier: GPL-2.0
/* m2mctl port add: create a CAN or serial port. */
#include <stdio.h>
#include <string.h>

#include "m2mctl.h"
#include "output.h"
#include "port_args.h"

const char help_port_add[] =
	"Usage: m2mctl port add can IFNAME [name NAME] [filter ID:MASK ...] [disable]\n"
	"       m2mctl port add serial TTY baud N [bits 5-8] [parity none|even|odd]\n"
	"               [stop 1|2] [framing raw [IDLE_US] | delimiter BYTE | gap USEC |\n"
	"               modbus-rtu | fixed N] [maxlen N] [name NAME] [disable]\n"
	"Filters are candump's: ID:MASK (match), ID~MASK (inverted), hex; an\n"
	"8-digit ID is extended.  The name defaults to the device name.\n";

static const char cmd[] = "port add";

int cmd_port_add(int argc, char **argv)
{
	struct m2mgw_port req = { 0 }, reply;
	struct m2mgw_genl g;
	const char *dev;
	int i, err;

	if (argc < 3)
		return usage_error(cmd,
				   "expected 'can IFNAME' or 'serial TTY'");
	dev = argv[2];
	if (!strcmp(argv[1], "can")) {
		req.type = M2MGW_PORT_CAN;
		if (!*dev || strlen(dev) >= sizeof(req.ifname))
			return usage_error(cmd, "bad interface name '%s'", dev);
		snprintf(req.ifname, sizeof(req.ifname), "%s", dev);
		M2MGW_PORT_SET(&req, M2MGW_A_IFNAME);
	} else if (!strcmp(argv[1], "serial")) {
		req.type = M2MGW_PORT_SERIAL;
		if (!strncmp(dev, "/dev/", 5))
			dev += 5;
		if (!*dev || strlen(dev) >= sizeof(req.tty))
			return usage_error(cmd, "bad tty name '%s'", argv[2]);
		snprintf(req.tty, sizeof(req.tty), "%s", dev);
		M2MGW_PORT_SET(&req, M2MGW_A_TTY);
	} else {
		return usage_error(cmd, "unknown port type '%s' (can, serial)",
				   argv[1]);
	}
	M2MGW_PORT_SET(&req, M2MGW_A_PORT_TYPE);

	for (i = 3; i < argc; i++) {
		err = port_arg(cmd, argc, argv, &i, &req);
		if (err == PORT_ARG_UNKNOWN ||
		    M2MGW_PORT_HAS(&req, M2MGW_A_PORT_ID))
			return usage_error(cmd, "unknown argument '%s'",
					   argv[i]);
		if (err)
			return err;
	}
	if ((err = port_args_check_type(cmd, &req, req.type)))
		return err;
	if (req.type == M2MGW_PORT_SERIAL &&
	    !M2MGW_PORT_HAS(&req, M2MGW_A_SERIAL_BAUD))
		return usage_error(cmd, "serial ports need 'baud N'");
	if (!M2MGW_PORT_HAS(&req, M2MGW_A_PORT_NAME)) {
		/* The name defaults to the device name, as documented. */
		snprintf(req.name, sizeof(req.name), "%s", dev);
		M2MGW_PORT_SET(&req, M2MGW_A_PORT_NAME);
	}

	if ((err = nl_open(&g)))
		return err;
	err = m2mgw_genl_port_new(&g, &req, &reply);
	if (err) {
		err = kernel_error(&g, cmd, err);
		goto out;
	}
	print_port(&reply, false);
out:
	m2mgw_genl_close(&g);
	return err;
}
