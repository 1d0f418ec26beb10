/* SPDX-License-Identifier: GPL-2.0 */
/*
 * m2mctl: what the subcommands share.  Each subcommand lives in its own
 * file as `int cmd_NAME(int argc, char **argv)` plus its help text, and
 * returns the process exit status.
 */
#ifndef M2MCTL_H
#define M2MCTL_H

#include <stdbool.h>
#include <stdint.h>

#include "m2mgw_genl.h"

#ifndef M2MCTL_VERSION
#define M2MCTL_VERSION "0.1"
#endif

/* Exit statuses. */
enum {
	EXIT_OK = 0,
	EXIT_KERNEL = 1, /* the kernel (or the system) refused */
	EXIT_USAGE = 2,	 /* bad command line: nothing was sent */
};

/* Global options (-j, -p, -s), set by main. */
struct m2mctl_opts {
	bool json;
	bool pretty;
	int stats;
};
extern struct m2mctl_opts opts;
extern const char *prog;

struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *description;
	const char *help; /* usage lines, shown by `m2mctl NAME help` */
};

/* Print "m2mctl: CMD: message" and return EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Print the kernel's refusal (errno text + extack message), return EXIT_KERNEL. */
int kernel_error(const struct m2mgw_genl *g, const char *what, int err);
/* True for "help", "-h", "--help". */
bool is_help(const char *arg);
/* Run a subcommand table: `argv[0]` names the entry. */
int run_table(const char *cmd, const struct subcommand *tbl, int argc,
	      char **argv);
void print_help(const char *cmd, const struct subcommand *tbl);

/*
 * Open the genl handle: on failure prints why and returns EXIT_KERNEL.
 * Called only after the command line was fully validated.
 */
int nl_open(struct m2mgw_genl *g);
/*
 * Find a port by name (or id, when @arg is a number no port is named
 * after).  ENOENT is a usage error (unknown port): returns EXIT_USAGE.
 */
int nl_port_lookup(struct m2mgw_genl *g, const char *cmd, const char *arg,
		   struct m2mgw_port *out);

/* Print one port (port show, port add, monitor) through output.h. */
void print_port(const struct m2mgw_port *p, bool stats);
void print_port_stats(const struct m2mgw_port *p, int level);

int cmd_port(int argc, char **argv);
int cmd_port_add(int argc, char **argv);
int cmd_port_del(int argc, char **argv);
int cmd_port_set(int argc, char **argv);
int cmd_port_show(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_send(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_version(int argc, char **argv);

extern const char help_port[], help_port_add[], help_port_del[],
	help_port_set[], help_port_show[], help_monitor[], help_dump[],
	help_send[], help_stats[], help_version[];

#endif /* M2MCTL_H */
