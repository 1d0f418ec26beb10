// SPDX-License-Identifier: GPL-2.0
/*
 * m2mgw-top: live per-port table of m2mgw rx/tx rates, drops and
 * netdev -> ring latency (p50/p99), from the module's tracepoints.
 *
 *   m2mgw-top [-j] [-i SECS] [-n COUNT]
 *
 * -j prints one JSON object per interval (a line each), -i the interval
 * (default 1 s), -n stops after COUNT intervals (default: until ^C).
 * Counters start when m2mgw-top attaches; drops are those seen in that
 * interval and in total since the start.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cjson/cJSON.h>
#include "m2mgw_top.h"
#include "m2mgw_top.skel.h"

struct row {
	__u32 id;
	struct top_port now, prev;
	int seen;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void sum_cpus(const struct top_port *v, int ncpu, struct top_port *s)
{
	int c, b;

	memset(s, 0, sizeof(*s));
	for (c = 0; c < ncpu; c++) {
		s->rx += v[c].rx;
		s->rx_bytes += v[c].rx_bytes;
		s->tx += v[c].tx;
		s->tx_err += v[c].tx_err;
		s->drops += v[c].drops;
		for (b = 0; b < TOP_HIST; b++)
			s->hist[b] += v[c].hist[b];
	}
}

/* Upper bound of the bucket holding quantile q of the interval's hist. */
static unsigned long long quantile(const struct row *r, double q)
{
	unsigned long long n = 0, acc = 0, d[TOP_HIST];
	int b;

	for (b = 0; b < TOP_HIST; b++) {
		d[b] = r->now.hist[b] - r->prev.hist[b];
		n += d[b];
	}
	if (!n)
		return 0;
	for (b = 0; b < TOP_HIST; b++) {
		acc += d[b];
		if (acc >= q * n)
			return 2ULL << b;
	}
	return 2ULL << (TOP_HIST - 1);
}

/* Read every port's counters into rows[]; returns the row count. */
static int collect(int map, int ncpu, struct row *rows, int nrows)
{
	struct top_port *v = calloc(ncpu, sizeof(*v));
	__u32 key, next, *prevk = NULL;
	int i;

	if (!v)
		return -ENOMEM;
	while (!bpf_map_get_next_key(map, prevk, &next)) {
		key = next;
		prevk = &key;
		if (bpf_map_lookup_elem(map, &key, v))
			continue;
		for (i = 0; i < nrows && rows[i].id != key; i++)
			;
		if (i == nrows) {
			if (nrows == TOP_MAX_PORTS)
				continue;
			memset(&rows[nrows], 0, sizeof(rows[nrows]));
			rows[nrows++].id = key;
		}
		sum_cpus(v, ncpu, &rows[i].now);
	}
	free(v);
	return nrows;
}

static double rate(__u64 now, __u64 prev, double secs)
{
	return (double)(now - prev) / secs;
}

static void print_text(const struct row *rows, int n, double secs)
{
	int i;

	printf("\n%6s %10s %10s %10s %10s %12s %10s %10s\n", "PORT", "RX/s",
	       "TX/s", "TXERR/s", "DROPS/s", "DROPS", "P50(ns)", "P99(ns)");
	for (i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		printf("%6u %10.0f %10.0f %10.0f %10.0f %12llu %10llu %10llu\n",
		       r->id, rate(r->now.rx, r->prev.rx, secs),
		       rate(r->now.tx, r->prev.tx, secs),
		       rate(r->now.tx_err, r->prev.tx_err, secs),
		       rate(r->now.drops, r->prev.drops, secs),
		       (unsigned long long)r->now.drops, quantile(r, 0.5),
		       quantile(r, 0.99));
	}
	fflush(stdout);
}

static int print_json(const struct row *rows, int n, double secs)
{
	cJSON *o = cJSON_CreateObject(), *ports;
	char *s;
	int i;

	if (!o)
		return -ENOMEM;
	cJSON_AddNumberToObject(o, "interval_s", secs);
	ports = cJSON_AddArrayToObject(o, "ports");
	for (i = 0; ports && i < n; i++) {
		const struct row *r = &rows[i];
		cJSON *p = cJSON_CreateObject();

		if (!p)
			break;
		cJSON_AddNumberToObject(p, "port", r->id);
		cJSON_AddNumberToObject(p, "rx_fps",
					rate(r->now.rx, r->prev.rx, secs));
		cJSON_AddNumberToObject(p, "rx_frames",
					(double)(r->now.rx - r->prev.rx));
		cJSON_AddNumberToObject(
			p, "rx_bytes",
			(double)(r->now.rx_bytes - r->prev.rx_bytes));
		cJSON_AddNumberToObject(p, "tx_fps",
					rate(r->now.tx, r->prev.tx, secs));
		cJSON_AddNumberToObject(
			p, "tx_errors",
			(double)(r->now.tx_err - r->prev.tx_err));
		cJSON_AddNumberToObject(p, "drops",
					(double)(r->now.drops - r->prev.drops));
		cJSON_AddNumberToObject(p, "drops_total", (double)r->now.drops);
		cJSON_AddNumberToObject(p, "lat_p50_ns",
					(double)quantile(r, 0.5));
		cJSON_AddNumberToObject(p, "lat_p99_ns",
					(double)quantile(r, 0.99));
		cJSON_AddItemToArray(ports, p);
	}
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!s)
		return -ENOMEM;
	puts(s);
	fflush(stdout);
	free(s);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: m2mgw-top [-j] [-i SECS] [-n COUNT]\n");
}

int main(int argc, char **argv)
{
	struct m2mgw_top_bpf *skel;
	static struct row rows[TOP_MAX_PORTS];
	double secs = 1.0;
	long count = -1;
	int json = 0, opt, n = 0, i, ncpu, err;
	struct timespec ts;

	while ((opt = getopt(argc, argv, "ji:n:h")) != -1) {
		switch (opt) {
		case 'j':
			json = 1;
			break;
		case 'i':
			secs = strtod(optarg, NULL);
			if (secs < 0.1 || secs > 3600) {
				fprintf(stderr, "m2mgw-top: -i: 0.1 .. 3600\n");
				return 2;
			}
			break;
		case 'n':
			count = strtol(optarg, NULL, 10);
			if (count < 1) {
				fprintf(stderr, "m2mgw-top: -n: at least 1\n");
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	libbpf_set_print(libbpf_quiet);
	ncpu = libbpf_num_possible_cpus();
	if (ncpu < 0)
		return 1;
	skel = m2mgw_top_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "m2mgw-top: loading BPF: %s\n",
			strerror(errno));
		return 1;
	}
	err = m2mgw_top_bpf__attach(skel);
	if (err) {
		fprintf(stderr,
			"m2mgw-top: attaching (is m2mgw loaded, tracefs mounted?): %s\n",
			strerror(-err));
		goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	while (!stop && count) {
		if (nanosleep(&ts, NULL) && stop)
			break;
		for (i = 0; i < n; i++)
			rows[i].prev = rows[i].now;
		n = collect(bpf_map__fd(skel->maps.ports), ncpu, rows, n);
		if (n < 0) {
			err = n;
			break;
		}
		if (json)
			err = print_json(rows, n, secs);
		else
			print_text(rows, n, secs);
		if (err)
			break;
		if (count > 0)
			count--;
	}
out:
	m2mgw_top_bpf__destroy(skel);
	return err ? 1 : 0;
}
