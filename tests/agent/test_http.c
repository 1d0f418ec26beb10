// SPDX-License-Identifier: GPL-2.0
/*
 * HTTP output without I/O: request bodies built from stored payloads
 * (JSON arrays, merged SenML packs, size limits), what each status
 * means for a batch, the retry delay, and the [output] type = http
 * config with its file:line errors.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "output_http.h"
#include "tap.h"

static void test_json_body(void)
{
	static const char *const p[] = { "{\"seq\":0,\"v\":1}",
					 " {\"seq\":1,\"v\":\"x,]\"}\n",
					 "{\"seq\":2}" };
	struct http_body b;
	cJSON *a;
	int bad = 0;

	http_body_init(&b, ENC_JSON);
	for (int i = 0; i < 3; i++)
		bad += http_body_add(&b, p[i], strlen(p[i]), 1 << 20) != 0;
	ok(!bad && !http_body_finish(&b) && b.n == 3, "json: 3 messages added");
	a = cJSON_Parse(b.buf);
	ok(cJSON_IsArray(a) && cJSON_GetArraySize(a) == 3,
	   "json: the body is an array of 3: %s", b.buf);
	for (int i = 0; a && i < 3; i++) {
		cJSON *m = cJSON_GetArrayItem(a, i);
		cJSON *s = cJSON_GetObjectItem(m, "seq");

		bad += !cJSON_IsNumber(s) || s->valueint != i;
	}
	ok(a && !bad, "json: the objects are there in order, strings intact");
	ok(strlen(b.buf) == b.len, "json: len matches the text");
	cJSON_Delete(a);

	http_body_reset(&b);
	http_body_finish(&b);
	ok(!strcmp(b.buf, "[]") && b.n == 0, "json: an empty batch is []");
	http_body_free(&b);
	ok(!strcmp(http_content_type(ENC_JSON), "application/json") &&
		   !strcmp(http_content_type(ENC_SENML),
			   "application/senml+json"),
	   "content types: application/json, application/senml+json");
}

static void test_senml_body(void)
{
	static const char p1[] =
		"[{\"bn\":\"urn:dev:m2mgw:can0:\",\"bt\":1700000000,\"n\":\"100\",\"v\":1},"
		"{\"n\":\"100:min\",\"v\":0}]";
	static const char p2[] =
		"[ {\"bn\":\"urn:dev:m2mgw:can1:\",\"bt\":1700000001,\"n\":\"101\",\"v\":2} ]";
	static const char *const want[] = { "100", "100:min", "101" };
	struct http_body b;
	cJSON *a;
	int bad = 0;

	http_body_init(&b, ENC_SENML);
	bad += http_body_add(&b, p1, strlen(p1), 1 << 20) != 0;
	bad += http_body_add(&b, "[]", 2, 1 << 20) != 0;
	bad += http_body_add(&b, p2, strlen(p2), 1 << 20) != 0;
	http_body_finish(&b);
	a = cJSON_Parse(b.buf);
	ok(!bad && cJSON_IsArray(a) && cJSON_GetArraySize(a) == 3,
	   "senml: two packs (and an empty one) merge into one pack of 3 records: %s",
	   b.buf);
	for (int i = 0; a && i < 3; i++) {
		cJSON *n = cJSON_GetObjectItem(cJSON_GetArrayItem(a, i), "n");

		bad += !cJSON_IsString(n) || strcmp(n->valuestring, want[i]);
	}
	ok(a && !bad, "senml: records in order, each pack keeps its bn/bt");
	ok(a && cJSON_GetObjectItem(cJSON_GetArrayItem(a, 2), "bn") &&
		   !strcmp(cJSON_GetObjectItem(cJSON_GetArrayItem(a, 2), "bn")
				   ->valuestring,
			   "urn:dev:m2mgw:can1:"),
	   "senml: the second pack's base name starts its records");
	ok(b.n == 2, "senml: 2 messages counted (the empty pack carries none)");
	cJSON_Delete(a);
	http_body_free(&b);
}

static void test_limits(void)
{
	static const char p[] = "{\"x\":1234}"; /* 10 bytes */
	struct http_body b;
	size_t max = 30;
	unsigned int fit = 0;
	int rc = 0;

	/* "[" p ("," p)* "]": n messages take n * 11 + 1 bytes. */
	http_body_init(&b, ENC_JSON);
	while (fit < 10 && !(rc = http_body_add(&b, p, 10, max)))
		fit++;
	http_body_finish(&b);
	ok(fit == (max - 1) / 11 && rc == -E2BIG,
	   "batch_bytes 30: %u messages of 10 bytes fit, the next is refused (%d)",
	   fit, rc);
	ok(b.len <= max && b.len == fit * 11 + 1, "body of %zu bytes <= 30",
	   b.len);
	http_body_reset(&b);
	rc = http_body_add(&b, p, 10, 5);
	ok(rc == 0 && b.n == 1, "a message larger than batch_bytes goes alone");
	rc = http_body_add(&b, p, 10, 5);
	ok(rc == -E2BIG && b.n == 1, "... and nothing joins it");
	http_body_free(&b);
}

static void test_classify(void)
{
	static const long delivered[] = { 200, 201, 202, 204, 299 };
	static const long retry[] = { 0,   100, 301, 304, 408, 429,
				      500, 502, 503, 504, 599 };
	static const long rejected[] = { 400, 401, 403, 404, 405,
					 409, 413, 415, 422, 499 };
	int bad = 0;

	for (size_t i = 0; i < sizeof(delivered) / sizeof(*delivered); i++)
		bad += http_classify(delivered[i]) != HTTP_DELIVERED;
	ok(!bad, "2xx: delivered");
	bad = 0;
	for (size_t i = 0; i < sizeof(retry) / sizeof(*retry); i++)
		bad += http_classify(retry[i]) != HTTP_RETRY;
	ok(!bad, "no answer, 1xx, 3xx, 408, 429, 5xx: retry");
	bad = 0;
	for (size_t i = 0; i < sizeof(rejected) / sizeof(*rejected); i++)
		bad += http_classify(rejected[i]) != HTTP_REJECTED;
	ok(!bad, "other 4xx: rejected (dropped)");
}

static void test_delay(void)
{
	double lo = 1e9, hi = 0;
	int bad = 0;

	for (unsigned int a = 0; a < 70; a++) {
		double d = 0.2 * (a < 20 ? (double)(1u << a) : 1e9);

		if (d > 30)
			d = 30;
		bad += http_retry_delay(0.2, 30, a, -1, 0) != d / 2;
		bad += http_retry_delay(0.2, 30, a, -1, 0.999999) > d;
		bad += http_retry_delay(0.2, 30, a, -1, 0.999999) < d * 0.99;
	}
	ok(!bad,
	   "backoff doubles from backoff_min to backoff_max, jitter within [d/2, d]");
	srand48(1);
	for (int i = 0; i < 1000; i++) {
		double d = http_retry_delay(1, 8, 3, -1, drand48());

		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	ok(lo >= 4 && hi <= 8 && hi - lo > 3,
	   "jitter spreads 1000 delays over [4, 8] (%.2f..%.2f)", lo, hi);
	ok(http_retry_delay(0.2, 30, 5, 7, 0.5) == 7,
	   "Retry-After replaces the backoff (even above backoff_max)");
	ok(http_retry_delay(0.2, 30, 0, 1e6, 0.5) == HTTP_RETRY_AFTER_MAX,
	   "a huge Retry-After is capped at %.0f s", HTTP_RETRY_AFTER_MAX);
}

static char path[64];

static struct agent_conf *load(const char *text, char **errs)
{
	struct agent_conf *c;
	size_t n;
	FILE *f = fopen(path, "w"), *err;

	fputs(text, f);
	fclose(f);
	err = open_memstream(errs, &n);
	c = conf_load(path, err);
	fclose(err);
	return c;
}

#define HEAD "[source]\ntype = replay\nfile = /x\n"

static void bad_conf(const char *text, int line, const char *msg)
{
	char *errs = NULL, want[512];
	struct agent_conf *c = load(text, &errs);

	snprintf(want, sizeof(want), "%s:%d: %s", path, line, msg);
	ok(!c && errs && strstr(errs, want), "bad config -> %s", want);
	if (c || !errs || !strstr(errs, want))
		printf("#   got: %s\n", errs ? errs : "(nothing)");
	conf_free(c);
	free(errs);
}

static void test_config(void)
{
	char *errs = NULL;
	struct agent_conf *c;
	struct output_conf *oc;
	int fd;

	strcpy(path, "/tmp/m2mgwd-test-http-XXXXXX");
	fd = mkstemp(path);
	close(fd);
	c = load(HEAD "[output web]\n"
		      "type = http\n"
		      "url = https://ingest.example.net:8443/v1/data?site=3\n"
		      "method = PUT\n"
		      "encoding = senml\n"
		      "header = X-Gateway: gw-1\n"
		      "header = X-Tenant:acme, inc\n"
		      "username = gw\n"
		      "password = pw\n"
		      "tls_ca = /etc/ssl/ca.pem\n"
		      "tls_insecure = yes\n"
		      "timeout = 2500ms\n"
		      "connect_timeout = 1s\n"
		      "batch_max = 50\n"
		      "batch_bytes = 64k\n"
		      "max_requests = 4\n",
		 &errs);
	oc = c ? c->outputs : NULL;
	ok(oc && oc->type == OUT_HTTP && oc->method == HTTP_PUT &&
		   !strcmp(oc->url,
			   "https://ingest.example.net:8443/v1/data?site=3") &&
		   oc->encoding == ENC_SENML && oc->timeout == 2.5 &&
		   oc->connect_timeout == 1 && oc->batch_max == 50 &&
		   oc->batch_bytes == 65536 && oc->max_requests == 4 &&
		   oc->tls_insecure,
	   "a good http output: every value as written");
	if (!c)
		printf("#   %s\n", errs);
	ok(oc && oc->headers && !strcmp(oc->headers->key, "X-Gateway") &&
		   !strcmp(oc->headers->value, "gw-1") && oc->headers->next &&
		   !strcmp(oc->headers->next->key, "X-Tenant") &&
		   !strcmp(oc->headers->next->value, "acme, inc") &&
		   oc->headers->next->line == 10 && !oc->headers->next->next,
	   "header = is repeatable, in order, with its line");
	conf_free(c);
	free(errs);
	errs = NULL;
	c = load(HEAD "[output web]\ntype = http\nurl = http://h/\n", &errs);
	oc = c ? c->outputs : NULL;
	ok(oc && oc->method == HTTP_POST && oc->timeout == 10 &&
		   oc->connect_timeout == 5 && oc->batch_max == 100 &&
		   oc->batch_bytes == 256 << 10 && oc->max_requests == 1 &&
		   !oc->headers,
	   "defaults: POST, 10 s, 5 s, 100 messages, 256k, 1 request");
	conf_free(c);
	free(errs);

	bad_conf(HEAD "[output web]\ntype = http\n", 4,
		 "[output web]: type = http needs url =");
	bad_conf(
		HEAD "[output web]\ntype = http\nurl = ftp://h/x\n", 6,
		"[output web]: url \"ftp://h/x\": the scheme must be http or https");
	bad_conf(HEAD "[output web]\ntype = http\nurl = http://h:99999/\n", 6,
		 "[output web]: url \"http://h:99999/\": ");
	bad_conf(HEAD
		 "[output web]\ntype = http\nurl = http://h/\nmethod = GET\n",
		 7, "method: \"GET\" is not one of POST, PUT");
	bad_conf(HEAD "[output web]\ntype = http\nurl = http://h/\n"
		      "header = X-A: 1\nheader = no colon\n",
		 8, "header: \"no colon\" is not a header \"Name: value\"");
	bad_conf(HEAD "[output web]\ntype = http\nurl = http://h/\n"
		      "header = Bad Name: 1\n",
		 7, "header: \"Bad Name: 1\" is not a header");
	bad_conf(HEAD "[output web]\ntype = http\nurl = http://h/\n"
		      "header = Content-Length: 5\n",
		 7, "header: Content-Length is set by the transport");
	bad_conf(
		HEAD "[output web]\ntype = http\nurl = http://h/\n"
		     "bearer_token = t\nusername = u\n",
		4,
		"[output web]: bearer_token and username (basic auth) exclude each other");
	bad_conf(
		HEAD "[output web]\ntype = http\nurl = http://h/\nhost = h\n",
		4,
		"[output web]: host, status_topic and command_topic are for type = mqtt");
	bad_conf(
		HEAD "[output b]\nhost = h\nurl = http://h/\n", 4,
		"[output b]: url, header and bearer_token(_file) are for type = http");
	bad_conf(HEAD "[output web]\ntype = http\nurl = http://h/\n"
		      "batch_max = 0\n",
		 7, "batch_max: \"0\" is not an integer in 1..100000");
	bad_conf(HEAD "[output web]\ntype = http\nurl = http://h/\n"
		      "timeout = 0\n",
		 4, "[output web]: timeout and connect_timeout must be > 0");
	unlink(path);
}

int main(void)
{
	test_json_body();
	test_senml_body();
	test_limits();
	test_classify();
	test_delay();
	test_config();
	return tap_done();
}
