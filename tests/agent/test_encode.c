// SPDX-License-Identifier: GPL-2.0
/*
 * Encoders: every payload is parsed back with cJSON and its fields
 * compared with the report; SenML is checked against RFC 8428's rules
 * (base name/time in the first record, names, "vd" base64url); topic
 * templates and the historical flag.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "tap.h"

static struct rule_conf rule = { .name = (char *)"r1" };

static struct report rep(void)
{
	static const uint8_t raw[] = { 0x0a, 0xff, 0x00, 0x10 };

	return (struct report){
		.rule = &rule,
		.port = "can0",
		.signal = "123",
		.unit = "V",
		.stats = STAT_LAST | STAT_MIN | STAT_MAX | STAT_MEAN |
			 STAT_COUNT,
		.last = 10.5,
		.min = -1,
		.max = 12.25,
		.mean = 3.5,
		.count = 7,
		.ts_ns = 1700000000123456789ull,
		.first_ns = 1700000000000000001ull,
		.seq = 42,
		.raw = raw,
		.raw_len = sizeof(raw),
	};
}

static double num(cJSON *o, const char *k)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *str(cJSON *o, const char *k)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : "";
}

static void test_json(void)
{
	struct report r = rep();
	char *s = encode_json(&r), *h;
	cJSON *o = s ? cJSON_Parse(s) : NULL;

	ok(o && cJSON_IsObject(o), "JSON encoder output parses as an object");
	ok(!strcmp(str(o, "port"), "can0") &&
		   !strcmp(str(o, "signal"), "123") &&
		   !strcmp(str(o, "rule"), "r1") &&
		   !strcmp(str(o, "unit"), "V"),
	   "JSON names: port, signal, rule, unit");
	ok(num(o, "value") == 10.5 && num(o, "min") == -1 &&
		   num(o, "max") == 12.25 && num(o, "mean") == 3.5 &&
		   num(o, "count") == 7 && num(o, "seq") == 42,
	   "JSON values round-trip exactly");
	ok(!strcmp(str(o, "time"), "2023-11-14T22:13:20.123456789Z") &&
		   fabs(num(o, "ts") - 1700000000.123457) < 1e-5,
	   "JSON time is the capture time to the nanosecond");
	ok(!strcmp(str(o, "raw"), "0aff0010"), "JSON raw bytes in hex");
	ok(!cJSON_HasObjectItem(o, "historical"),
	   "live message not historical");
	h = encode_mark_historical(s, strlen(s));
	cJSON_Delete(o);
	o = h ? cJSON_Parse(h) : NULL;
	ok(o && cJSON_IsTrue(cJSON_GetObjectItem(o, "historical")) &&
		   num(o, "value") == 10.5,
	   "historical flag added, rest unchanged");
	cJSON_Delete(o);
	free(h);
	free(s);
	r.stats = STAT_LAST;
	r.raw = NULL;
	r.unit = NULL;
	s = encode_json(&r);
	o = cJSON_Parse(s);
	ok(o && !cJSON_HasObjectItem(o, "min") &&
		   !cJSON_HasObjectItem(o, "count") &&
		   !cJSON_HasObjectItem(o, "raw") &&
		   !cJSON_HasObjectItem(o, "unit") && num(o, "value") == 10.5,
	   "only the rule's stats are encoded");
	cJSON_Delete(o);
	free(s);
}

static void test_senml(void)
{
	struct report r = rep();
	char *s = encode_senml(&r), *h;
	cJSON *a = s ? cJSON_Parse(s) : NULL, *first, *e;
	int n = 0, names_ok = 1;

	ok(a && cJSON_IsArray(a), "SenML output parses as an array (pack)");
	first = cJSON_GetArrayItem(a, 0);
	ok(!strcmp(str(first, "bn"), "urn:dev:m2mgw:can0:") &&
		   fabs(num(first, "bt") - 1700000000.123457) < 1e-5 &&
		   !strcmp(str(first, "n"), "123") &&
		   !strcmp(str(first, "u"), "V") && num(first, "v") == 10.5,
	   "SenML base record: bn, bt (capture time), n, u, v");
	cJSON_ArrayForEach(e, a)
	{
		const char *nm = str(e, "n");

		n++;
		/* RFC 8428 4.5.1: name characters. */
		if (strspn(nm,
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-:._/") !=
		    strlen(nm))
			names_ok = 0;
		if (n > 1 && cJSON_HasObjectItem(e, "bn"))
			names_ok = 0;
	}
	ok(n == 6 && names_ok,
	   "SenML: 6 records, valid names, base fields once");
	e = cJSON_GetArrayItem(a, 1);
	ok(!strcmp(str(e, "n"), "123:min") && num(e, "v") == -1,
	   "SenML min record");
	e = cJSON_GetArrayItem(a, 4);
	ok(!strcmp(str(e, "n"), "123:count") && num(e, "v") == 7,
	   "SenML count record");
	e = cJSON_GetArrayItem(a, 5);
	ok(!strcmp(str(e, "n"), "123:raw") && !strcmp(str(e, "vd"), "Cv8AEA"),
	   "SenML vd is unpadded base64url of the raw bytes");
	h = encode_mark_historical(s, strlen(s));
	cJSON_Delete(a);
	a = h ? cJSON_Parse(h) : NULL;
	ok(a &&
		   cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(a, 0),
						    "historical")) &&
		   cJSON_GetArraySize(a) == 6,
	   "SenML historical flag on the base record");
	cJSON_Delete(a);
	free(h);
	free(s);
	ok(!encode_mark_historical("{broken", 7), "garbage is not re-encoded");
}

static void test_topic(void)
{
	struct report r = rep();
	char buf[64];

	ok(topic_expand(buf, sizeof(buf), "site/{port}/{signal}", &r) == 13 &&
		   !strcmp(buf, "site/can0/123"),
	   "topic template expands");
	ok(topic_expand(buf, sizeof(buf), "{rule}:{port}", &r) > 0 &&
		   !strcmp(buf, "r1:can0"),
	   "rule name in topic");
	ok(topic_expand(buf, 8, "site/{port}/{signal}", &r) == -1,
	   "too long topic refused, not truncated");
	ok(topic_check("a/{port}") == 0 && topic_check("a/{dev}") == -1 &&
		   topic_check("a/+/b") == -1 && topic_check("a/#") == -1,
	   "template check: unknown fields and wildcards refused");
}

int main(void)
{
	test_json();
	test_senml();
	test_topic();
	return tap_done();
}
