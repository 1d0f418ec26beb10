// SPDX-License-Identifier: GPL-2.0
/*
 * The serial framing engine: cuts the byte stream of a tty into frames.
 * No tty, no locking, no timers here: serial.c calls it under its port's
 * lock from receive_buf() and from its gap timer.
 *
 * Time resolution.  The line discipline sees bytes in batches: a UART
 * hands over its RX FIFO on a trigger level or after its receive timeout
 * (about 4 character times on a 16550A), and the tty layer's flip buffers
 * pass them to receive_buf() from a worker.  All bytes of one batch share
 * one arrival time, so a frame's timestamp is the time its batch reached
 * the line discipline, and a silence shorter than the batching cannot be
 * seen.  The gap between two batches is measured from the end of the
 * previous batch to the start of this one, the start being estimated as
 * the arrival time minus the time its bytes took on the wire at the
 * line's baud: without that correction, back-to-back FIFO batches of one
 * long frame would look like silences longer than 3.5 characters.  On a
 * UART, a batch smaller than the FIFO's trigger level is handed over only
 * after the FIFO's receive timeout (4 characters on a 16550A, longer than
 * Modbus' 3.5): that hold time is allowed for too, so the silence that
 * ends a frame is seen as "gap + hold".  For exact Modbus timing on a
 * 16550A set /sys/class/tty/ttySx/rx_trig_bytes to 1 (no hold then, but
 * the allowance stays: it errs on the side of not splitting frames).
 */

#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/string.h>
#include <linux/tty_flip.h>

#include "serial.h"

/**
 * m2mgw_framing_check() - validate a framing configuration.
 * @cfg: framing, argument and maxlen.
 * @why: set to a message for the user on failure.
 *
 * Return: 0 or -EINVAL.
 */
int m2mgw_framing_check(const struct m2mgw_framing_cfg *cfg, const char **why)
{
	if (!cfg->maxlen || cfg->maxlen > M2MGW_SERIAL_MAXLEN) {
		*why = "maxlen out of range";
		return -EINVAL;
	}
	switch (cfg->framing) {
	case M2MGW_FRAMING_RAW:
		if (cfg->arg > M2MGW_SERIAL_GAP_MAX_US) {
			*why = "idle time out of range (0 .. 10 s)";
			return -EINVAL;
		}
		return 0;
	case M2MGW_FRAMING_DELIMITER:
		if (cfg->arg > 255) {
			*why = "delimiter must be a byte (0 .. 255)";
			return -EINVAL;
		}
		return 0;
	case M2MGW_FRAMING_GAP:
		if (!cfg->arg || cfg->arg > M2MGW_SERIAL_GAP_MAX_US) {
			*why = "gap out of range (1 us .. 10 s)";
			return -EINVAL;
		}
		return 0;
	case M2MGW_FRAMING_MODBUS_RTU:
		return 0;
	case M2MGW_FRAMING_FIXED:
		if (!cfg->arg || cfg->arg > cfg->maxlen) {
			*why = "fixed length must be 1 .. maxlen";
			return -EINVAL;
		}
		return 0;
	}
	*why = "unknown framing";
	return -EINVAL;
}

/* Start bit, data bits, parity bit, stop bits. */
u32 m2mgw_line_char_bits(const struct m2mgw_line *line)
{
	return 1 + line->data_bits +
	       (line->parity != M2MGW_PARITY_NONE ? 1 : 0) + line->stop_bits;
}

static u64 m2mgw_line_char_ns(const struct m2mgw_line *line)
{
	if (!line->baud)
		return 0;
	return div_u64((u64)m2mgw_line_char_bits(line) * NSEC_PER_SEC,
		       line->baud);
}

/* Modbus RTU t3.5: 3.5 character times, rounded up; fixed above 19200. */
static u64 m2mgw_modbus_gap_ns(const struct m2mgw_line *line)
{
	if (!line->baud || line->baud > M2MGW_MODBUS_FLOOR_BAUD)
		return M2MGW_MODBUS_T35_FLOOR_US * NSEC_PER_USEC;
	return DIV_ROUND_UP_ULL((u64)m2mgw_line_char_bits(line) * 7 *
					NSEC_PER_SEC,
				2ULL * line->baud);
}

void m2mgw_framer_reset(struct m2mgw_framer *fr)
{
	fr->len = 0;
	fr->discard = false;
}

/* End the current frame: deliver it, or forget a discarded one. */
void m2mgw_framer_flush(struct m2mgw_framer *fr,
			const struct m2mgw_framer_sink *sink)
{
	if (fr->len && !fr->discard)
		sink->frame(sink->ctx, fr->first_ns, fr->buf, fr->len);
	m2mgw_framer_reset(fr);
}

/**
 * m2mgw_framer_config() - (re)configure; a partial frame is delivered.
 * @fr: the framer.
 * @cfg: a framing m2mgw_framing_check() accepted.
 * @line: the line's format, for modbus-rtu and the wire-time correction.
 * @sink: where a pending partial frame goes.
 */
void m2mgw_framer_config(struct m2mgw_framer *fr,
			 const struct m2mgw_framing_cfg *cfg,
			 const struct m2mgw_line *line,
			 const struct m2mgw_framer_sink *sink)
{
	m2mgw_framer_flush(fr, sink);
	fr->cfg = *cfg;
	fr->char_ns = m2mgw_line_char_ns(line);
	fr->hold_ns = fr->char_ns * line->rx_hold;
	switch (cfg->framing) {
	case M2MGW_FRAMING_RAW:
		fr->gap_ns = (u64)(cfg->arg ?: M2MGW_SERIAL_IDLE_DEFAULT_US) *
			     NSEC_PER_USEC;
		break;
	case M2MGW_FRAMING_GAP:
		fr->gap_ns = (u64)cfg->arg * NSEC_PER_USEC;
		break;
	case M2MGW_FRAMING_MODBUS_RTU:
		fr->gap_ns = m2mgw_modbus_gap_ns(line);
		break;
	default:
		fr->gap_ns = 0;
		break;
	}
}

static void m2mgw_framer_byte(struct m2mgw_framer *fr, u8 c, u64 now_real,
			      const struct m2mgw_framer_sink *sink)
{
	const struct m2mgw_framing_cfg *cfg = &fr->cfg;
	bool delim = cfg->framing == M2MGW_FRAMING_DELIMITER && c == cfg->arg;

	if (fr->discard) {
		/* An oversize frame ends at its delimiter or at a gap. */
		if (delim)
			m2mgw_framer_reset(fr);
		return;
	}
	if (fr->len == cfg->maxlen) {
		/* Only raw (flushed at maxlen) and fixed never get here. */
		sink->drop(sink->ctx, M2MGW_DROP_OVERSIZE, 1);
		fr->len = 0;
		fr->discard = !delim;
		return;
	}
	if (!fr->len)
		fr->first_ns = now_real;
	fr->buf[fr->len++] = c;
	if (delim ||
	    (cfg->framing == M2MGW_FRAMING_FIXED && fr->len == cfg->arg) ||
	    (cfg->framing == M2MGW_FRAMING_RAW && fr->len == cfg->maxlen))
		m2mgw_framer_flush(fr, sink);
}

/**
 * m2mgw_framer_input() - feed one receive_buf() batch.
 * @fr: the framer.
 * @cp: the bytes.
 * @fp: their TTY_* flags, or NULL (all TTY_NORMAL).
 * @count: how many.
 * @now_real: CLOCK_REALTIME of the batch: the timestamp of a frame
 *	starting in it.
 * @now_mono: CLOCK_MONOTONIC of the batch, for gaps.
 * @sink: results.
 *
 * Bytes flagged with a parity, framing or break error are dropped and
 * counted (M2MGW_DROP_FRAMING); an overrun flag marks lost bytes, not
 * data, and is counted as M2MGW_DROP_OVERRUN.
 */
void m2mgw_framer_input(struct m2mgw_framer *fr, const u8 *cp, const u8 *fp,
			size_t count, u64 now_real, u64 now_mono,
			const struct m2mgw_framer_sink *sink)
{
	u64 wire = fr->char_ns * count + fr->hold_ns;
	size_t i;

	/*
	 * The timer may not have run yet (or at all, under a slow
	 * emulator): a silence long enough before this batch ends the
	 * previous frame here.
	 */
	if (fr->gap_ns && (fr->len || fr->discard) && now_mono > wire &&
	    now_mono - wire > fr->last_mono &&
	    now_mono - wire - fr->last_mono >= fr->gap_ns)
		m2mgw_framer_flush(fr, sink);

	for (i = 0; i < count; i++) {
		switch (fp ? fp[i] : TTY_NORMAL) {
		case TTY_NORMAL:
			m2mgw_framer_byte(fr, cp[i], now_real, sink);
			break;
		case TTY_OVERRUN:
			sink->drop(sink->ctx, M2MGW_DROP_OVERRUN, 1);
			break;
		default: /* TTY_PARITY, TTY_FRAME, TTY_BREAK */
			sink->drop(sink->ctx, M2MGW_DROP_FRAMING, 1);
			break;
		}
	}
	fr->last_mono = now_mono;
}

/**
 * m2mgw_framer_expire() - the gap timer fired.
 * @fr: the framer.
 * @now_mono: CLOCK_MONOTONIC now.
 * @sink: results.
 *
 * Return: 0 when nothing is pending, else the CLOCK_MONOTONIC time to
 * check again (more bytes arrived since the timer was set).
 */
u64 m2mgw_framer_expire(struct m2mgw_framer *fr, u64 now_mono,
			const struct m2mgw_framer_sink *sink)
{
	u64 deadline = fr->last_mono + fr->gap_ns + fr->hold_ns;

	if (!fr->gap_ns || (!fr->len && !fr->discard))
		return 0;
	if (now_mono < deadline)
		return deadline;
	m2mgw_framer_flush(fr, sink);
	return 0;
}
