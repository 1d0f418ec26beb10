// SPDX-License-Identifier: GPL-2.0
/*
 * Configuration loader: the input is an m2mgwd.conf.  conf_load() either
 * refuses it (errors to a stream) or returns a configuration that
 * conf_check() accepted; that one is walked and freed.
 */
#include "config.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent_conf *c;

	fuzz_quiet();
	c = conf_load(fuzz_file("in.conf", data, size), fuzz_null());
	if (!c)
		return 0;
	for (const struct port_conf *p = c->ports; p; p = p->next)
		if (conf_port(c, p->name) != p)
			__builtin_trap();
	conf_free(c);
	return 0;
}
