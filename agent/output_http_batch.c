// SPDX-License-Identifier: GPL-2.0
/* HTTP output: request bodies from spooled messages, retry policy. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "output_http.h"

void http_body_init(struct http_body *b, int encoding)
{
	memset(b, 0, sizeof(*b));
	b->encoding = encoding;
}

void http_body_reset(struct http_body *b)
{
	b->len = 0;
	b->n = 0;
}

void http_body_free(struct http_body *b)
{
	free(b->buf);
	http_body_init(b, b->encoding);
}

static int reserve(struct http_body *b, size_t more)
{
	size_t want = b->len + more + 1;
	char *p;

	if (want <= b->cap)
		return 0;
	if (want < 2 * b->cap)
		want = 2 * b->cap;
	p = realloc(b->buf, want);
	if (!p)
		return -ENOMEM;
	b->buf = p;
	b->cap = want;
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int http_body_add(struct http_body *b, const char *payload, size_t len,
		  size_t max_bytes)
{
	const char *p = payload, *end = payload + len;

	while (p < end && is_space(*p))
		p++;
	while (end > p && is_space(end[-1]))
		end--;
	/* SenML: splice the records of the pack into ours. */
	if (b->encoding == ENC_SENML && end - p >= 2 && *p == '[' &&
	    end[-1] == ']') {
		p++;
		end--;
		while (p < end && is_space(*p))
			p++;
		while (end > p && is_space(end[-1]))
			end--;
	}
	if (p == end)
		return 0; /* an empty pack: nothing to carry */
	len = (size_t)(end - p);
	/* '[' or ',' before, ']' after. */
	if (b->n && b->len + 1 + len + 1 > max_bytes)
		return -E2BIG;
	if (reserve(b, len + 2))
		return -ENOMEM;
	b->buf[b->len++] = b->n ? ',' : '[';
	memcpy(b->buf + b->len, p, len);
	b->len += len;
	b->buf[b->len] = '\0';
	b->n++;
	return 0;
}

int http_body_finish(struct http_body *b)
{
	if (reserve(b, 2))
		return -ENOMEM;
	if (!b->n)
		b->buf[b->len++] = '[';
	b->buf[b->len++] = ']';
	b->buf[b->len] = '\0';
	return 0;
}

const char *http_content_type(int encoding)
{
	/* RFC 8428 section 12.3 registers this media type. */
	return encoding == ENC_SENML ? "application/senml+json" :
				       "application/json";
}

enum http_verdict http_classify(long status)
{
	if (status >= 200 && status <= 299)
		return HTTP_DELIVERED;
	if (status == 408 || status == 429)
		return HTTP_RETRY;
	if (status >= 400 && status <= 499)
		return HTTP_REJECTED;
	return HTTP_RETRY;
}

double http_retry_delay(double min, double max, unsigned int attempts,
			double retry_after, double rnd)
{
	double d;

	if (retry_after >= 0)
		return retry_after > HTTP_RETRY_AFTER_MAX ?
			       HTTP_RETRY_AFTER_MAX :
			       retry_after;
	d = min * pow(2, attempts > 62 ? 62 : attempts);
	if (d > max)
		d = max;
	return d * (0.5 + 0.5 * rnd);
}
