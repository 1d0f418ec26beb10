/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Serial ports: the framing engine (serial_framer.c) and the line
 * discipline that feeds it (serial.c).
 */
#ifndef _M2MGW_SERIAL_H
#define _M2MGW_SERIAL_H

#include <linux/hrtimer.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <uapi/linux/m2mgw.h>

struct m2mgw_port;
struct m2mgw_port_ops;
struct tty_ldisc_ops;
struct tty_struct;

#define M2MGW_SERIAL_IDLE_DEFAULT_US 1000
#define M2MGW_SERIAL_GAP_MAX_US	     10000000
/* Modbus over serial line v1.02, 2.5.1.1: fixed t3.5 above 19200 baud. */
#define M2MGW_MODBUS_T35_FLOOR_US    1750
#define M2MGW_MODBUS_FLOOR_BAUD	     19200

/**
 * struct m2mgw_line - the line's character format.
 * @baud: bits per second.
 * @data_bits: 5 .. 8.
 * @parity: enum m2mgw_parity.
 * @stop_bits: 1 or 2.
 * @rx_hold: characters the receiver may hold back before handing bytes
 *	over: a UART's RX FIFO timeout (4 on a 16550A), 0 for a pty.
 */
struct m2mgw_line {
	u32 baud;
	u8 data_bits;
	u8 parity;
	u8 stop_bits;
	u8 rx_hold;
};

/**
 * struct m2mgw_framing_cfg - how the byte stream is cut.
 * @framing: enum m2mgw_framing.
 * @arg: its argument (see the uapi header).
 * @maxlen: largest frame.
 */
struct m2mgw_framing_cfg {
	u32 framing;
	u32 arg;
	u32 maxlen;
};

/**
 * struct m2mgw_framer_sink - where the framer's results go.
 * @frame: a complete frame; @tstamp_ns is the CLOCK_REALTIME arrival of
 *	its first byte.
 * @drop: bytes (FRAMING, OVERRUN) or frames (OVERSIZE) lost.
 * @ctx: passed to both.
 */
struct m2mgw_framer_sink {
	void (*frame)(void *ctx, u64 tstamp_ns, const u8 *data, u32 len);
	void (*drop)(void *ctx, enum m2mgw_drop_reason reason, u32 count);
	void *ctx;
};

/**
 * struct m2mgw_framer - state of one byte stream.
 * @cfg: the framing.
 * @gap_ns: silence that ends a frame (raw: idle flush), 0 for none.
 * @char_ns: time one character takes on the wire.
 * @hold_ns: how long the receiver may hold bytes back (rx_hold chars).
 * @first_ns: CLOCK_REALTIME when the frame's first byte arrived.
 * @last_mono: CLOCK_MONOTONIC when the last byte arrived.
 * @len: bytes in @buf.
 * @discard: the frame outgrew maxlen: drop bytes until it ends.
 * @buf: the frame being assembled.
 */
struct m2mgw_framer {
	struct m2mgw_framing_cfg cfg;
	u64 gap_ns;
	u64 char_ns;
	u64 hold_ns;
	u64 first_ns;
	u64 last_mono;
	u32 len;
	bool discard;
	u8 buf[M2MGW_SERIAL_MAXLEN];
};

int m2mgw_framing_check(const struct m2mgw_framing_cfg *cfg, const char **why);
u32 m2mgw_line_char_bits(const struct m2mgw_line *line);
void m2mgw_framer_config(struct m2mgw_framer *fr,
			 const struct m2mgw_framing_cfg *cfg,
			 const struct m2mgw_line *line,
			 const struct m2mgw_framer_sink *sink);
void m2mgw_framer_input(struct m2mgw_framer *fr, const u8 *cp, const u8 *fp,
			size_t count, u64 now_real, u64 now_mono,
			const struct m2mgw_framer_sink *sink);
u64 m2mgw_framer_expire(struct m2mgw_framer *fr, u64 now_mono,
			const struct m2mgw_framer_sink *sink);
void m2mgw_framer_flush(struct m2mgw_framer *fr,
			const struct m2mgw_framer_sink *sink);
void m2mgw_framer_reset(struct m2mgw_framer *fr);

/**
 * struct m2mgw_serial - a serial port's state.
 * @ref: held by the attached ldisc, the port and queued work.
 * @lock: protects everything below that changes after attach, against
 *	receive_buf() (tty worker), the gap timer (softirq), TX and config.
 * @tty: the tty while the line discipline is attached, else NULL.
 * @ktty: the tty the module opened (PORT_NEW), until PORT_DEL.
 * @port: the port, once published.
 * @user: attached from userspace with TIOCSETD.
 * @deleted: the port is being destroyed: capture nothing, queue nothing.
 * @hungup: the tty was hung up.
 * @ev_publish: work: create the port of a TIOCSETD attach.
 * @ev_closed: work: the line discipline went away.
 * @line: the line's format.
 * @name: the tty's name.
 * @devt: the tty's device number.
 * @timer: ends a frame after its gap, or raw chunks after idle.
 * @work: runs the ev_* events in process context.
 * @tx_wait: TX waits here for room in the tty.
 * @tx_lock: one record at a time goes out.
 * @fr: the framer.
 */
struct m2mgw_serial {
	struct kref ref;
	spinlock_t lock; /* see above */
	struct tty_struct *tty;
	struct tty_struct *ktty;
	struct m2mgw_port *port;
	bool user;
	bool deleted;
	bool hungup;
	bool ev_publish;
	bool ev_closed;
	struct m2mgw_line line;
	char name[64];
	dev_t devt;
	struct hrtimer timer;
	struct work_struct work;
	wait_queue_head_t tx_wait;
	struct mutex tx_lock; /* see above */
	struct m2mgw_framer fr;
};

/* The PORT_NEW attach in progress: see serial.c. */
struct m2mgw_serial_attach {
	struct tty_struct *tty;
	struct m2mgw_serial *s;
};

/* serial.c */
extern struct m2mgw_serial_attach m2mgw_serial_attach;
extern int m2mgw_serial_ldisc;
extern struct tty_ldisc_ops m2mgw_ldisc_ops;
struct m2mgw_serial *m2mgw_serial_alloc(void);
void m2mgw_serial_put(struct m2mgw_serial *s);
void m2mgw_serial_sink(struct m2mgw_serial *s, struct m2mgw_framer_sink *sink);
bool m2mgw_serial_live(const struct m2mgw_serial *s);
u32 m2mgw_serial_state(const struct m2mgw_serial *s, bool enabled);
void m2mgw_serial_line_from_tty(struct tty_struct *tty,
				struct m2mgw_line *line);
u8 m2mgw_serial_rx_hold(struct tty_struct *tty);
int m2mgw_serial_init(void);
void m2mgw_serial_exit(void);

extern const struct m2mgw_port_ops m2mgw_serial_ops;

#endif /* _M2MGW_SERIAL_H */
