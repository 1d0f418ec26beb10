// SPDX-License-Identifier: GPL-2.0
/* The SenML (RFC 8428) JSON encoder; the format is described in encode.h. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "encode.h"

/* RFC 8428 section 4.3: "vd" is base64url (RFC 4648) without padding.
 * cJSON has no base64 and this is ten lines, so it is written here. */
static void base64url(char *out, const uint8_t *in, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | in[i + 1] << 8 | in[i + 2];

		*out++ = tab[v >> 18];
		*out++ = tab[(v >> 12) & 63];
		*out++ = tab[(v >> 6) & 63];
		*out++ = tab[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16 |
			     (i + 1 < n ? in[i + 1] << 8 : 0);

		*out++ = tab[v >> 18];
		*out++ = tab[(v >> 12) & 63];
		if (i + 1 < n)
			*out++ = tab[(v >> 6) & 63];
	}
	*out = '\0';
}

static cJSON *add_rec(cJSON *pack, const struct report *r, const char *suffix,
		      double v)
{
	cJSON *rec = cJSON_CreateObject();
	char name[256];

	if (!rec)
		return NULL;
	cJSON_AddItemToArray(pack, rec);
	snprintf(name, sizeof(name), "%s%s", r->signal, suffix);
	if (!cJSON_AddStringToObject(rec, "n", name) ||
	    (!strcmp(suffix, "") && r->unit &&
	     !cJSON_AddStringToObject(rec, "u", r->unit)) ||
	    !cJSON_AddNumberToObject(rec, "v", v))
		return NULL;
	return rec;
}

char *encode_senml(const struct report *r)
{
	cJSON *pack = cJSON_CreateArray(), *first;
	char bn[128], *out = NULL;

	if (!pack)
		return NULL;
	first = add_rec(pack, r, "", r->last);
	snprintf(bn, sizeof(bn), "urn:dev:m2mgw:%s:", r->port);
	if (!first || !cJSON_AddStringToObject(first, "bn", bn) ||
	    !cJSON_AddNumberToObject(first, "bt", (double)r->ts_ns / 1e9))
		goto out;
	if ((r->stats & STAT_MIN) && !add_rec(pack, r, ":min", r->min))
		goto out;
	if ((r->stats & STAT_MAX) && !add_rec(pack, r, ":max", r->max))
		goto out;
	if ((r->stats & STAT_MEAN) && !add_rec(pack, r, ":mean", r->mean))
		goto out;
	if ((r->stats & STAT_COUNT) &&
	    !add_rec(pack, r, ":count", (double)r->count))
		goto out;
	if (r->raw) {
		cJSON *rec = cJSON_CreateObject();
		char name[256], vd[(REPORT_RAW_MAX + 2) / 3 * 4 + 1];

		if (!rec)
			goto out;
		cJSON_AddItemToArray(pack, rec);
		snprintf(name, sizeof(name), "%s:raw", r->signal);
		base64url(vd, r->raw, r->raw_len);
		if (!cJSON_AddStringToObject(rec, "n", name) ||
		    !cJSON_AddStringToObject(rec, "vd", vd))
			goto out;
	}
	out = cJSON_PrintUnformatted(pack);
out:
	cJSON_Delete(pack);
	return out;
}
