// SPDX-License-Identifier: GPL-2.0
/* The JSON encoder; the format is described in encode.h. */
#include <cjson/cJSON.h>
#include <stdio.h>

#include "encode.h"

char *encode_json(const struct report *r)
{
	cJSON *o = cJSON_CreateObject();
	char tbuf[48], *out = NULL;

	if (!o)
		return NULL;
	format_time_ns(tbuf, sizeof(tbuf), r->ts_ns);
	if (!cJSON_AddStringToObject(o, "port", r->port) ||
	    !cJSON_AddStringToObject(o, "signal", r->signal) ||
	    !cJSON_AddStringToObject(o, "rule", r->rule->name) ||
	    !cJSON_AddStringToObject(o, "time", tbuf) ||
	    !cJSON_AddNumberToObject(o, "ts", (double)r->ts_ns / 1e9) ||
	    !cJSON_AddNumberToObject(o, "seq", (double)r->seq) ||
	    !cJSON_AddNumberToObject(o, "value", r->last))
		goto out;
	if ((r->stats & STAT_MIN) && !cJSON_AddNumberToObject(o, "min", r->min))
		goto out;
	if ((r->stats & STAT_MAX) && !cJSON_AddNumberToObject(o, "max", r->max))
		goto out;
	if ((r->stats & STAT_MEAN) &&
	    !cJSON_AddNumberToObject(o, "mean", r->mean))
		goto out;
	if ((r->stats & STAT_COUNT) &&
	    !cJSON_AddNumberToObject(o, "count", (double)r->count))
		goto out;
	if (r->count > 1) {
		format_time_ns(tbuf, sizeof(tbuf), r->first_ns);
		if (!cJSON_AddStringToObject(o, "first_time", tbuf))
			goto out;
	}
	if (r->unit && !cJSON_AddStringToObject(o, "unit", r->unit))
		goto out;
	if (r->raw) {
		char hex[2 * REPORT_RAW_MAX + 1];

		for (size_t i = 0; i < r->raw_len; i++)
			snprintf(hex + 2 * i, 3, "%02x", r->raw[i]);
		hex[2 * r->raw_len] = '\0';
		if (!cJSON_AddStringToObject(o, "raw", hex))
			goto out;
	}
	out = cJSON_PrintUnformatted(o);
out:
	cJSON_Delete(o);
	return out;
}
