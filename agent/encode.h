/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Encoders: a report becomes one message payload (malloc'd string, NUL
 * terminated) through cJSON.
 *
 * JSON (encoding = json), one object per report:
 *   {"port":"can0","signal":"123","rule":"all","time":"2026-11-25T06:50:31.123456789Z",
 *    "ts":1795589431.123457,"seq":42,"value":10,"min":1,"max":10,
 *    "mean":5.5,"count":10,"unit":"V","raw":"0a"}
 *   time/ts are the capture time of the last sample of the window (time
 *   exact to the ns, ts in seconds); value is "last"; min/max/mean/count
 *   only if the rule reports them; "historical": true when the message
 *   comes late from the spool.
 *
 * SenML (encoding = senml, RFC 8428 JSON): a pack of records,
 *   [{"bn":"urn:dev:m2mgw:can0:","bt":1795589431.123457,"n":"123","u":"V","v":10},
 *    {"n":"123:min","v":1}, ..., {"n":"123:count","v":10},
 *    {"n":"123:raw","vd":"Cg"}]
 *   with "historical": true in the first record when late (an extension
 *   label without the '_' must-understand suffix, so plain SenML readers
 *   ignore it).
 */
#ifndef M2MGWD_ENCODE_H
#define M2MGWD_ENCODE_H

#include <stddef.h>

#include "aggregate.h"

char *encode_json(const struct report *r);
char *encode_senml(const struct report *r);
char *encode_report(int encoding, const struct report *r);

/* A copy of a stored payload (JSON or SenML) flagged historical. */
char *encode_mark_historical(const char *payload, size_t len);

/*
 * Expand {port}, {signal} and {rule} in @tmpl into @buf.  Returns the
 * length, or -1 if it does not fit or a {name} is unknown.
 */
int topic_expand(char *buf, size_t n, const char *tmpl, const struct report *r);
/* 0 if every {name} in @tmpl is known. */
int topic_check(const char *tmpl);

/* RFC 3339 UTC time with nanoseconds. */
void format_time_ns(char *buf, size_t n, uint64_t ns);

#endif /* M2MGWD_ENCODE_H */
