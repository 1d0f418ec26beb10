// SPDX-License-Identifier: GPL-2.0
/* m2mctl stats: the counters of every port. */
#include <string.h>

#include "m2mctl.h"
#include "output.h"

const char help_stats[] = "Usage: m2mctl [-j] [-p] stats [-s]\n"
			  "-s adds the drops by reason.\n";

static const char cmd[] = "stats";

static int one(void *ctx, const struct m2mgw_port *p)
{
	(void)ctx;
	out_obj_begin(NULL);
	out_u64("id", "%llu:", p->id);
	out_str("name", " %s:", p->name);
	print_port_stats(p, opts.stats);
	out_text("\n");
	out_obj_end();
	return 0;
}

int cmd_stats(int argc, char **argv)
{
	struct m2mgw_genl g;
	int err, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-s"))
			opts.stats++;
		else
			return usage_error(cmd, "unexpected argument '%s'",
					   argv[i]);
	}
	if ((err = nl_open(&g)))
		return err;
	out_list_begin();
	err = m2mgw_genl_port_dump(&g, one, NULL);
	out_list_end();
	err = err < 0 ? kernel_error(&g, cmd, err) : EXIT_OK;
	m2mgw_genl_close(&g);
	return err;
}
