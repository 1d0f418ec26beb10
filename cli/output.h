/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one printing layer of m2mctl (after iproute2's json_print): every
 * value is emitted once, with a JSON key and a text format, so the text
 * and JSON outputs cannot drift apart.
 *
 * Text mode prints the format (NULL: nothing); JSON mode puts the value
 * under the key (NULL key: nothing) into a cJSON tree.  A top-level
 * object is printed when it is closed (one line per object: streams such
 * as monitor and dump), unless out_list_begin() opened a top-level array,
 * which is then printed by out_list_end() (listings such as port show).
 */
#ifndef M2MCTL_OUTPUT_H
#define M2MCTL_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

void out_init(FILE *f, bool json, bool pretty);
bool out_is_json(void);

void out_list_begin(void);
void out_list_end(void);

void out_obj_begin(const char *key);
void out_obj_end(void);
void out_arr_begin(const char *key);
void out_arr_end(void);

void out_str(const char *key, const char *fmt, const char *v);
void out_u64(const char *key, const char *fmt, uint64_t v);
void out_bool(const char *key, const char *fmt, bool v);
void out_double(const char *key, const char *fmt, double v);
/* Text only: separators, newlines, headings. */
void out_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* M2MCTL_OUTPUT_H */
