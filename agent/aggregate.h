/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Aggregation: every sample is offered to every [rule] whose port and
 * signal pattern match; each (rule, port, signal) has a window.
 *
 * period = 0: every sample is a report of its own.
 * period > 0: windows are aligned on the capture clock ([k*period,
 * (k+1)*period) of the samples' time stamps), so the same input always
 * gives the same reports.  A window closes when a sample of a later
 * window arrives, or - when the input stops - once it has been open
 * longer than its span in wall time (agg_tick), or on agg_flush (drain,
 * reload).
 *
 * A closed window is reported unless suppressed: with deadband D when
 * |v - last reported v| < D, with on_change when v == last reported v,
 * v being "last" if the rule reports it, else "mean".  The report keeps
 * the capture time stamps of its samples; nothing here reads the clock
 * except to decide when an idle window has waited long enough.
 */
#ifndef M2MGWD_AGGREGATE_H
#define M2MGWD_AGGREGATE_H

#include <stdint.h>

#include "config.h"
#include "decode.h"

#define REPORT_RAW_MAX 64

struct report {
	const struct rule_conf *rule;
	const char *port;
	const char *signal;
	const char *unit;   /* or NULL */
	unsigned int stats; /* which of the values below to report */
	double last, min, max, mean;
	uint64_t count;
	uint64_t ts_ns;	    /* capture time of the last sample */
	uint64_t first_ns;  /* capture time of the first sample */
	uint64_t seq;	    /* frame sequence number of the last sample */
	const uint8_t *raw; /* bytes of the last sample, or NULL */
	size_t raw_len;
};

typedef void (*report_fn)(void *ctx, const struct report *r);

struct agg_stats {
	uint64_t samples;   /* samples that matched at least one rule */
	uint64_t unmatched; /* samples no rule wanted */
	uint64_t reports;
	uint64_t suppressed; /* windows held back by deadband/on_change */
};

struct aggregator;

struct aggregator *agg_new(const struct agent_conf *c, report_fn fn, void *ctx);
/* @now: CLOCK_MONOTONIC seconds (only for idle windows). */
void agg_sample(struct aggregator *a, const char *port, const struct sample *s,
		double now);
void agg_tick(struct aggregator *a, double now);
void agg_flush(struct aggregator *a);
const struct agg_stats *agg_stats(const struct aggregator *a);
/* Windows currently open with samples (the stage's pending input). */
unsigned int agg_open_windows(const struct aggregator *a);
/* Windows open longer than their span + 1 s: agg_tick should have
 * closed them (the aggregate stage's stall check). */
unsigned int agg_overdue(const struct aggregator *a, double now);
void agg_free(struct aggregator *a);

#endif /* M2MGWD_AGGREGATE_H */
