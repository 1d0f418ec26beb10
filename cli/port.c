// SPDX-License-Identifier: GPL-2.0
/* m2mctl port: the port subcommands. */
#include <stdio.h>

#include "m2mctl.h"

const char help_port[] =
	"Usage: m2mctl port { add | del | set | show } ...\n"
	"  m2mctl port add can IFNAME [name NAME] [filter ID:MASK ...] [disable]\n"
	"  m2mctl port add serial TTY baud N [bits 5-8] [parity none|even|odd]\n"
	"          [stop 1|2] [framing raw [IDLE_US] | delimiter BYTE | gap USEC |\n"
	"          modbus-rtu | fixed N] [maxlen N] [name NAME] [disable]\n"
	"  m2mctl port del PORT\n"
	"  m2mctl port set PORT [enable|disable] [filter ID:MASK ...|nofilter]\n"
	"          [framing ...] [maxlen N]\n"
	"  m2mctl port show [PORT]\n";

static const struct subcommand port_cmds[] = {
	{ "add", cmd_port_add, "create a CAN or serial port", help_port_add },
	{ "del", cmd_port_del, "destroy a port", help_port_del },
	{ "set", cmd_port_set, "change filters, framing, enable",
	  help_port_set },
	{ "show", cmd_port_show, "list ports with their counters",
	  help_port_show },
	{ NULL, NULL, NULL, NULL }
};

int cmd_port(int argc, char **argv)
{
	if (argc < 2)
		return cmd_port_show(1, argv);
	if (is_help(argv[1])) {
		fputs(help_port, stdout);
		return EXIT_OK;
	}
	return run_table("port", port_cmds, argc - 1, argv + 1);
}
