/* SPDX-License-Identifier: GPL-2.0 */
/* Config parser internals: the key tables (config_keys.c). */
#ifndef M2MGWD_CONFIG_INT_H
#define M2MGWD_CONFIG_INT_H

#include <stddef.h>
#include <stdint.h>

enum sect {
	S_NONE,
	S_AGENT,
	S_SOURCE,
	S_SPOOL,
	S_PORT,
	S_RULE,
	S_OUTPUT,
	S_BAD
};

enum ktype {
	K_STR,
	K_BOOL,
	K_DUR,
	K_SIZE,
	K_UINT,
	K_ENUM,
	K_DOUBLE,
	K_STATS,
	K_FILTERS,
	K_LOGLEVEL,
	K_HEADER /* "Name: value", repeatable, appended to a conf_kv list */
};

struct enum_val {
	const char *name;
	int value;
};

struct key_desc {
	const char *key;
	enum ktype type;
	size_t off;
	uint64_t min, max;	      /* K_UINT, K_SIZE */
	const struct enum_val *enums; /* K_ENUM */
};

#define A(f) offsetof(struct agent_conf, f)
#define P(f) offsetof(struct port_conf, f)
#define R(f) offsetof(struct rule_conf, f)
#define O(f) offsetof(struct output_conf, f)

const struct key_desc *conf_sect_keys(enum sect s);

#endif /* M2MGWD_CONFIG_INT_H */
