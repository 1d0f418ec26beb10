// SPDX-License-Identifier: GPL-2.0
/*
 * Command topic templates: "site/{port}/cmd/#".  One level is exactly
 * {port}; the subscription has "+" there, and the level of a received
 * topic names the port.  A last level "#" also takes sub-topics
 * (site/can0/cmd/engine); without it only the topic itself matches.
 */
#define _GNU_SOURCE /* strchrnul */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "downlink.h"

#define PORT_LEVEL "{port}"

int dl_topic_check(const char *tmpl)
{
	const char *lvl = tmpl;
	int ports = 0;

	for (;;) {
		const char *end = strchrnul(lvl, '/');
		size_t n = (size_t)(end - lvl);

		if (n == strlen(PORT_LEVEL) && !strncmp(lvl, PORT_LEVEL, n))
			ports++;
		else if (n == 1 && *lvl == '#' && !*end)
			; /* the last level */
		else if (memchr(lvl, '{', n) || memchr(lvl, '}', n) ||
			 memchr(lvl, '+', n) || memchr(lvl, '#', n))
			return -1;
		if (!*end)
			break;
		lvl = end + 1;
	}
	return ports == 1 ? 0 : -1;
}

/* @tmpl with {port} replaced by @port; a trailing "/#" dropped or kept. */
static char *subst(const char *tmpl, const char *port, bool keep_hash)
{
	const char *at = strstr(tmpl, PORT_LEVEL);
	size_t len = strlen(tmpl) + strlen(port) + 1;
	char *out = malloc(len);

	if (!out || !at) {
		free(out);
		return NULL;
	}
	snprintf(out, len, "%.*s%s%s", (int)(at - tmpl), tmpl, port,
		 at + strlen(PORT_LEVEL));
	len = strlen(out);
	if (!keep_hash && len >= 2 && !strcmp(out + len - 2, "/#"))
		out[len - 2] = '\0';
	return out;
}

char *dl_topic_sub(const char *tmpl)
{
	return subst(tmpl, "+", true);
}

char *dl_topic_expand(const char *tmpl, const char *port)
{
	return subst(tmpl, port, false);
}

char *dl_topic_result_default(const char *cmd_tmpl)
{
	size_t len = strlen(cmd_tmpl);
	char *out = malloc(len + sizeof("/result"));

	if (!out)
		return NULL;
	memcpy(out, cmd_tmpl, len + 1);
	if (len >= 2 && !strcmp(out + len - 2, "/#"))
		out[len - 2] = '\0';
	strcat(out, "/result");
	return out;
}

int dl_topic_port(const char *tmpl, const char *topic, char *port, size_t n)
{
	const char *t = tmpl, *s = topic;
	bool got = false;

	for (;;) {
		const char *te = strchrnul(t, '/'), *se = strchrnul(s, '/');
		size_t tn = (size_t)(te - t), sn = (size_t)(se - s);

		if (tn == 1 && *t == '#')
			return got ? 0 : -1; /* matches the rest */
		if (tn == strlen(PORT_LEVEL) && !strncmp(t, PORT_LEVEL, tn)) {
			if (!sn || sn >= n || memchr(s, '+', sn) ||
			    memchr(s, '#', sn))
				return -1;
			memcpy(port, s, sn);
			port[sn] = '\0';
			got = true;
		} else if (tn != sn || strncmp(t, s, tn)) {
			return -1;
		}
		if (!*te && !*se)
			return got ? 0 : -1;
		if (!*se) /* "a/#" matches "a" as well */
			return !strcmp(te, "/#") && got ? 0 : -1;
		if (!*te)
			return -1;
		t = te + 1;
		s = se + 1;
	}
}
