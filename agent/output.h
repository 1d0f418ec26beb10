/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Outputs.  Every output owns a spool (in [spool] dir/NAME): a message
 * is appended there first, becomes *accepted* when the spool commits its
 * batch (fsync), and only then is handed to the transport, which acks it
 * in the spool once the far end has it (MQTT QoS 1 PUBACK, or written
 * out for QoS 0).  The transport takes live messages first and paces
 * historical ones (replay_rate).  Transports implement struct
 * output_ops; MQTT is output_mqtt.c, HTTP is output_http.c.
 */
#ifndef M2MGWD_OUTPUT_H
#define M2MGWD_OUTPUT_H

#include <ev.h>
#include <stdbool.h>

#include "agent.h"
#include "spool.h"

struct output;

struct output_ops {
	const char *type;
	int (*start)(struct output *o);
	/* Newly accepted records are queued in the spool. */
	void (*kick)(struct output *o);
	bool (*connected)(struct output *o);
	unsigned int (*inflight)(struct output *o);
	/* Stall recovery: drop the connection and start over. */
	void (*recover)(struct output *o);
	/* Draining: say "offline" and disconnect cleanly. */
	void (*shutdown)(struct output *o);
	const char *(*state)(struct output *o);
	void (*destroy)(struct output *o);
};

struct output {
	struct output *next;
	struct agent *ag;
	struct output_conf *oc;
	const struct output_ops *ops;
	void *priv;
	struct spool *sp;
	ev_timer flush; /* commits a partial batch */
	struct stage_health h_spool, h_send;
	uint64_t submitted, published, hist_published, acked;
	uint64_t connects, connect_failures, auth_failures;
	uint64_t rejected_batches; /* http: 4xx, dropped */
};

struct output *output_new(struct agent *ag, struct output_conf *oc, char *err,
			  size_t n);
void output_free(struct output *o);
/* A report's message: append to the spool (not yet accepted). */
int output_submit(struct output *o, const char *topic, const char *payload,
		  size_t len);
/* Commit now if the batch is full, else make sure the timer will. */
void output_batch_end(struct output *o);
int output_commit(struct output *o);
/* Health check of the spool and the transport; 1 Hz. */
bool output_health(struct output *o, double now);
/* Nothing live left to send and nothing in flight. */
bool output_idle(struct output *o);

extern const struct output_ops output_mqtt_ops;
extern const struct output_ops output_http_ops;

#endif /* M2MGWD_OUTPUT_H */
