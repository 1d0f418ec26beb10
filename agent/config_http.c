// SPDX-License-Identifier: GPL-2.0
/*
 * Config of [output NAME] type = http: the repeatable "header" key, the
 * checks after parsing (the URL goes through libcurl's own parser, so
 * what passes here is what the transport will be able to use), and the
 * comparison reload uses.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "lazylib.h"

static void perr(int *errors, const char *file, FILE *err, int line,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void perr(int *errors, const char *file, FILE *err, int line,
		 const char *fmt, ...)
{
	va_list ap;

	fprintf(err, "%s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(err, fmt, ap);
	va_end(ap);
	fputc('\n', err);
	(*errors)++;
}

/* RFC 9110 token characters. */
static bool tchar(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || strchr("!#$%&'*+-.^_`|~", c);
}

int conf_add_header(struct conf_kv **list, const char *value, int line)
{
	const char *colon = strchr(value, ':'), *v;
	struct conf_kv *kv, **pp;

	if (!colon || colon == value)
		return -1;
	for (const char *c = value; c < colon; c++)
		if (!tchar(*c))
			return -1;
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	if (!*v || strpbrk(v, "\r\n"))
		return -1;
	kv = calloc(1, sizeof(*kv));
	if (!kv)
		return -1;
	kv->key = strndup(value, (size_t)(colon - value));
	kv->value = strdup(v);
	kv->line = line;
	if (!kv->key || !kv->value) {
		free(kv->key);
		free(kv->value);
		free(kv);
		return -1;
	}
	for (pp = list; *pp; pp = &(*pp)->next)
		;
	*pp = kv;
	return 0;
}

static void check_url(struct output_conf *oc, const char *file, FILE *err,
		      int *errors)
{
	char *scheme = NULL, why[256];
	CURLUcode rc;
	CURLU *u;

	if (libcurl_load(why, sizeof(why))) {
		perr(errors, file, err, oc->line, "[output %s]: %s", oc->name,
		     why);
		return;
	}
	u = libcurl.url();
	if (!u) {
		perr(errors, file, err, oc->line, "out of memory");
		return;
	}
	rc = libcurl.url_set(u, CURLUPART_URL, oc->url, 0);
	if (rc == CURLUE_OK)
		rc = libcurl.url_get(u, CURLUPART_SCHEME, &scheme, 0);
	if (rc != CURLUE_OK)
		perr(errors, file, err, oc->url_line,
		     "[output %s]: url \"%s\": %s", oc->name, oc->url,
		     libcurl.url_strerror(rc));
	else if (strcmp(scheme, "http") && strcmp(scheme, "https"))
		perr(errors, file, err, oc->url_line,
		     "[output %s]: url \"%s\": the scheme must be http or https",
		     oc->name, oc->url);
	libcurl.free(scheme);
	libcurl.url_cleanup(u);
}

/*
 * bearer_token_file: one line, the token (a JWT easily outgrows the
 * config parser's line).  Read at start and at every reload, so a
 * rotated token is picked up by SIGHUP.
 */
static void read_token(struct output_conf *oc, const char *file, FILE *err,
		       int *errors)
{
	char buf[16384 + 2];
	size_t n, len;
	FILE *f;

	f = fopen(oc->bearer_token_file, "re");
	if (!f) {
		perr(errors, file, err, oc->bearer_token_file_line,
		     "[output %s]: bearer_token_file \"%s\": %s", oc->name,
		     oc->bearer_token_file, strerror(errno));
		return;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	len = strcspn(buf, "\r\n");
	/* Nothing but line ends (and spaces) may follow the token. */
	if (n == sizeof(buf) - 1 || strlen(buf) != n ||
	    strspn(buf + len, "\r\n \t") != n - len) {
		perr(errors, file, err, oc->bearer_token_file_line,
		     "[output %s]: bearer_token_file \"%s\": not one line of at most %zu bytes",
		     oc->name, oc->bearer_token_file, sizeof(buf) - 2);
		return;
	}
	while (len && (buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	if (!len || strcspn(buf, " \t") < len) {
		perr(errors, file, err, oc->bearer_token_file_line,
		     "[output %s]: bearer_token_file \"%s\": %s", oc->name,
		     oc->bearer_token_file,
		     len ? "the token has a space in it" : "empty");
		return;
	}
	oc->bearer_token = strndup(buf, len);
	if (!oc->bearer_token)
		perr(errors, file, err, oc->line, "out of memory");
}

int conf_check_output_http(struct output_conf *oc, const char *file, FILE *err)
{
	int errors = 0;

	if (oc->type != OUT_HTTP) {
		if (oc->url || oc->headers || oc->bearer_token ||
		    oc->bearer_token_file)
			perr(&errors, file, err, oc->line,
			     "[output %s]: url, header and bearer_token(_file) are for type = http",
			     oc->name);
		return errors;
	}
	if (!oc->url)
		perr(&errors, file, err, oc->line,
		     "[output %s]: type = http needs url =", oc->name);
	else
		check_url(oc, file, err, &errors);
	if (oc->host || oc->status_topic || oc->command_topic)
		perr(&errors, file, err, oc->line,
		     "[output %s]: host, status_topic and command_topic are for type = mqtt (http takes url =)",
		     oc->name);
	if (oc->bearer_token && oc->bearer_token_file)
		perr(&errors, file, err, oc->bearer_token_file_line,
		     "[output %s]: bearer_token and bearer_token_file exclude each other",
		     oc->name);
	else if (oc->bearer_token_file)
		read_token(oc, file, err, &errors);
	if (oc->bearer_token && oc->username)
		perr(&errors, file, err, oc->line,
		     "[output %s]: bearer_token and username (basic auth) exclude each other",
		     oc->name);
	if (oc->timeout <= 0 || oc->connect_timeout <= 0)
		perr(&errors, file, err, oc->line,
		     "[output %s]: timeout and connect_timeout must be > 0",
		     oc->name);
	for (struct conf_kv *h = oc->headers; h; h = h->next)
		if (!strcasecmp(h->key, "Content-Length") ||
		    !strcasecmp(h->key, "Transfer-Encoding") ||
		    !strcasecmp(h->key, "Host"))
			perr(&errors, file, err, h->line,
			     "header: %s is set by the transport", h->key);
	return errors;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

bool conf_output_http_equal(const struct output_conf *a,
			    const struct output_conf *b)
{
	const struct conf_kv *x = a->headers, *y = b->headers;

	for (; x && y; x = x->next, y = y->next)
		if (strcmp(x->key, y->key) || strcmp(x->value, y->value))
			return false;
	return !x && !y && str_eq(a->url, b->url) && a->method == b->method &&
	       str_eq(a->bearer_token, b->bearer_token) &&
	       a->timeout == b->timeout &&
	       a->connect_timeout == b->connect_timeout &&
	       a->batch_max == b->batch_max &&
	       a->batch_bytes == b->batch_bytes &&
	       a->max_requests == b->max_requests;
}
