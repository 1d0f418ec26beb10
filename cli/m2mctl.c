// SPDX-License-Identifier: GPL-2.0
/*
 * m2mctl - control the m2mgw kernel module (ports, frames, events).
 *
 * main() parses the global options and hands over to the subcommand
 * named by the first word; everything else lives in one file per
 * subcommand.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "m2mctl.h"
#include "output.h"

struct m2mctl_opts opts;
const char *prog = "m2mctl";

static int cmd_help(int argc, char **argv);

static const struct subcommand commands[] = {
	{ "port", cmd_port, "Add, delete, change and show ports", help_port },
	{ "monitor", cmd_monitor, "Print port events as they happen",
	  help_monitor },
	{ "dump", cmd_dump, "Print captured frames (candump-like)", help_dump },
	{ "send", cmd_send, "Send one frame on a port", help_send },
	{ "stats", cmd_stats, "Show the counters of every port", help_stats },
	{ "version", cmd_version, "Show CLI, module and uapi versions",
	  help_version },
	{ "help", cmd_help, "Show this help", NULL },
	{ NULL, NULL, NULL, NULL }
};

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("Usage: %s [-j] [-p] [-s] COMMAND [ARGS...]\n"
	       "  -j  JSON output    -p  pretty JSON    -s  more statistics\n"
	       "Exit status: 0 ok, 1 the kernel refused, 2 usage error.\n\n",
	       prog);
	print_help(NULL, commands);
	printf("\nRun '%s COMMAND help' for the arguments of a command.\n",
	       prog);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	int c;

	opterr = 0; /* our own one-line message below */
	while ((c = getopt(argc, argv, "+jpsVh")) != -1) {
		switch (c) {
		case 'j':
			opts.json = true;
			break;
		case 'p':
			opts.pretty = true;
			break;
		case 's':
			opts.stats++;
			break;
		case 'V':
			return cmd_version(0, NULL);
		case 'h':
			return cmd_help(0, NULL);
		default:
			return usage_error(
				NULL, "unknown option '-%c' (see '%s help')",
				optopt, prog);
		}
	}
	out_init(stdout, opts.json, opts.pretty);
	if (optind == argc) {
		cmd_help(0, NULL);
		return EXIT_USAGE;
	}
	return run_table(NULL, commands, argc - optind, argv + optind);
}
