// SPDX-License-Identifier: GPL-2.0
/* Parsers for config values: booleans, durations, sizes, lists. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "config_int.h"

int conf_parse_bool(const char *s, bool *out)
{
	static const char *const t[] = { "yes", "true", "on", "1" };
	static const char *const f[] = { "no", "false", "off", "0" };

	for (int i = 0; i < 4; i++) {
		if (!strcasecmp(s, t[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, f[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

int conf_parse_duration(const char *s, double *out)
{
	static const struct {
		const char *sfx;
		double mul;
	} units[] = { { "", 1 },
		      { "s", 1 },
		      { "ms", 1e-3 },
		      { "m", 60 },
		      { "h", 3600 } };
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !isfinite(v) || v < 0)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcmp(end, units[i].sfx)) {
			*out = v * units[i].mul;
			return 0;
		}
	}
	return -1;
}

int conf_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (*s == '-' || *s == '\0')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

int conf_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	if (*s == '-' || *s == '\0')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	if (*end) {
		const char *u = strchr("kMG", *end);

		if (!u ||
		    (end[1] && strcmp(end + 1, "iB") && strcmp(end + 1, "B")))
			return -1;
		shift = 10 * (int)(u - "kMG" + 1);
	}
	if (v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

int conf_parse_stats(const char *s, unsigned int *out)
{
	static const struct enum_val names[] = {
		{ "last", STAT_LAST },	 { "min", STAT_MIN },
		{ "max", STAT_MAX },	 { "mean", STAT_MEAN },
		{ "count", STAT_COUNT }, { NULL, 0 }
	};
	char buf[128], *tok, *save;
	unsigned int m = 0;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save)) {
		const struct enum_val *e;

		for (e = names; e->name && strcmp(e->name, tok); e++)
			;
		if (!e->name)
			return -1;
		m |= e->value;
	}
	if (!m)
		return -1;
	*out = m;
	return 0;
}

/* "123", "123:7ff", "~123:7ff" (inverted), comma or space separated. */
int conf_parse_filters(const char *s, struct can_filter *filters,
		       unsigned int *nfilters)
{
	char buf[1024], *tok, *save;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	*nfilters = 0;
	for (tok = strtok_r(buf, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save)) {
		struct can_filter *f;
		bool inv = *tok == '~';
		char *colon, *end;
		unsigned long id, mask;

		if (*nfilters == M2MGW_MAX_FILTERS)
			return -E2BIG;
		tok += inv;
		colon = strchr(tok, ':');
		id = strtoul(tok, &end, 16);
		if (end == tok || (colon ? end != colon : *end != '\0') ||
		    id > CAN_EFF_MASK)
			return -1;
		mask = id > CAN_SFF_MASK ? CAN_EFF_MASK : CAN_SFF_MASK;
		if (colon) {
			mask = strtoul(colon + 1, &end, 16);
			if (end == colon + 1 || *end || mask > CAN_EFF_MASK)
				return -1;
		}
		f = &filters[(*nfilters)++];
		f->can_id = (canid_t)id |
			    (id > CAN_SFF_MASK ? CAN_EFF_FLAG : 0) |
			    (inv ? CAN_INV_FILTER : 0);
		f->can_mask = (canid_t)mask | CAN_EFF_FLAG;
	}
	return *nfilters ? 0 : -1;
}
