/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The running daemon: one libev loop, one struct agent.  Every watcher
 * is embedded in the struct that owns it and finds its owner back with
 * container_of().
 *
 *   source (ring | replay) --records--> pipeline: decode per port
 *        --samples--> aggregate --reports--> encode --> output: spool
 *        (durable) --> MQTT --PUBACK--> spool ack
 */
#ifndef M2MGWD_AGENT_H
#define M2MGWD_AGENT_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aggregate.h"
#include "config.h"
#include "decode.h"
#include "downlink.h"
#include "health.h"

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr)-offsetof(type, member)))

struct output;
struct metrics_http;
struct downlink;

/* Why frames or messages were dropped (metrics label "reason"). */
enum drop_reason {
	DROP_RING_FULL,	    /* the kernel ring was full (reader drops) */
	DROP_UNKNOWN_PORT,  /* a record of a port not in the config */
	DROP_DECODE,	    /* the decoder refused the frame */
	DROP_ENCODE,	    /* encoder or topic template failed */
	DROP_SPOOL_FULL,    /* stop-accepting spool refused a message */
	DROP_SPOOL_OLDEST,  /* drop-oldest spool deleted undelivered ones
				 * (counted by the spools, summed in metrics) */
	DROP_SPOOL_ERROR,   /* write/fsync error */
	DROP_SPOOL_CORRUPT, /* CRC mismatch found in the spool */
	DROP_HTTP_REJECTED, /* an HTTP server refused the batch (4xx) */
	DROP__MAX,
};

extern const char *const drop_names[DROP__MAX];

/* A configured port at run time. */
struct port_rt {
	struct port_conf *pc;
	struct agent *ag;
	uint32_t port_id; /* the module's id; replay: index */
	struct decoder *dec;
	uint64_t frames, samples, decode_errors;
};

struct source {
	const char *kind;
	/* Input is waiting to be read (for stall detection). */
	bool (*waiting)(struct source *s);
	/* Records the kernel dropped for this reader. */
	uint64_t (*dropped)(struct source *s);
	/* Read what is there now (stall recovery). */
	void (*kick)(struct source *s);
	/* Reload: @ports replace @old (NULL for sources without ports). */
	int (*ports_changed)(struct source *s, struct port_rt *ports,
			     unsigned int n, const struct port_rt *old,
			     unsigned int nold);
	void (*destroy)(struct source *s);
	/* Send one record on a port (downlink); NULL: no TX path. */
	int (*tx)(struct source *s, uint32_t port_id, uint16_t type,
		  const void *payload, uint32_t len);
	bool eof; /* replay: the log is done */
};

struct agent {
	struct ev_loop *loop;
	const char *conf_path;
	struct agent_conf *conf;
	struct port_rt *ports;
	unsigned int nports;
	struct aggregator *agg;
	struct source *src;
	struct output *outputs;
	struct metrics_http *http;
	struct downlink *dl; /* commands from MQTT (downlink.h) */
	struct dl_stats dl_stats;

	uint64_t frames_in, decoded, reports;
	uint64_t drops[DROP__MAX];
	uint64_t reloads, reload_failures;

	struct stage_health h_source, h_aggregate;
	ev_signal sig_term, sig_int, sig_hup, sig_usr1;
	ev_timer tick;	/* 1 Hz: idle windows, health, watchdog */
	ev_timer drain; /* SIGTERM: wait for outputs to finish */
	double drain_deadline;
	bool draining;
	int exit_code;
};

/* pipeline.c */
int pipeline_start(struct agent *ag);
void pipeline_stop(struct agent *ag);
/* A record from a source; @port may be NULL (unknown port: counted). */
void pipeline_record(struct agent *ag, struct port_rt *port,
		     const struct m2mgw_rec *rec);
/* The source finished a batch: commit spools as the batch policy says. */
void pipeline_batch_end(struct agent *ag);
struct port_rt *pipeline_port_by_id(struct agent *ag, uint32_t id);
struct port_rt *pipeline_port_by_ifname(struct agent *ag, const char *ifname);
/* SIGHUP: swap decoders, rules and outputs; the source stays open. */
int pipeline_reload(struct agent *ag, struct agent_conf *nc);

/* sources */
struct source *source_replay_new(struct agent *ag, char *err, size_t n);
struct source *source_ring_new(struct agent *ag, char *err, size_t n);

/* metrics.c */
void metrics_log(struct agent *ag);
/* Prometheus text exposition of every counter; malloc'd. */
char *metrics_text(struct agent *ag);
struct metrics_http *metrics_http_start(struct agent *ag, const char *listen,
					char *err, size_t n);
void metrics_http_stop(struct metrics_http *m);

double now_mono(void);

#endif /* M2MGWD_AGENT_H */
