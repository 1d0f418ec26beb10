// SPDX-License-Identifier: GPL-2.0
/*
 * One printing layer for text and JSON (see output.h).  JSON goes
 * through cJSON only: no JSON is ever assembled with printf.
 */
#include <stdarg.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "output.h"

#define OUT_DEPTH 8

static struct {
	FILE *f;
	bool json;
	bool pretty;
	bool list;
	int depth;
	cJSON *stack[OUT_DEPTH];
} o;

void out_init(FILE *f, bool json, bool pretty)
{
	o.f = f;
	o.json = json;
	o.pretty = pretty;
}

bool out_is_json(void)
{
	return o.json;
}

static void emit(cJSON *root)
{
	char *s = o.pretty ? cJSON_Print(root) : cJSON_PrintUnformatted(root);

	if (s) {
		fprintf(o.f, "%s\n", s);
		free(s);
	}
	fflush(o.f);
}

/* Attach @item under @key to the innermost open object or array. */
static void add(const char *key, cJSON *item)
{
	cJSON *top;

	if (!item)
		return;
	if (!o.depth) {
		cJSON_Delete(item); /* values outside any object: text only */
		return;
	}
	top = o.stack[o.depth - 1];
	if (cJSON_IsArray(top))
		cJSON_AddItemToArray(top, item);
	else if (key)
		cJSON_AddItemToObject(top, key, item);
	else
		cJSON_Delete(item);
}

static void push(const char *key, cJSON *item)
{
	if (!item || o.depth == OUT_DEPTH) {
		cJSON_Delete(item);
		abort(); /* a programming error, not an input error */
	}
	if (o.depth)
		add(key, item);
	o.stack[o.depth++] = item;
}

static void pop(void)
{
	cJSON *item = o.stack[--o.depth];

	if (!o.depth) {
		emit(item);
		cJSON_Delete(item);
	}
}

void out_list_begin(void)
{
	if (!o.json)
		return;
	o.list = true;
	push(NULL, cJSON_CreateArray());
}

void out_list_end(void)
{
	if (!o.json)
		return;
	o.list = false;
	pop();
}

void out_obj_begin(const char *key)
{
	if (o.json)
		push(key, cJSON_CreateObject());
}

void out_obj_end(void)
{
	if (o.json)
		pop();
	else if (!o.depth)
		fflush(o.f);
}

void out_arr_begin(const char *key)
{
	if (o.json)
		push(key, cJSON_CreateArray());
}

void out_arr_end(void)
{
	if (o.json)
		pop();
}

void out_str(const char *key, const char *fmt, const char *v)
{
	if (o.json)
		add(key, cJSON_CreateString(v));
	else if (fmt)
		fprintf(o.f, fmt, v);
}

void out_u64(const char *key, const char *fmt, uint64_t v)
{
	if (o.json)
		/* cJSON numbers are doubles: exact up to 2^53, enough for counters. */
		add(key, cJSON_CreateNumber((double)v));
	else if (fmt)
		fprintf(o.f, fmt, (unsigned long long)v);
}

void out_bool(const char *key, const char *fmt, bool v)
{
	if (o.json)
		add(key, cJSON_CreateBool(v));
	else if (fmt)
		fprintf(o.f, fmt, v ? "on" : "off");
}

void out_double(const char *key, const char *fmt, double v)
{
	if (o.json)
		add(key, cJSON_CreateNumber(v));
	else if (fmt)
		fprintf(o.f, fmt, v);
}

void out_text(const char *fmt, ...)
{
	va_list ap;

	if (!o.json) {
		va_start(ap, fmt);
		/* clang-analyzer 14 misses the va_start just above. */
		/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized) */
		vfprintf(o.f, fmt, ap);
		va_end(ap);
	}
}
