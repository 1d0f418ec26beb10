/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Modbus RTU master: one scheduler per serial bus.
 *
 * Rules it keeps (the ones RS-485 masters get wrong):
 *   - exactly one request outstanding on the bus: the next one goes out
 *     only after the answer, or the timeout;
 *   - the inter-frame gap (3.5 character times at the line's baud and
 *     format, 1.75 ms above 19200 baud) after the last frame on the line
 *     before every transmit;
 *   - writes (modbus_sched_write()) go before any poll that is not
 *     already on the line;
 *   - a slave that does not answer a request and its retries is skipped
 *     for backoff_min, doubling up to backoff_max, and probed once (no
 *     retries) per backoff: a dead slave costs one timeout per backoff,
 *     the other slaves keep their periods (polls are fixed-rate: a late
 *     poll does not shift the next one);
 *   - reads of one slave and function that are due together and whose
 *     registers touch or overlap go out as one request.
 *
 * Time is a double in seconds (ev_now() in the agent); with a NULL loop
 * nothing is armed and the caller drives modbus_sched_step() with its
 * own clock (the unit tests).
 */
#ifndef M2MGWD_MODBUS_SCHED_H
#define M2MGWD_MODBUS_SCHED_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "modbus_poll.h"

struct modbus_sched;

struct modbus_sched_stats {
	uint64_t requests;	/* frames sent, retries included */
	uint64_t responses;	/* matched answers, exceptions included */
	uint64_t retries;	/* re-sends of the same request */
	uint64_t timeouts;	/* requests nobody answered in time */
	uint64_t crc_errors;	/* answers with a bad CRC-16 */
	uint64_t exceptions;	/* exception responses */
	uint64_t bad_responses; /* our slave/function, wrong length/echo */
	uint64_t unexpected;	/* frames that answer no outstanding request */
	uint64_t tx_errors;	/* the module refused the frame */
	uint64_t tx_busy;	/* EAGAIN: the tty was full, sent later */
	uint64_t merged;	/* polls that rode along in another's request */
	uint64_t skipped;	/* poll slots missed (bus too slow, backoff) */
	uint64_t writes, writes_failed;
};

/* Sends one RTU frame on the bus: 0, -EAGAIN (try again) or -errno. */
typedef int (*modbus_tx_fn)(void *ctx, const uint8_t *frame, size_t len);

/*
 * Result of a write: 0 done, -EREMOTEIO the slave answered with
 * exception @exception, -ETIMEDOUT no answer after the retries,
 * -EBADMSG garbled answers, -ECANCELED the scheduler went away (reload,
 * exit), or the -errno of the module's TX path.
 */
typedef void (*modbus_write_cb)(void *ctx, int result, uint8_t exception);

/* @bc is copied. */
struct modbus_sched *modbus_sched_new(const struct modbus_bus_conf *bc,
				      modbus_tx_fn tx, void *tx_ctx,
				      struct ev_loop *loop);
/* Pending writes get -ECANCELED. */
void modbus_sched_free(struct modbus_sched *s);

/* Do what is due at @now; returns when to be called next (or INFINITY). */
double modbus_sched_step(struct modbus_sched *s, double now);

/*
 * A frame from the bus (CRC included).  Answers to polls call @emit for
 * each value, with @tstamp_ns and @seq of the frame.  Returns the
 * number of samples, or -EBADMSG (CRC), -EPROTO (malformed answer).
 */
int modbus_sched_rx(struct modbus_sched *s, const uint8_t *f, size_t n,
		    double now, uint64_t tstamp_ns, uint64_t seq,
		    decode_emit_fn emit, void *ctx);

/*
 * Queue a write ahead of all polls: @fc 5 (one coil: values[0] 0/1), 6
 * (one register), 15 (@count coils, 0/1 each) or 16 (@count registers)
 * to @slave (0: broadcast, no answer) at @addr.  @cb (may be NULL) gets
 * the result once, from the loop.  Returns 0, -EINVAL (bad request) or
 * -ENOBUFS (MODBUS_WRITE_QUEUE writes already waiting).
 */
#define MODBUS_WRITE_QUEUE 64
int modbus_sched_write(struct modbus_sched *s, uint8_t slave, uint8_t fc,
		       uint16_t addr, const uint16_t *values, uint16_t count,
		       modbus_write_cb cb, void *ctx);

/*
 * The scheduler of a port's decoder, if it is "modbus" in master mode;
 * else NULL.  Look it up for every write: a reload replaces it.
 */
struct modbus_sched *modbus_sched_of(struct decoder *d);

const struct modbus_sched_stats *
modbus_sched_stats(const struct modbus_sched *s);
/* The inter-frame gap of the bus in seconds, and one character's time. */
double modbus_sched_gap(const struct modbus_sched *s);
double modbus_sched_char_time(const struct modbus_sched *s);

#endif /* M2MGWD_MODBUS_SCHED_H */
