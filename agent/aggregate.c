// SPDX-License-Identifier: GPL-2.0
/* Per-signal windows; see aggregate.h for the semantics. */
#include <fnmatch.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"

#define NBUCKETS 1024

struct window {
	struct window *next; /* hash chain */
	const struct rule_conf *rule;
	char *port, *signal, *unit;
	uint64_t start_ns, end_ns; /* capture-time span (period > 0) */
	double opened;		   /* wall time the first sample came */
	uint64_t count;
	double sum, min, max, last;
	uint64_t first_ns, ts_ns, seq;
	uint8_t raw[REPORT_RAW_MAX];
	size_t raw_len;
	bool has_raw;
	bool reported; /* last_reported is valid */
	double last_reported;
};

struct aggregator {
	const struct agent_conf *conf;
	report_fn fn;
	void *ctx;
	struct agg_stats st;
	unsigned int open;
	struct window *buckets[NBUCKETS];
};

struct aggregator *agg_new(const struct agent_conf *c, report_fn fn, void *ctx)
{
	struct aggregator *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->conf = c;
	a->fn = fn;
	a->ctx = ctx;
	return a;
}

static unsigned int hash(const struct rule_conf *r, const char *port,
			 const char *sig)
{
	uint32_t h = 2166136261u ^ (uint32_t)(uintptr_t)r;

	for (const char *p = port; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	h = (h ^ '/') * 16777619u;
	for (const char *p = sig; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return h % NBUCKETS;
}

static struct window *win_get(struct aggregator *a, const struct rule_conf *r,
			      const char *port, const struct sample *s)
{
	unsigned int h = hash(r, port, s->signal);
	struct window *w;

	for (w = a->buckets[h]; w; w = w->next)
		if (w->rule == r && !strcmp(w->signal, s->signal) &&
		    !strcmp(w->port, port))
			return w;
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->rule = r;
	w->port = strdup(port);
	w->signal = strdup(s->signal);
	w->unit = s->unit ? strdup(s->unit) : NULL;
	w->next = a->buckets[h];
	a->buckets[h] = w;
	return w;
}

static void win_close(struct aggregator *a, struct window *w)
{
	const struct rule_conf *r = w->rule;
	double v = (r->stats & STAT_LAST) ? w->last : w->sum / (double)w->count;
	struct report rep;

	if (!w->count)
		return;
	a->open--;
	if (w->reported &&
	    ((r->on_change && v == w->last_reported) ||
	     (r->deadband > 0 && fabs(v - w->last_reported) < r->deadband))) {
		a->st.suppressed++;
		w->count = 0;
		return;
	}
	rep = (struct report){
		.rule = r,
		.port = w->port,
		.signal = w->signal,
		.unit = w->unit,
		.stats = r->stats,
		.last = w->last,
		.min = w->min,
		.max = w->max,
		.mean = w->sum / (double)w->count,
		.count = w->count,
		.ts_ns = w->ts_ns,
		.first_ns = w->first_ns,
		.seq = w->seq,
		.raw = w->has_raw ? w->raw : NULL,
		.raw_len = w->raw_len,
	};
	w->reported = true;
	w->last_reported = v;
	w->count = 0;
	a->st.reports++;
	a->fn(a->ctx, &rep);
}

static void win_add(struct aggregator *a, struct window *w,
		    const struct sample *s, double now)
{
	const struct rule_conf *r = w->rule;

	if (r->period > 0) {
		uint64_t p = (uint64_t)(r->period * 1e9);

		if (w->count && s->tstamp_ns >= w->end_ns)
			win_close(a, w);
		if (!w->count) {
			w->start_ns = s->tstamp_ns - s->tstamp_ns % p;
			w->end_ns = w->start_ns + p;
		}
	}
	if (!w->count) {
		a->open++;
		w->opened = now;
		w->first_ns = s->tstamp_ns;
		w->sum = 0;
		w->min = w->max = s->value;
	}
	w->count++;
	w->sum += s->value;
	if (s->value < w->min)
		w->min = s->value;
	if (s->value > w->max)
		w->max = s->value;
	w->last = s->value;
	w->ts_ns = s->tstamp_ns;
	w->seq = s->seq;
	w->has_raw = s->raw && s->raw_len <= REPORT_RAW_MAX;
	if (w->has_raw) {
		memcpy(w->raw, s->raw, s->raw_len);
		w->raw_len = s->raw_len;
	}
	if (r->period <= 0)
		win_close(a, w);
}

void agg_sample(struct aggregator *a, const char *port, const struct sample *s,
		double now)
{
	bool matched = false;

	for (const struct rule_conf *r = a->conf->rules; r; r = r->next) {
		struct window *w;

		if (strcmp(r->port, "*") && strcmp(r->port, port))
			continue;
		if (fnmatch(r->signal, s->signal, 0))
			continue;
		matched = true;
		w = win_get(a, r, port, s);
		if (w)
			win_add(a, w, s, now);
	}
	if (matched)
		a->st.samples++;
	else
		a->st.unmatched++;
}

void agg_tick(struct aggregator *a, double now)
{
	for (unsigned int i = 0; i < NBUCKETS && a->open; i++) {
		for (struct window *w = a->buckets[i]; w; w = w->next) {
			double span;

			if (!w->count)
				continue;
			/* Wall time the window covers from its first sample,
			 * plus a little grace for frames still in flight. */
			span = (double)(w->end_ns - w->first_ns) / 1e9;
			if (now - w->opened >= span + 0.2)
				win_close(a, w);
		}
	}
}

void agg_flush(struct aggregator *a)
{
	for (unsigned int i = 0; i < NBUCKETS && a->open; i++)
		for (struct window *w = a->buckets[i]; w; w = w->next)
			win_close(a, w);
}

const struct agg_stats *agg_stats(const struct aggregator *a)
{
	return &a->st;
}

unsigned int agg_open_windows(const struct aggregator *a)
{
	return a->open;
}

unsigned int agg_overdue(const struct aggregator *a, double now)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < NBUCKETS && a->open; i++)
		for (const struct window *w = a->buckets[i]; w; w = w->next)
			if (w->count &&
			    now - w->opened >
				    (double)(w->end_ns - w->first_ns) / 1e9 +
					    1.2)
				n++;
	return n;
}

void agg_free(struct aggregator *a)
{
	if (!a)
		return;
	for (unsigned int i = 0; i < NBUCKETS; i++) {
		while (a->buckets[i]) {
			struct window *w = a->buckets[i];

			a->buckets[i] = w->next;
			free(w->port);
			free(w->signal);
			free(w->unit);
			free(w);
		}
	}
	free(a);
}
