/* SPDX-License-Identifier: GPL-2.0 */
/* The KEYWORD VALUE arguments shared by `port add` and `port set`. */
#ifndef M2MCTL_PORT_ARGS_H
#define M2MCTL_PORT_ARGS_H

#include "m2mgw_genl.h"

#define PORT_ARG_UNKNOWN (-1)

/*
 * Parse the option at argv[*i] into @p (setting its attribute bits) and
 * move *i past it.  Returns 0, EXIT_USAGE after printing why, or
 * PORT_ARG_UNKNOWN if argv[*i] is no port option.
 */
int port_arg(const char *cmd, int argc, char **argv, int *i,
	     struct m2mgw_port *p);

/* Keywords valid only for one port type: 0 if @p fits @type, else EXIT_USAGE. */
int port_args_check_type(const char *cmd, const struct m2mgw_port *p,
			 uint32_t type);

#endif /* M2MCTL_PORT_ARGS_H */
