// SPDX-License-Identifier: GPL-2.0
/*
 * m2mgw-bench-agent: the agent's per-frame work on the host, no kernel.
 *
 *   agentbench CONFIG CANDUMP_LOG FRAMES
 *
 * A userspace producer (lib/uring: the uapi ring layout on a memfd, data
 * pages mapped twice) is filled with CAN records made from the frames of
 * CANDUMP_LOG, cycled, with capture times 10 us apart (100 k frames/s).
 * The ring is then drained exactly as m2mgwd's ring source does
 * (agent/source_ring.c: m2mgw_ring_consume() in batches of [source]
 * batch) into the same stages as agent/pipeline.c: the port's decoder
 * (CONFIG's [port] decoder, e.g. raw or dbc), agg_sample(), and for every
 * report encode_report() + topic_expand(), whose output is then thrown
 * away (the null sink: no spool, no MQTT).  Ports get ids 1..N in config
 * order; every record goes to the first port.
 *
 * Filling is not timed; draining is, in the thread's CPU time, so the
 * figure is frames per CPU-second of one core however busy the machine
 * is.  RSS is this process's (the ring's pages included).  One line of
 * key=value results.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aggregate.h"
#include "config.h"
#include "decode.h"
#include "encode.h"
#include "uring.h"

#define MAX_FRAMES 4096
#define STEP_NS	   10000

struct bench {
	struct decoder *dec;
	struct aggregator *agg;
	const char *port;
	uint64_t frames, samples, reports, bytes, errors;
};

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "(1700000000.000000) vcan0 100#9C045AF312341000" -> @cf. */
static int parse_line(const char *line, struct can_frame *cf)
{
	const char *p = strchr(line, ')'), *h;
	unsigned int i;

	if (!p || !(p = strchr(p + 2, ' ')) || !(h = strchr(p, '#')))
		return -1;
	memset(cf, 0, sizeof(*cf));
	cf->can_id = (canid_t)strtoul(p + 1, NULL, 16);
	if (h - p - 1 > 3)
		cf->can_id |= CAN_EFF_FLAG;
	for (i = 0, h++; i < 8 && sscanf(h, "%2hhx", &cf->data[i]) == 1;
	     i++, h += 2)
		;
	cf->len = (uint8_t)i;
	return 0;
}

static int load_log(const char *path, struct can_frame *frames)
{
	char line[256];
	FILE *f = fopen(path, "r");
	int n = 0;

	if (!f)
		return -errno;
	while (n < MAX_FRAMES && fgets(line, sizeof(line), f))
		if (!parse_line(line, &frames[n]))
			n++;
	fclose(f);
	return n;
}

static void on_report(void *ctx, const struct report *r)
{
	struct bench *b = ctx;
	char topic[1024], *payload;
	const struct output_conf *oc = r->rule->out;

	b->reports++;
	if (!oc)
		return;
	payload = encode_report(oc->encoding, r);
	if (!payload || topic_expand(topic, sizeof(topic), oc->topic, r) < 0)
		b->errors++;
	else
		b->bytes += strlen(payload) + strlen(topic);
	free(payload);
}

static void on_sample(void *ctx, const struct sample *s)
{
	struct bench *b = ctx;

	b->samples++;
	agg_sample(b->agg, b->port, s, mono_now());
}

static int on_rec(void *ctx, const struct m2mgw_rec *rec)
{
	struct bench *b = ctx;

	b->frames++;
	if (b->dec->ops->decode(b->dec, rec, on_sample, b) < 0)
		b->errors++;
	return 0;
}

/* VmHWM and RssAnon of this process, in KiB. */
static void rss(unsigned long *hwm, unsigned long *anon)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	*hwm = *anon = 0;
	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "VmHWM: %lu", hwm);
		sscanf(line, "RssAnon: %lu", anon);
	}
	if (f)
		fclose(f);
}

int main(int argc, char **argv)
{
	static struct can_frame frames[MAX_FRAMES];
	struct m2mgw_rec hdr = { .type = M2MGW_REC_CAN, .port_id = 1 };
	struct decoder_env env = { .port_id = 1 };
	struct bench b = { 0 };
	struct agent_conf *conf;
	struct m2mgw_uring u;
	struct m2mgw_ring r;
	uint64_t total, made = 0;
	unsigned long hwm, anon;
	double cpu = 0, t;
	int nf, err;

	if (argc != 4) {
		fprintf(stderr,
			"usage: agentbench CONFIG CANDUMP_LOG FRAMES\n");
		return 2;
	}
	total = strtoull(argv[3], NULL, 0);
	conf = conf_load(argv[1], stderr);
	if (!conf || !conf->ports)
		return 2;
	nf = load_log(argv[2], frames);
	if (nf <= 0) {
		fprintf(stderr, "agentbench: %s: no frames\n", argv[2]);
		return 2;
	}
	b.port = conf->ports->name;
	b.dec = decoder_find(conf->ports->decoder)->create(conf->ports, &env);
	b.agg = agg_new(conf, on_report, &b);
	err = m2mgw_uring_create(&u, conf->ring_size);
	if (!err)
		err = m2mgw_ring_attach(&r, u.base, u.size, u.page_size);
	if (!b.dec || !b.agg || err) {
		fprintf(stderr, "agentbench: setup failed: %s\n",
			strerror(err ? -err : ENOMEM));
		return 1;
	}

	while (b.frames < total) {
		/* Fill what the ring holds (never a drop), untimed. */
		uint64_t room = u.size / m2mgw_rec_space(M2MGW_REC_HDR_LEN +
							 sizeof(frames[0]));

		for (; room && made < total; room--, made++) {
			hdr.seq = made;
			hdr.tstamp_ns = 1700000000000000000ull + made * STEP_NS;
			if (!m2mgw_uring_write(&u, &hdr, &frames[made % nf],
					       sizeof(frames[0]), true, false))
				break;
		}
		t = cpu_now();
		while (m2mgw_ring_consume(&r, on_rec, &b, conf->ring_batch) > 0)
			;
		agg_tick(b.agg, mono_now());
		cpu += cpu_now() - t;
	}
	agg_flush(b.agg);
	rss(&hwm, &anon);
	printf("bench=agent decoder=%s frames=%llu samples=%llu reports=%llu out_bytes=%llu errors=%llu cpu_s=%.3f fps_per_core=%.0f ring=%llu batch=%u vmhwm_kib=%lu rss_anon_kib=%lu\n",
	       conf->ports->decoder, (unsigned long long)b.frames,
	       (unsigned long long)b.samples, (unsigned long long)b.reports,
	       (unsigned long long)b.bytes, (unsigned long long)b.errors, cpu,
	       cpu > 0 ? (double)b.frames / cpu : 0, (unsigned long long)u.size,
	       conf->ring_batch, hwm, anon);
	agg_free(b.agg);
	b.dec->ops->destroy(b.dec);
	m2mgw_uring_destroy(&u);
	conf_free(conf);
	return 0;
}
