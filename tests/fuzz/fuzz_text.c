// SPDX-License-Identifier: GPL-2.0
/*
 * Text decoder (key=value and CSV lines): the first byte picks the
 * options (kv, or csv with one of a few separators and column lists),
 * the rest is serial data cut into frames at each 0x01 byte.
 */
#include "fuzz_decode.h"

#define KV(k, v, nx)                                              \
	{                                                         \
		.next = (nx), .key = (k), .value = (v), .line = 1 \
	}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf_kv cols = KV("columns", "a,-,b.c,d_e,f", NULL);
	static struct conf_kv wide = KV(
		"columns",
		"c0,c1,c2,c3,c4,c5,c6,c7,c8,c9,c10,c11,c12,c13,c14,c15,"
		"c16,c17,c18,c19,c20,c21,c22,c23,c24,c25,c26,c27,c28,c29,c30,c31",
		NULL);
	static struct conf_kv semi = KV("separator", "semicolon", &cols);
	static struct conf_kv tab = KV("separator", "tab", &wide);
	static struct conf_kv space = KV("separator", "space", &cols);
	static struct conf_kv csv = KV("format", "csv", &cols);
	static struct conf_kv csv_semi = KV("format", "csv", &semi);
	static struct conf_kv csv_tab = KV("format", "csv", &tab);
	static struct conf_kv csv_space = KV("format", "csv", &space);
	static struct conf_kv kv = KV("format", "kv", NULL);
	static struct conf_kv *const opts[] = {
		NULL, &kv, &csv, &csv_semi, &csv_tab, &csv_space
	};

	if (!size)
		return 0;
	fuzz_decode("text", opts[data[0] % 6], data + 1, size - 1, 0x01);
	return 0;
}
