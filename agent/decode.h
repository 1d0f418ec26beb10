/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The decoder interface: one decoder instance per port turns captured
 * records into named samples.  A decoder is a static const struct
 * decoder_ops listed in decode.c; "raw" is built in (decode_raw.c), DBC,
 * Modbus, NMEA and text decoders implement the same ops.
 *
 * Life cycle:
 *   validate()  at config time, for every [port] naming the decoder: check
 *               the port's decoder keys (port_conf->opts), print problems
 *               as "file:line: message" to @err, return how many.
 *   create()    when the pipeline starts or is reloaded.
 *   decode()    per record; calls @emit for each sample, with the
 *               record's capture time (never "now").  Returns the number
 *               of samples or a negative errno for a frame it could not
 *               decode (counted as a decode drop).
 *   destroy()
 *
 * Decoders that talk back to the bus (Modbus master) get the loop and a
 * transmit function in struct decoder_env.
 */
#ifndef M2MGWD_DECODE_H
#define M2MGWD_DECODE_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/m2mgw.h>

#include "config.h"

/* One decoded value. */
struct sample {
	const char *signal; /* name, unique per port */
	const char *unit;   /* or NULL */
	double value;
	const uint8_t *raw; /* optional bytes behind the value */
	size_t raw_len;
	uint64_t tstamp_ns; /* capture time of the frame */
	uint64_t seq;	    /* frame sequence number of the port */
};

typedef void (*decode_emit_fn)(void *ctx, const struct sample *s);

struct decoder_env {
	struct ev_loop *loop;
	uint32_t port_id;
	/* Send one frame of @type on the port; 0 or negative errno. */
	int (*tx)(void *tx_ctx, uint32_t port_id, uint16_t type,
		  const void *payload, uint32_t len);
	void *tx_ctx;
};

struct decoder {
	const struct decoder_ops *ops;
};

struct decoder_ops {
	const char *name;
	unsigned int port_types; /* 1 << M2MGW_PORT_* it can decode */
	int (*validate)(const struct port_conf *pc, const char *file,
			FILE *err);
	struct decoder *(*create)(const struct port_conf *pc,
				  const struct decoder_env *env);
	int (*decode)(struct decoder *d, const struct m2mgw_rec *rec,
		      decode_emit_fn emit, void *ctx);
	void (*destroy)(struct decoder *d);
};

const struct decoder_ops *decoder_find(const char *name);
/* Names of all decoders, ", "-separated, for error messages. */
const char *decoder_names(void);

extern const struct decoder_ops decoder_raw;
extern const struct decoder_ops decoder_dbc;
extern const struct decoder_ops decoder_nmea;
extern const struct decoder_ops decoder_text;

#endif /* M2MGWD_DECODE_H */
