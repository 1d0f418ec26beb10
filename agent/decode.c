// SPDX-License-Identifier: GPL-2.0
/* The table of decoders a [port] section can name. */
#include <string.h>

#include "decode.h"

static const struct decoder_ops *const decoders[] = {
	&decoder_raw,  &decoder_dbc,	&decoder_nmea,
	&decoder_text, &decoder_modbus,
};

const struct decoder_ops *decoder_find(const char *name)
{
	for (size_t i = 0; i < sizeof(decoders) / sizeof(decoders[0]); i++)
		if (!strcmp(decoders[i]->name, name))
			return decoders[i];
	return NULL;
}

const char *decoder_names(void)
{
	static char names[256];

	if (!names[0]) {
		for (size_t i = 0; i < sizeof(decoders) / sizeof(decoders[0]);
		     i++) {
			if (i)
				strcat(names, ", ");
			strcat(names, decoders[i]->name);
		}
	}
	return names;
}
