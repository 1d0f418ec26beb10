// SPDX-License-Identifier: GPL-2.0
/*
 * HTTP(S) transport: batches of spooled messages POSTed (or PUT) by
 * libcurl's multi interface on the agent's libev loop (http_multi.c).
 *
 * A request slot takes up to batch_max queued records (batch_bytes of
 * body), live ones first; a batch is all live or all historical, and
 * historical records are paced by replay_rate like MQTT's.  The records
 * stay "in flight" in the spool until the response decides (see
 * output_http.h): acked on 2xx, acked and counted as rejected on a 4xx
 * that retrying cannot fix, back to the spool's historical queue on
 * anything else.  After a failure no request goes out until the backoff
 * (or Retry-After) has passed, and then one at a time until one
 * succeeds; max_requests > 1 allows concurrent requests (faster, but
 * batches may then land out of order).
 *
 * State: "idle" (nothing sent yet), "connected" (the last request got a
 * response that settled its batch), "backoff" (waiting to retry),
 * "retrying" (the probe request is out), "closed".  connected() is true
 * for idle and connected: while it is false new messages are spooled as
 * historical, as with MQTT while the broker is away.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "http_multi.h"
#include "lazylib.h"
#include "log.h"
#include "output.h"
#include "output_http.h"

#ifndef M2MGWD_VERSION
#define M2MGWD_VERSION "0"
#endif

/* Bytes of a rejecting response body kept for the log line. */
#define RESP_KEEP 200

enum hs_state {
	HS_IDLE,
	HS_CONNECTED,
	HS_BACKOFF,
	HS_RETRYING,
	HS_CLOSED
};

static const char *const hs_names[] = {
	[HS_IDLE] = "idle",	  [HS_CONNECTED] = "connected",
	[HS_BACKOFF] = "backoff", [HS_RETRYING] = "retrying",
	[HS_CLOSED] = "closed",
};

struct http_out;

struct http_req {
	struct http_out *h;
	CURL *easy;
	bool busy;
	struct spool_rec **recs;
	unsigned int n;
	struct http_body body;
	char resp[RESP_KEEP + 1];
	size_t resp_len;
	char errbuf[CURL_ERROR_SIZE];
};

struct http_out {
	struct output *o;
	struct http_multi hm;
	enum hs_state state;
	ev_timer retry; /* backoff */
	ev_timer pace;	/* historical rate limit */
	unsigned int attempts;
	struct http_req *reqs;
	unsigned int nreq;     /* busy slots */
	unsigned int inflight; /* records in busy slots */
	struct curl_slist *hdrs;
	double tokens, refilled;
};

static int lib_refs;

static struct http_out *hs(struct output *o)
{
	return o->priv;
}

static void pump(struct http_out *h);

static size_t write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_req *q = arg;
	size_t n = size * nmemb, room = RESP_KEEP - q->resp_len;

	memcpy(q->resp + q->resp_len, data, n < room ? n : room);
	q->resp_len += n < room ? n : room;
	q->resp[q->resp_len] = '\0';
	return n;
}

/* Give a request's records back to the spool (historical, in order). */
static void req_release(struct http_out *h, struct http_req *q, bool requeue)
{
	for (unsigned int i = 0; i < q->n; i++) {
		if (requeue)
			spool_requeue(h->o->sp, q->recs[i]);
		else
			spool_ack(h->o->sp, q->recs[i]);
	}
	h->inflight -= q->n;
	q->n = 0;
	q->busy = false;
	h->nreq--;
}

static void abort_all(struct http_out *h)
{
	for (unsigned int i = 0; i < h->o->oc->max_requests; i++) {
		struct http_req *q = &h->reqs[i];

		if (!q->busy)
			continue;
		http_multi_remove(&h->hm, q->easy);
		req_release(h, q, true);
	}
}

static void schedule_retry(struct http_out *h, double retry_after)
{
	const struct output_conf *oc = h->o->oc;
	double d = http_retry_delay(oc->backoff_min, oc->backoff_max,
				    h->attempts, retry_after, drand48());

	h->attempts++;
	h->state = HS_BACKOFF;
	/* Concurrent failures: the latest deadline wins. */
	if (ev_is_active(&h->retry) &&
	    ev_timer_remaining(h->o->ag->loop, &h->retry) >= d)
		return;
	log_info("http %s: retrying in %.1f s%s", oc->name, d,
		 retry_after >= 0 ? " (Retry-After)" : "");
	ev_timer_stop(h->o->ag->loop, &h->retry);
	ev_timer_set(&h->retry, d, 0);
	ev_timer_start(h->o->ag->loop, &h->retry);
}

/* The first bytes of a response body, printable, for a log line. */
static void printable(char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

static void done_cb(struct http_multi *hm, CURL *easy, CURLcode rc)
{
	struct http_out *h = container_of(hm, struct http_out, hm);
	struct output *o = h->o;
	const char *name = o->oc->name;
	curl_off_t after = -1;
	struct http_req *q;
	long status = 0;

	libcurl.easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&q);
	if (rc == CURLE_OK)
		libcurl.easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	printable(q->resp);
	switch (rc == CURLE_OK ? http_classify(status) : HTTP_RETRY) {
	case HTTP_DELIVERED:
		o->acked += q->n;
		req_release(h, q, false);
		if (h->state != HS_BACKOFF) {
			if (h->state != HS_CONNECTED)
				log_notice("http %s: %s answers (HTTP %ld)",
					   name, o->oc->url, status);
			h->state = HS_CONNECTED;
			h->attempts = 0;
		}
		break;
	case HTTP_REJECTED:
		log_warn(
			"http %s: %s rejected a batch of %u messages with HTTP %ld: \"%s\"; dropped",
			name, o->oc->url, q->n, status, q->resp);
		o->ag->drops[DROP_HTTP_REJECTED] += q->n;
		o->rejected_batches++;
		req_release(h, q, false);
		if (h->state != HS_BACKOFF) {
			h->state = HS_CONNECTED;
			h->attempts = 0;
		}
		break;
	case HTTP_RETRY:
		o->connect_failures++;
		if (rc != CURLE_OK)
			log_warn("http %s: %s: %s", name, o->oc->url,
				 q->errbuf[0] ? q->errbuf :
						libcurl.easy_strerror(rc));
		else
			log_warn("http %s: %s answered HTTP %ld: \"%s\"", name,
				 o->oc->url, status, q->resp);
		if (status)
			libcurl.easy_getinfo(easy, CURLINFO_RETRY_AFTER,
					     &after);
		req_release(h, q, true);
		if (!o->ag->draining)
			schedule_retry(h, status && after > 0 ? (double)after :
								-1);
		else
			h->state = HS_BACKOFF;
		break;
	}
	pump(h);
}

static void retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct http_out *h = container_of(w, struct http_out, retry);

	(void)loop;
	(void)revents;
	h->state = HS_RETRYING;
	pump(h);
}

static void pace_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct http_out *h = container_of(w, struct http_out, pace);

	(void)loop;
	(void)revents;
	pump(h);
}

/* Historical token bucket: burst of up to one second's worth. */
static bool take_token(struct http_out *h)
{
	double rate = h->o->oc->replay_rate, now = now_mono();
	double burst = rate < 1 ? 1 : rate;

	if (rate <= 0)
		return true;
	h->tokens += (now - h->refilled) * rate;
	h->refilled = now;
	if (h->tokens > burst)
		h->tokens = burst;
	if (h->tokens >= 1) {
		h->tokens -= 1;
		return true;
	}
	if (!ev_is_active(&h->pace)) {
		ev_timer_set(&h->pace, (1 - h->tokens) / rate, 0);
		ev_timer_start(h->o->ag->loop, &h->pace);
	}
	return false;
}

/* Add one spooled record to @q's body: 1 added, 0 stop, -1 skip it. */
static int fill_one(struct http_out *h, struct http_req *q, struct spool_rec *r,
		    bool hist)
{
	struct output *o = h->o;
	const char *topic, *payload;
	char *marked = NULL;
	size_t len;
	void *buf;
	int rc;

	rc = spool_read(o->sp, r, &buf, &topic, &payload, &len);
	if (rc == -EBADMSG) {
		o->ag->drops[DROP_SPOOL_CORRUPT]++;
		return -1;
	}
	if (rc) {
		log_err("http %s: spool read: %s", o->oc->name, strerror(-rc));
		return 0;
	}
	if (hist) {
		marked = encode_mark_historical(payload, len);
		if (marked) {
			payload = marked;
			len = strlen(marked);
		}
	}
	rc = http_body_add(&q->body, payload, len, o->oc->batch_bytes);
	free(marked);
	free(buf);
	if (rc)
		return 0; /* full (-E2BIG) or out of memory: send what we have */
	spool_take(o->sp, r);
	q->recs[q->n++] = r;
	return 1;
}

/* Fill @q with the next batch: its message count. */
static unsigned int fill(struct http_out *h, struct http_req *q)
{
	struct output *o = h->o;
	bool hist = !spool_peek(o->sp, false);

	http_body_reset(&q->body);
	q->n = 0;
	while (q->n < o->oc->batch_max) {
		struct spool_rec *r = spool_peek(o->sp, hist);
		int rc;

		if (!r || (hist && (o->ag->draining || !take_token(h))))
			break;
		rc = fill_one(h, q, r, hist);
		if (rc == 0) {
			if (hist)
				h->tokens += 1;
			break;
		}
	}
	return q->n;
}

static void setup(struct http_out *h, struct http_req *q)
{
	const struct output_conf *oc = h->o->oc;
	CURL *e = q->easy;

	libcurl.easy_reset(e);
	libcurl.easy_setopt(e, CURLOPT_URL, oc->url);
	libcurl.easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	libcurl.easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	libcurl.easy_setopt(e, CURLOPT_USERAGENT, "m2mgwd/" M2MGWD_VERSION);
	libcurl.easy_setopt(e, CURLOPT_POSTFIELDS, q->body.buf);
	libcurl.easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)q->body.len);
	if (oc->method == HTTP_PUT)
		libcurl.easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PUT");
	libcurl.easy_setopt(e, CURLOPT_HTTPHEADER, h->hdrs);
	libcurl.easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(oc->timeout * 1000));
	libcurl.easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
			    (long)(oc->connect_timeout * 1000));
	libcurl.easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	libcurl.easy_setopt(e, CURLOPT_WRITEDATA, q);
	libcurl.easy_setopt(e, CURLOPT_PRIVATE, q);
	libcurl.easy_setopt(e, CURLOPT_ERRORBUFFER, q->errbuf);
	if (oc->bearer_token) {
		libcurl.easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
		libcurl.easy_setopt(e, CURLOPT_XOAUTH2_BEARER,
				    oc->bearer_token);
	} else if (oc->username) {
		libcurl.easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		libcurl.easy_setopt(e, CURLOPT_USERNAME, oc->username);
		libcurl.easy_setopt(e, CURLOPT_PASSWORD,
				    oc->password ? oc->password : "");
	}
	if (oc->tls_ca)
		libcurl.easy_setopt(e, CURLOPT_CAINFO, oc->tls_ca);
	if (oc->tls_cert) {
		libcurl.easy_setopt(e, CURLOPT_SSLCERT, oc->tls_cert);
		libcurl.easy_setopt(e, CURLOPT_SSLKEY, oc->tls_key);
	}
	libcurl.easy_setopt(e, CURLOPT_SSL_VERIFYPEER,
			    oc->tls_insecure ? 0L : 1L);
	libcurl.easy_setopt(e, CURLOPT_SSL_VERIFYHOST,
			    oc->tls_insecure ? 0L : 2L);
}

static void pump(struct http_out *h)
{
	struct output *o = h->o;
	unsigned int max = o->oc->max_requests;

	if (h->state == HS_BACKOFF || h->state == HS_CLOSED)
		return;
	/* After a failure: one probe at a time until one gets through. */
	if (h->state == HS_RETRYING)
		max = 1;
	while (h->nreq < max) {
		struct http_req *q = NULL;

		for (unsigned int i = 0; i < o->oc->max_requests && !q; i++)
			if (!h->reqs[i].busy)
				q = &h->reqs[i];
		if (!q || !fill(h, q))
			return;
		if (http_body_finish(&q->body)) {
			q->busy = true;
			h->nreq++;
			h->inflight += q->n;
			req_release(h, q, true);
			return;
		}
		setup(h, q);
		q->resp_len = 0;
		q->resp[0] = '\0';
		q->errbuf[0] = '\0';
		q->busy = true;
		h->nreq++;
		h->inflight += q->n;
		if (http_multi_add(&h->hm, q->easy)) {
			req_release(h, q, true);
			schedule_retry(h, -1);
			return;
		}
		o->published += q->n;
		for (unsigned int i = 0; i < q->n; i++)
			if (spool_rec_hist(q->recs[i]))
				o->hist_published++;
	}
}

static struct curl_slist *make_headers(const struct output_conf *oc)
{
	struct curl_slist *l = NULL, *n;
	char line[1024];

	snprintf(line, sizeof(line), "Content-Type: %s",
		 http_content_type(oc->encoding));
	l = libcurl.slist_append(l, line);
	/* No "Expect: 100-continue" round trip before large bodies. */
	n = l ? libcurl.slist_append(l, "Expect:") : NULL;
	for (const struct conf_kv *kv = oc->headers; kv && n; kv = kv->next) {
		l = n;
		snprintf(line, sizeof(line), "%s: %s", kv->key, kv->value);
		n = libcurl.slist_append(l, line);
	}
	if (!n) {
		libcurl.slist_free_all(l);
		return NULL;
	}
	return n;
}

static void http_destroy(struct output *o);

static int http_start(struct output *o)
{
	const struct output_conf *oc = o->oc;
	struct http_out *h;
	char why[256];

	/* Loaded by the configuration check already: this cannot fail
	 * unless the library was removed since. */
	if (libcurl_load(why, sizeof(why))) {
		log_err("http %s: %s", oc->name, why);
		return -ENOENT;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	if (!lib_refs++ && libcurl.global_init(CURL_GLOBAL_DEFAULT)) {
		lib_refs--;
		free(h);
		return -ENOMEM;
	}
	h->o = o;
	o->priv = h;
	h->refilled = now_mono();
	ev_timer_init(&h->retry, retry_cb, 0, 0);
	ev_timer_init(&h->pace, pace_cb, 0, 0);
	h->reqs = calloc(oc->max_requests, sizeof(*h->reqs));
	h->hdrs = make_headers(oc);
	if (!h->reqs || !h->hdrs ||
	    http_multi_init(&h->hm, o->ag->loop, done_cb))
		goto err;
	for (unsigned int i = 0; i < oc->max_requests; i++) {
		struct http_req *q = &h->reqs[i];

		q->h = h;
		http_body_init(&q->body, oc->encoding);
		q->recs = calloc(oc->batch_max, sizeof(*q->recs));
		q->easy = libcurl.easy_init();
		if (!q->recs || !q->easy)
			goto err;
	}
	log_info("http %s: %s %s, batches of up to %u messages", oc->name,
		 oc->method == HTTP_PUT ? "PUT" : "POST", oc->url,
		 oc->batch_max);
	/* Messages a previous run left in the spool go now. */
	pump(h);
	return 0;
err:
	http_destroy(o);
	return -ENOMEM;
}

static void http_kick(struct output *o)
{
	pump(hs(o));
}

static bool http_connected(struct output *o)
{
	enum hs_state s = hs(o)->state;

	return s == HS_IDLE || s == HS_CONNECTED;
}

static unsigned int http_inflight(struct output *o)
{
	return hs(o)->inflight;
}

static void http_recover(struct output *o)
{
	struct http_out *h = hs(o);

	log_warn("http %s: no delivery progress; aborting requests",
		 o->oc->name);
	abort_all(h);
	schedule_retry(h, -1);
}

static void http_shutdown(struct output *o)
{
	struct http_out *h = hs(o);

	ev_timer_stop(o->ag->loop, &h->retry);
	ev_timer_stop(o->ag->loop, &h->pace);
	abort_all(h);
	h->state = HS_CLOSED;
}

static const char *http_state(struct output *o)
{
	return hs_names[hs(o)->state];
}

static void http_destroy(struct output *o)
{
	struct http_out *h = hs(o);

	if (h->reqs) {
		if (h->hm.multi)
			abort_all(h);
		for (unsigned int i = 0; i < o->oc->max_requests; i++) {
			if (h->reqs[i].easy)
				libcurl.easy_cleanup(h->reqs[i].easy);
			http_body_free(&h->reqs[i].body);
			free(h->reqs[i].recs);
		}
	}
	http_multi_cleanup(&h->hm);
	ev_timer_stop(o->ag->loop, &h->retry);
	ev_timer_stop(o->ag->loop, &h->pace);
	libcurl.slist_free_all(h->hdrs);
	free(h->reqs);
	free(h);
	o->priv = NULL;
	if (!--lib_refs)
		libcurl.global_cleanup();
}

const struct output_ops output_http_ops = {
	.type = "http",
	.start = http_start,
	.kick = http_kick,
	.connected = http_connected,
	.inflight = http_inflight,
	.recover = http_recover,
	.shutdown = http_shutdown,
	.state = http_state,
	.destroy = http_destroy,
};
