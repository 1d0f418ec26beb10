// SPDX-License-Identifier: GPL-2.0
/*
 * What every subcommand needs: error reporting with the right exit
 * status, subcommand tables, and the genl handle.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "m2mctl.h"
#include "parse.h"

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s%s", prog, cmd ? cmd : "", cmd ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

int kernel_error(const struct m2mgw_genl *g, const char *what, int err)
{
	const char *msg = g ? m2mgw_genl_errmsg(g) : "";

	if (*msg)
		fprintf(stderr, "%s: %s: %s (%s)\n", prog, what, msg,
			strerror(-err));
	else
		fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(-err));
	return EXIT_KERNEL;
}

bool is_help(const char *arg)
{
	return !strcmp(arg, "help") || !strcmp(arg, "-h") ||
	       !strcmp(arg, "--help");
}

void print_help(const char *cmd, const struct subcommand *tbl)
{
	for (; tbl->name; tbl++)
		printf("  %s%s%-10s %s\n", cmd ? cmd : "", cmd ? " " : "",
		       tbl->name, tbl->description);
}

int run_table(const char *cmd, const struct subcommand *tbl, int argc,
	      char **argv)
{
	const struct subcommand *s;

	for (s = tbl; s->name; s++) {
		if (strcmp(argv[0], s->name))
			continue;
		if (argc > 1 && is_help(argv[1]) && s->help) {
			fputs(s->help, stdout);
			return EXIT_OK;
		}
		return s->fn(argc, argv);
	}
	return usage_error(cmd, "unknown command '%s' (see '%s %s%shelp')",
			   argv[0], prog, cmd ? cmd : "", cmd ? " " : "");
}

int nl_open(struct m2mgw_genl *g)
{
	int err = m2mgw_genl_open(g);

	if (err)
		return kernel_error(g, "cannot talk to the m2mgw module", err);
	return EXIT_OK;
}

int nl_port_lookup(struct m2mgw_genl *g, const char *cmd, const char *arg,
		   struct m2mgw_port *out)
{
	uint32_t id;
	int err;

	err = m2mgw_genl_port_get(g, 0, arg, out);
	if (err == -ENOENT && !parse_u32(arg, 0, UINT32_MAX, &id))
		err = m2mgw_genl_port_get(g, id, NULL, out);
	if (err == -ENOENT)
		return usage_error(cmd, "unknown port '%s'", arg);
	if (err)
		return kernel_error(g, cmd, err);
	return EXIT_OK;
}
