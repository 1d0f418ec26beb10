/* SPDX-License-Identifier: GPL-2.0 */
/*
 * HTTP output: the parts without I/O, unit-tested on their own
 * (output_http_batch.c); the transport is output_http.c on top of
 * http_multi.c.
 *
 * A request carries a batch of spooled messages in one body:
 *   encoding = json    [msg, msg, ...]            a JSON array of the
 *                                                  stored objects
 *   encoding = senml   [rec, rec, ..., rec, ...]   one SenML pack: the
 *                      records of every stored pack in order; each
 *                      stored pack begins with its own bn/bt, so the
 *                      base values of one never leak into the next.
 * Payloads come from our own encoders, so joining them is string work,
 * not a parse (a parse would cost more than the request).
 *
 * What a response means for the batch:
 *   2xx                       delivered: every message is acked
 *   408, 429, 5xx, no answer  retry the whole batch later: its messages
 *   (timeout, refused, reset,  go back to the spool; the next attempt
 *   TLS error), 1xx, 3xx       waits an exponential backoff with jitter,
 *                              or Retry-After when the server sent one
 *   other 4xx                 rejected: the server will never take it;
 *                              counted, logged, acked (dropped) so a
 *                              poison batch cannot block the queue
 */
#ifndef M2MGWD_OUTPUT_HTTP_H
#define M2MGWD_OUTPUT_HTTP_H

#include <stddef.h>

#include "config.h"

/* Longest Retry-After honoured (a broken server must not park us). */
#define HTTP_RETRY_AFTER_MAX 3600.0

struct http_body {
	char *buf;
	size_t len, cap;
	unsigned int n; /* messages in it */
	int encoding;	/* enum encoding */
};

void http_body_init(struct http_body *b, int encoding);
void http_body_reset(struct http_body *b);
void http_body_free(struct http_body *b);
/*
 * Add one stored payload.  -E2BIG if the body would grow past
 * @max_bytes and already holds a message (a single message larger than
 * @max_bytes goes alone, or it would block the queue); -ENOMEM.
 */
int http_body_add(struct http_body *b, const char *payload, size_t len,
		  size_t max_bytes);
/* Close the array: b->buf, b->len is the request body. */
int http_body_finish(struct http_body *b);
const char *http_content_type(int encoding);

enum http_verdict {
	HTTP_DELIVERED,
	HTTP_RETRY,
	HTTP_REJECTED
};

/* @status: the HTTP status, 0 if there was no response at all. */
enum http_verdict http_classify(long status);
/*
 * Seconds to wait after the @attempts'th failure in a row (0-based):
 * min * 2^attempts capped at max, then drawn from [d/2, d] with @rnd in
 * [0, 1) so a fleet of gateways does not retry in step.  A Retry-After
 * of @retry_after seconds (< 0: none) replaces it, at most
 * HTTP_RETRY_AFTER_MAX.
 */
double http_retry_delay(double min, double max, unsigned int attempts,
			double retry_after, double rnd);

#endif /* M2MGWD_OUTPUT_HTTP_H */
