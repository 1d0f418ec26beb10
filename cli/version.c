// SPDX-License-Identifier: GPL-2.0
/*
 * m2mctl version: this tool's version and uapi, and the module's; a
 * module built from another uapi version is refused.
 */
#include <errno.h>
#include <stdio.h>

#include "m2mctl.h"
#include "output.h"

const char help_version[] =
	"Usage: m2mctl [-j] version\n"
	"Exit status 1 if the module is missing or speaks another uapi version.\n";

int cmd_version(int argc, char **argv)
{
	struct m2mgw_info info = { 0 };
	struct m2mgw_genl g;
	int err, nl;

	if (argc > 1)
		return usage_error("version", "unexpected argument '%s'",
				   argv[1]);
	nl = m2mgw_genl_open(&g);
	if (!nl)
		nl = m2mgw_genl_info_get(&g, &info);
	out_obj_begin(NULL);
	out_str("cli", "m2mctl %s\n", M2MCTL_VERSION);
	out_u64("uapi", "uapi %llu\n", M2MGW_UAPI_VERSION);
	if (!nl) {
		out_str("module", "module %s\n", info.version);
		out_u64("module_uapi", "module uapi %llu\n", info.uapi_version);
		out_u64("module_genl", "module genl %llu\n", info.genl_version);
	}
	out_obj_end();
	if (nl) {
		err = kernel_error(&g, "cannot query the m2mgw module", nl);
	} else if (info.uapi_version != M2MGW_UAPI_VERSION) {
		fprintf(stderr,
			"%s: module m2mgw %s speaks uapi version %u, this m2mctl uapi version %u: install matching versions\n",
			prog, info.version, info.uapi_version,
			(unsigned int)M2MGW_UAPI_VERSION);
		err = EXIT_KERNEL;
	} else {
		err = EXIT_OK;
	}
	if (g.sk)
		m2mgw_genl_close(&g);
	return err;
}
