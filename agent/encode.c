// SPDX-License-Identifier: GPL-2.0
/* Helpers shared by the encoders: dispatch, topics, time, history flag. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "encode.h"

char *encode_report(int encoding, const struct report *r)
{
	return encoding == ENC_SENML ? encode_senml(r) : encode_json(r);
}

char *encode_mark_historical(const char *payload, size_t len)
{
	cJSON *root = cJSON_ParseWithLength(payload, len), *target = root;
	char *out = NULL;

	if (!root)
		return NULL;
	if (cJSON_IsArray(root))
		target = cJSON_GetArrayItem(root, 0);
	/* Already flagged (replayed twice) is fine as it is. */
	if (cJSON_IsObject(target) &&
	    (cJSON_HasObjectItem(target, "historical") ||
	     cJSON_AddTrueToObject(target, "historical")))
		out = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return out;
}

static const char *topic_var(const char *name, size_t n, const struct report *r)
{
	if (n == 4 && !strncmp(name, "port", 4))
		return r ? r->port : "";
	if (n == 6 && !strncmp(name, "signal", 6))
		return r ? r->signal : "";
	if (n == 4 && !strncmp(name, "rule", 4))
		return r ? r->rule->name : "";
	return NULL;
}

int topic_expand(char *buf, size_t n, const char *tmpl, const struct report *r)
{
	size_t len = 0;

	for (const char *p = tmpl; *p; p++) {
		const char *val = NULL, *end;
		size_t vl;

		if (*p == '{' && (end = strchr(p, '}'))) {
			val = topic_var(p + 1, (size_t)(end - p - 1), r);
			if (!val)
				return -1;
			p = end;
		}
		vl = val ? strlen(val) : 1;
		if (len + vl + 1 > n)
			return -1;
		memcpy(buf + len, val ? val : p, vl);
		len += vl;
	}
	if (n)
		buf[len] = '\0';
	return (int)len;
}

int topic_check(const char *tmpl)
{
	char buf[1024];

	for (const char *p = tmpl; (p = strchr(p, '{')); p++) {
		const char *end = strchr(p, '}');

		if (!end || !topic_var(p + 1, (size_t)(end - p - 1), NULL))
			return -1;
	}
	(void)buf;
	return strpbrk(tmpl, "+#") ? -1 : 0;
}

void format_time_ns(char *buf, size_t n, uint64_t ns)
{
	time_t s = (time_t)(ns / 1000000000u);
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%09uZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (unsigned int)(ns % 1000000000u));
}
