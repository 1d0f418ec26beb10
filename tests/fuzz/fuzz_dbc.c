// SPDX-License-Identifier: GPL-2.0
/*
 * DBC parser: the input is a .dbc file.  A database that loads is then
 * used: every message decoded from an all-0xa5 frame, every signal looked
 * up by name, so what the parser built is walked by the code that trusts it.
 */
#include <string.h>

#include "dbc.h"
#include "fuzz_util.h"

static void on_signal(void *ctx, const struct dbc_signal *s, double v)
{
	(void)v;
	*(int *)ctx += dbc_val_desc(s, 1) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t frame[64];
	struct dbc *db;
	int n = 0;

	fuzz_quiet();
	db = dbc_load(fuzz_file("in.dbc", data, size), fuzz_null());
	if (!db)
		return 0;
	memset(frame, 0xa5, sizeof(frame));
	for (size_t i = 0; i < db->nmsgs; i++) {
		const struct dbc_msg *m = &db->msgs[i];

		if (dbc_find_id(db, m->id, m->ext) != m ||
		    dbc_find_name(db, m->name) == NULL)
			__builtin_trap();
		dbc_decode(m, frame, sizeof(frame), on_signal, &n);
		for (size_t j = 0; j < m->nsigs; j++)
			if (!dbc_find_signal(m, m->sigs[j].name))
				__builtin_trap();
	}
	dbc_free(db);
	return 0;
}
