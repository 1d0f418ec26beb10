// SPDX-License-Identifier: GPL-2.0
/*
 * Aggregation windows: values, window boundaries on the capture clock,
 * idle-window close, deadband, on_change, several rules per sample, and
 * that reports carry capture time stamps, never the clock.
 */
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "tap.h"

#define MAXREP 64
static struct report reps[MAXREP];
static int nrep;

static void on_report(void *ctx, const struct report *r)
{
	(void)ctx;
	if (nrep < MAXREP)
		reps[nrep++] = *r;
}

static struct rule_conf *rule(const char *name, const char *port,
			      const char *sig, double period)
{
	struct rule_conf *r = calloc(1, sizeof(*r));

	r->name = strdup(name);
	r->port = strdup(port);
	r->signal = strdup(sig);
	r->period = period;
	r->stats = STAT_LAST | STAT_MIN | STAT_MAX | STAT_MEAN | STAT_COUNT;
	return r;
}

static void feed(struct aggregator *a, const char *port, const char *sig,
		 double v, uint64_t ts_ns, uint64_t seq, double now)
{
	struct sample s = {
		.signal = sig, .value = v, .tstamp_ns = ts_ns, .seq = seq
	};

	agg_sample(a, port, &s, now);
}

#define T0 1700000000000000000ull /* a capture time far from "now" */
#define MS 1000000ull

static void test_window(void)
{
	struct agent_conf c = { 0 };
	struct aggregator *a;

	c.rules = rule("w", "*", "temp", 1.0);
	a = agg_new(&c, on_report, NULL);
	nrep = 0;
	/* Window [T0, T0+1s): 4 samples; the 5th (T0+1s) closes it. */
	feed(a, "can0", "temp", 3, T0 + 100 * MS, 1, 0);
	feed(a, "can0", "temp", 1, T0 + 200 * MS, 2, 0);
	feed(a, "can0", "temp", 7, T0 + 300 * MS, 3, 0);
	feed(a, "can0", "temp", 5, T0 + 999 * MS, 4, 0);
	ok(nrep == 0, "no report while the window is open");
	feed(a, "can0", "temp", 10, T0 + 1000 * MS, 5, 0);
	ok(nrep == 1 && reps[0].count == 4 && reps[0].min == 1 &&
		   reps[0].max == 7 && reps[0].mean == 4 && reps[0].last == 5,
	   "closed window: count 4, min 1, max 7, mean 4, last 5");
	ok(nrep == 1 && reps[0].ts_ns == T0 + 999 * MS &&
		   reps[0].first_ns == T0 + 100 * MS && reps[0].seq == 4,
	   "report keeps capture times of first and last sample and seq");
	/* A gap of several windows: the next window is where the sample is. */
	feed(a, "can0", "temp", 2, T0 + 5500 * MS, 6, 0);
	ok(nrep == 2 && reps[1].count == 1 && reps[1].last == 10 &&
		   reps[1].ts_ns == T0 + 1000 * MS,
	   "second window holds one sample");
	/* Idle input: agg_tick closes it after its span in wall time. */
	agg_tick(a, 0.1);
	ok(nrep == 2, "idle window kept before its span has passed");
	agg_tick(a, 0.8);
	ok(nrep == 3 && reps[2].last == 2 && reps[2].ts_ns == T0 + 5500 * MS,
	   "idle window closed by the tick, with the capture time");
	ok(agg_open_windows(a) == 0, "no window open after the tick");
	agg_free(a);
	free(c.rules->name);
	free(c.rules->port);
	free(c.rules->signal);
	free(c.rules);
}

static void test_filters(void)
{
	struct agent_conf c = { 0 };
	struct rule_conf *db = rule("db", "can0", "a", 0), *ch;
	struct aggregator *a;
	double vals[] = { 10, 10.3, 10.6, 9.9, 9.5, 12 };
	int expect_db[] = { 1, 0, 1, 1, 0, 1 };
	int got = 0, bad = 0;

	db->deadband = 0.5;
	ch = rule("ch", "can0", "b", 0);
	ch->on_change = true;
	db->next = ch;
	c.rules = db;
	a = agg_new(&c, on_report, NULL);
	nrep = 0;
	for (int i = 0; i < 6; i++) {
		int before = nrep;

		feed(a, "can0", "a", vals[i], T0 + (uint64_t)i * MS,
		     (uint64_t)i, 0);
		if ((nrep - before) != expect_db[i])
			bad++;
		got += nrep - before;
	}
	/* Against the last *reported* value: 10 first; 10.3 is 0.3 away;
	 * 10.6 is 0.6; 9.9 is 0.7 from 10.6; 9.5 is 0.4 from 9.9; 12. */
	ok(!bad && got == 4 && reps[0].last == 10 && reps[1].last == 10.6 &&
		   reps[2].last == 9.9 && reps[3].last == 12,
	   "deadband 0.5 against the last reported value: 10, 10.6, 9.9, 12 (%d reports)",
	   got);
	nrep = 0;
	feed(a, "can0", "b", 1, T0, 1, 0);
	feed(a, "can0", "b", 1, T0 + MS, 2, 0);
	feed(a, "can0", "b", 2, T0 + 2 * MS, 3, 0);
	feed(a, "can0", "b", 2, T0 + 3 * MS, 4, 0);
	feed(a, "can0", "b", 1, T0 + 4 * MS, 5, 0);
	ok(nrep == 3 && reps[0].seq == 1 && reps[1].seq == 3 &&
		   reps[2].seq == 5,
	   "on_change reports 1, 2, 1 and suppresses repeats");
	ok(agg_stats(a)->suppressed >= 2, "suppressed windows are counted");
	nrep = 0;
	feed(a, "can1", "a", 5, T0, 1, 0);
	ok(nrep == 0 && agg_stats(a)->unmatched == 1,
	   "a sample of another port matches no rule and is counted");
	agg_free(a);
}

static void test_multi_rule_and_flush(void)
{
	struct agent_conf c = { 0 };
	struct rule_conf *r1 = rule("fast", "*", "s*", 0);
	struct rule_conf *r2 = rule("slow", "*", "speed", 60);
	struct aggregator *a;

	r1->next = r2;
	c.rules = r1;
	a = agg_new(&c, on_report, NULL);
	nrep = 0;
	feed(a, "p", "speed", 50, T0, 1, 0);
	feed(a, "p", "speed", 70, T0 + MS, 2, 0);
	feed(a, "p", "other", 1, T0 + MS, 3, 0);
	ok(nrep == 2 && reps[0].rule == r1 && reps[1].rule == r1,
	   "period 0 rule reports every sample; period 60 rule holds them");
	agg_flush(a);
	ok(nrep == 3 && reps[2].rule == r2 && reps[2].count == 2 &&
		   reps[2].mean == 60,
	   "flush (drain/reload) closes the open window");
	agg_flush(a);
	ok(nrep == 3, "a second flush reports nothing new");
	agg_free(a);
}

static void test_raw_kept(void)
{
	struct agent_conf c = { 0 };
	struct aggregator *a;
	uint8_t raw[3] = { 1, 2, 3 };
	struct sample s = { .signal = "123",
			    .value = 66051,
			    .raw = raw,
			    .raw_len = 3,
			    .tstamp_ns = T0,
			    .seq = 9,
			    .unit = "rpm" };

	c.rules = rule("r", "*", "*", 0);
	a = agg_new(&c, on_report, NULL);
	nrep = 0;
	agg_sample(a, "can0", &s, 0);
	raw[0] = 0xff; /* the decoder's buffer is reused */
	ok(nrep == 1 && reps[0].raw_len == 3 && !strcmp(reps[0].unit, "rpm") &&
		   !strcmp(reps[0].port, "can0"),
	   "raw bytes and unit passed through");
	agg_free(a);
}

int main(void)
{
	test_window();
	test_filters();
	test_multi_rule_and_flush();
	test_raw_kept();
	return tap_done();
}
