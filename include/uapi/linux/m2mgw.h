/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * m2mgw - M2M gateway: CAN and serial frames to userspace, zero-copy.
 *
 * This header is the whole contract between the m2mgw kernel module and
 * userspace.  A client can be written from it alone.
 *
 * OVERVIEW
 * ========
 *
 * The module owns *ports*.  A port is one CAN network device or one tty.
 * Ports are created, changed, listed and destroyed over the generic
 * netlink family M2MGW_GENL_NAME ("m2mgw"), version M2MGW_GENL_VERSION.
 * Changes are announced on the multicast group M2MGW_GENL_MCGRP_EVENTS
 * ("events").  Frames flow through the character device /dev/m2mgw:
 *
 *   1. open("/dev/m2mgw", O_RDWR)          - one reader, no ring yet
 *   2. ioctl(M2MGW_IOC_RING_SETUP)         - allocate this reader's ring
 *   3. ioctl(M2MGW_IOC_SUBSCRIBE)          - port ids, or M2MGW_PORT_ALL
 *   4. mmap() the consumer page (read-write) and the producer page plus
 *      the data area (read-only), see "RING LAYOUT"
 *   5. poll()/epoll for POLLIN, consume records, advance consumer_pos
 *   6. write() records (same format) to transmit on a port
 *
 * read() is a fallback for simple tools: it copies whole committed
 * records, each with its padding, out of the ring and advances
 * consumer_pos itself.  It blocks until a record is committed (EAGAIN with
 * O_NONBLOCK); a buffer too small for the next record gives EINVAL, one
 * of 0 bytes returns 0 at once.  Do not mix read() with an mmap consumer
 * on the same file.
 *
 * poll() reports POLLOUT always, POLLIN when a record can be consumed,
 * and POLLERR before RING_SETUP or when consumer_pos is not a position the
 * producer wrote (the reader broke the protocol; nothing outside the ring
 * is ever read or written because of it).
 *
 * /dev/m2mgw is created with mode 0600; the shipped udev rule gives it to
 * the group m2mgw.  Closing the file frees the ring once every mapping of
 * it is gone.  The module cannot be unloaded while the file is open.
 *
 * GENERIC NETLINK
 * ===============
 *
 * All mutating commands need CAP_NET_ADMIN (GENL_ADMIN_PERM).  Policies
 * are strict: an unknown attribute, a wrong type or length is refused
 * with EINVAL (a value or length outside its range with ERANGE) and an
 * extack message naming the attribute.
 *
 * M2MGW_CMD_PORT_NEW  - create a port.  Required: M2MGW_A_PORT_TYPE.
 *     CAN: M2MGW_A_IFNAME (or M2MGW_A_IFINDEX); optional M2MGW_A_PORT_NAME
 *     (defaults to the ifname), M2MGW_A_FILTERS, M2MGW_A_PORT_ENABLED.
 *     Serial: M2MGW_A_TTY and the M2MGW_A_SERIAL_* attributes.
 *     Replies with the new port as M2MGW_CMD_PORT_NEW message.
 *     Errors: ENODEV (no such netdev/tty), EPROTOTYPE (netdev is not
 *     CAN), EEXIST (a port already captures this device, or the name is
 *     taken), EBUSY (tty in use), ENOSPC (M2MGW_MAX_PORTS reached),
 *     E2BIG (more than M2MGW_MAX_FILTERS filters; PORT_SET too).
 * M2MGW_CMD_PORT_DEL  - destroy a port, by M2MGW_A_PORT_ID or
 *     M2MGW_A_PORT_NAME.  Waits for in-flight frames.  ENOENT if unknown.
 * M2MGW_CMD_PORT_GET  - doit: one port by id or name; dumpit: all ports.
 *     Each reply carries every M2MGW_A_PORT_* attribute and M2MGW_A_STATS.
 * M2MGW_CMD_PORT_SET  - change filters, enable/disable, serial framing.
 *     Absent attributes are left as they are.  M2MGW_A_FILTERS with no
 *     entries removes all filters (capture everything).
 * M2MGW_CMD_INFO_GET  - module version (M2MGW_A_INFO_VERSION) and the
 *     uapi version (M2MGW_A_INFO_UAPI_VERSION); no permission needed.
 *
 * Events on "events" (same attribute set as PORT_GET replies, without
 * stats unless stated):
 *   M2MGW_CMD_PORT_NEW    a port was created
 *   M2MGW_CMD_PORT_DEL    a port was destroyed
 *   M2MGW_CMD_PORT_STATE  a port changed state (M2MGW_A_PORT_STATE)
 *   M2MGW_CMD_DROP        frames were dropped: M2MGW_A_PORT_ID,
 *                         M2MGW_A_DROP_REASON, M2MGW_A_DROP_COUNT (frames
 *                         dropped for that reason since the last event).
 *                         Rate limited to one per port and reason every
 *                         M2MGW_DROP_EVENT_MS milliseconds.
 *
 * SERIAL PORTS
 * ============
 *
 * A serial port is a tty with the m2mgw line discipline (number: module
 * parameter "ldisc", default 29 = N_DEVELOPMENT).  Two ways to attach:
 *
 *   - PORT_NEW with M2MGW_A_TTY ("ttyS1", "ttyUSB0"): the module opens
 *     the tty itself (nobody else may have it open: EBUSY), sets raw mode,
 *     CLOCAL|CREAD and the M2MGW_A_SERIAL_* line format (defaults 9600 8N1,
 *     raw framing, maxlen M2MGW_SERIAL_MAXLEN) and attaches.  A baud rate
 *     the driver cannot set within 2% is EINVAL.  Pty slaves cannot be
 *     opened this way (EIO): attach them with TIOCSETD.  PORT_DEL puts
 *     N_TTY back and closes the tty.
 *   - ioctl(fd, TIOCSETD, &ldisc) on a tty someone holds open
 *     (ldattach-style; CAP_NET_ADMIN needed, else EPERM, as for
 *     PORT_NEW): the module creates a port named after the tty
 *     ("ttyS1", "pts3") shortly after (a PORT_NEW event; poll PORT_GET by
 *     name), with the line format of the tty's termios (followed when it
 *     changes) and raw framing.  Setting another line discipline, or the
 *     final close of the tty, removes the port (PORT_DEL event); closing
 *     a pty's master hangs its slave up first (GONE, below).  No port is
 *     created if the name is taken (e.g. by a GONE port: delete it).
 *
 * A hangup (USB-serial unplugged, pty master closed) makes the port GONE
 * either way (PORT_STATE event).  The module cannot be unloaded while a
 * tty has its line discipline (rmmod: in use).
 *
 * Each frame is one M2MGW_REC_SERIAL record; rec->tstamp_ns is when its
 * first byte reached the line discipline (M2MGW_RECF_TS_FIRST_BYTE).
 * Bytes arrive in batches (UART FIFO, tty flip buffers): all bytes of one
 * batch share a time, and silences shorter than the batching (about 4
 * character times on a 16550A) cannot be seen.  Gap framing measures the
 * silence between batches minus the wire time of the new batch's bytes
 * at the line's baud.  Bytes with parity/framing/break errors are dropped
 * and counted (M2MGW_STATS_A_DROP_FRAMING), overruns counted
 * (M2MGW_STATS_A_DROP_OVERRUN); a frame longer than maxlen is dropped
 * whole and counted (M2MGW_STATS_A_DROP_OVERSIZE) except in raw framing,
 * where maxlen cuts chunks.  PORT_SET may change the framing, maxlen and
 * line format at any time; a partial frame is delivered first.
 *
 * TX: a record's bytes go out through the tty driver in order, never
 * interleaved with another record; with O_NONBLOCK a record that does not
 * fit in the tty's buffer at once gives EAGAIN and nothing is written.
 *
 * RING LAYOUT
 * ===========
 *
 * A ring of S bytes (S a power of two, M2MGW_RING_MIN <= S <=
 * M2MGW_RING_MAX, at least one page) is mapped like this, P being the
 * page size:
 *
 *   mmap offset       size      prot        content
 *   0                 P         RW          struct m2mgw_ring_consumer
 *   P                 P         RO          struct m2mgw_ring_producer
 *   2P                S         RO          data
 *   2P + S            S         RO          the same data pages again
 *
 *   +----------+----------+------------------------+------------------------+
 *   | consumer | producer | data[0 .. S)           | data[0 .. S) (alias)   |
 *   |  page    |  page    |                        |                        |
 *   +----------+----------+------------------------+------------------------+
 *                          ^                        ^
 *                          records start here       a record that crosses S
 *                                                   continues here, so it is
 *                                                   always contiguous
 *
 * Map the consumer page with mmap(NULL, P, PROT_READ|PROT_WRITE,
 * MAP_SHARED, fd, 0) and the rest with mmap(NULL, P + 2*S, PROT_READ,
 * MAP_SHARED, fd, P).  Any other offset or length, or PROT_WRITE on the
 * producer page or data, fails with EINVAL or EPERM; mmap before
 * M2MGW_IOC_RING_SETUP fails with ENXIO.  All pages are zeroed when
 * the ring is set up.
 *
 * Positions are free-running 64-bit byte counters; a position maps to
 * data offset (pos & (S - 1)).  Records are 8-byte aligned.
 *
 * RECORDS
 * =======
 *
 * Each record is a struct m2mgw_rec followed by its payload, padded to a
 * multiple of 8 bytes.  rec->len is the unpadded length of header plus
 * payload, with two flag bits:
 *
 *   M2MGW_REC_BUSY     the producer has reserved the record and is still
 *                      writing it: stop here and wait for POLLIN.
 *   M2MGW_REC_DISCARD  the producer gave the space up: skip the record.
 *
 * Payloads by rec->type:
 *   M2MGW_REC_CAN     struct can_frame (16 bytes, linux/can.h)
 *   M2MGW_REC_CANFD   struct canfd_frame (72 bytes)
 *   M2MGW_REC_CANXL   struct canxl_frame header (CANXL_HDR_SIZE bytes)
 *                     followed by cf->len data bytes
 *   M2MGW_REC_SERIAL  the frame's bytes as they came off the line
 *
 * rec->flags carries the timestamp source (M2MGW_RECF_TS_MASK) and
 * M2MGW_RECF_* bits.  rec->seq is the port's frame sequence number,
 * assigned once per captured frame and shared by all readers: a gap in
 * seq seen by one reader means that reader (or the port) dropped frames.
 * Frames of one port received on different CPUs may appear in the ring
 * in a different order than their seq; frames received on one CPU never
 * do.
 *
 * MEMORY ORDERING
 * ===============
 *
 * Producer (kernel), under the ring's spinlock:
 *   P1  cons = load_acquire(&consumer->consumer_pos)   pairs with C4
 *   P2  if (prod + rlen - cons > S) drop and count; else
 *   P3  rec->len = len | M2MGW_REC_BUSY
 *   P4  store_release(&producer->producer_pos, prod + rlen) pairs with C1
 * then without the lock:
 *   P5  fill in header and payload
 *   P6  store_release(&rec->len, len)                  pairs with C2
 *
 * Consumer (userspace):
 *   C1  prod = load_acquire(&producer->producer_pos)    pairs with P4
 *   C2  len = load_acquire(&rec->len) at consumer_pos   pairs with P6
 *   C3  if (len & BUSY) stop; else read the record (or skip if DISCARD)
 *   C4  store_release(&consumer->consumer_pos, next)    pairs with P1:
 *       the producer may reuse the space only after the consumer is done
 *       reading it.
 *
 * Wakeups: poll() reports POLLIN when the record at consumer_pos is
 * committed.  The producer wakes sleepers after P6 only when the reader
 * had consumed everything before that record, so a busy reader is not
 * woken per frame.  Always re-check with C1/C2 after poll() returns.
 *
 * WAKEUP BATCHING
 * ===============
 *
 * By default a reader that has caught up is woken by the next record:
 * one wakeup (and one poll() round trip) per record at low and medium
 * rates.  M2MGW_IOC_WAKEUP with struct m2mgw_wakeup {bytes, usec} trades
 * latency for fewer wakeups, as TPACKET_V3's block retire timeout does:
 * poll()/epoll then report POLLIN (and a blocking read() that found
 * nothing committed returns) only when
 *
 *   W1  the record at consumer_pos is committed (as above), and
 *   W2  producer_pos - consumer_pos >= bytes (reserved bytes, records
 *       still BUSY included), or
 *   W3  a record has been waiting usec microseconds: counted from its
 *       commit when the reader had consumed everything before it, else
 *       from the poll() or read() that found it below the watermark.
 *
 * So no record waits longer than about usec for its wakeup, and a reader
 * that keeps up is woken once per `bytes` of records (or once per usec
 * when the rate is lower).  The wakeup for W3 comes from a timer,
 * without a record.  C1..C4 are unchanged: the consumer may still read
 * whatever is committed at any time (a non-blocking read(), or peeking
 * without poll()); only the readiness reported changes.  {0, 0} restores
 * the default.  The setting may change at any time, also while frames
 * flow; sleepers are woken to re-check.
 *
 * WRITING (TX)
 * ============
 *
 * write() takes one or more records in the format above, back to back,
 * each padded to 8 bytes, at most M2MGW_WRITE_MAX bytes per call (else
 * EMSGSIZE).  len, port_id, type and payload are used;
 * flags, tstamp_ns and seq must be zero.  The whole buffer is validated
 * first: a malformed record (bad len, unknown type, payload size not
 * matching the type, nonzero reserved fields, CAN dlc/len out of range)
 * fails the write with EINVAL and nothing is sent.  A port that does not
 * exist fails with ENODEV, one that is down or disabled with ENETDOWN.
 * Records are then sent in order; if sending stops part way, write()
 * returns the number of bytes of the records sent.  A serial port whose
 * tty cannot take more gives EAGAIN with O_NONBLOCK, else write() waits;
 * once part of a record is out, only a fatal signal interrupts that wait,
 * so no record is ever sent twice or in part because of a signal.
 */
#ifndef _UAPI_LINUX_M2MGW_H
#define _UAPI_LINUX_M2MGW_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define M2MGW_GENL_NAME		"m2mgw"
#define M2MGW_GENL_VERSION	1
#define M2MGW_GENL_MCGRP_EVENTS "events"

/**
 * define M2MGW_UAPI_VERSION - version of this header's contract.
 *
 * Bumped on any incompatible change to records, ioctls or netlink.
 * Reported by M2MGW_CMD_INFO_GET; tools refuse a mismatched module.
 */
#define M2MGW_UAPI_VERSION 1

#define M2MGW_DEVICE_NAME   "m2mgw"
#define M2MGW_NAME_MAX	    32 /* port names, incl. NUL */
#define M2MGW_MAX_PORTS	    256
#define M2MGW_MAX_FILTERS   32
#define M2MGW_PORT_ALL	    0xffffffffU
#define M2MGW_DROP_EVENT_MS 1000
#define M2MGW_WRITE_MAX	    65536

/**
 * enum m2mgw_cmd - generic netlink commands.
 * @M2MGW_CMD_UNSPEC: unused.
 * @M2MGW_CMD_PORT_NEW: create a port; also the "port created" event.
 * @M2MGW_CMD_PORT_DEL: destroy a port; also the "port destroyed" event.
 * @M2MGW_CMD_PORT_GET: get one port (doit) or all ports (dumpit).
 * @M2MGW_CMD_PORT_SET: change a port's filters, framing or enable state.
 * @M2MGW_CMD_PORT_STATE: event: a port's state changed.
 * @M2MGW_CMD_DROP: event: frames were dropped.
 * @M2MGW_CMD_INFO_GET: module and uapi version.
 */
enum m2mgw_cmd {
	M2MGW_CMD_UNSPEC,
	M2MGW_CMD_PORT_NEW,
	M2MGW_CMD_PORT_DEL,
	M2MGW_CMD_PORT_GET,
	M2MGW_CMD_PORT_SET,
	M2MGW_CMD_PORT_STATE,
	M2MGW_CMD_DROP,
	M2MGW_CMD_INFO_GET,

	__M2MGW_CMD_MAX,
	M2MGW_CMD_MAX = __M2MGW_CMD_MAX - 1
};

/**
 * enum m2mgw_attr - top-level netlink attributes.
 * @M2MGW_A_UNSPEC: unused.
 * @M2MGW_A_PAD: padding for 64-bit attributes.
 * @M2MGW_A_PORT_ID: u32, assigned by the module, never reused while the
 *	module is loaded.
 * @M2MGW_A_PORT_NAME: string, at most M2MGW_NAME_MAX - 1 bytes, unique.
 * @M2MGW_A_PORT_TYPE: u32, enum m2mgw_port_type.
 * @M2MGW_A_PORT_STATE: u32, enum m2mgw_port_state (read-only).
 * @M2MGW_A_PORT_ENABLED: u8, 0 or 1.  A disabled port captures nothing
 *	and refuses TX; frames arriving meanwhile are not counted as drops.
 * @M2MGW_A_IFNAME: string, CAN network device name.
 * @M2MGW_A_IFINDEX: u32, CAN network device index.
 * @M2MGW_A_FILTERS: nested, zero or more M2MGW_FILTER_A_CAN entries; a
 *	frame is captured if any filter matches, or always when there are
 *	none.  At most M2MGW_MAX_FILTERS.
 * @M2MGW_A_STATS: nested, enum m2mgw_stats_attr, u64 each (read-only).
 * @M2MGW_A_TTY: string, tty device name without /dev/ (e.g. "ttyS1").
 * @M2MGW_A_SERIAL_BAUD: u32, bits per second, 50 .. 4000000.
 * @M2MGW_A_SERIAL_DATA_BITS: u8, 5 .. 8.
 * @M2MGW_A_SERIAL_PARITY: u8, enum m2mgw_parity.
 * @M2MGW_A_SERIAL_STOP_BITS: u8, 1 or 2.
 * @M2MGW_A_SERIAL_FRAMING: u32, enum m2mgw_framing.
 * @M2MGW_A_SERIAL_FRAMING_ARG: u32, meaning depends on the framing:
 *	delimiter byte, gap or idle time in microseconds, fixed length.
 * @M2MGW_A_SERIAL_MAXLEN: u32, largest frame, 1 .. M2MGW_SERIAL_MAXLEN.
 * @M2MGW_A_DROP_REASON: u32, enum m2mgw_drop_reason (events).
 * @M2MGW_A_DROP_COUNT: u64 (events).
 * @M2MGW_A_INFO_VERSION: string, module version.
 * @M2MGW_A_INFO_UAPI_VERSION: u32, M2MGW_UAPI_VERSION of the module.
 */
enum m2mgw_attr {
	M2MGW_A_UNSPEC,
	M2MGW_A_PAD,
	M2MGW_A_PORT_ID,
	M2MGW_A_PORT_NAME,
	M2MGW_A_PORT_TYPE,
	M2MGW_A_PORT_STATE,
	M2MGW_A_PORT_ENABLED,
	M2MGW_A_IFNAME,
	M2MGW_A_IFINDEX,
	M2MGW_A_FILTERS,
	M2MGW_A_STATS,
	M2MGW_A_TTY,
	M2MGW_A_SERIAL_BAUD,
	M2MGW_A_SERIAL_DATA_BITS,
	M2MGW_A_SERIAL_PARITY,
	M2MGW_A_SERIAL_STOP_BITS,
	M2MGW_A_SERIAL_FRAMING,
	M2MGW_A_SERIAL_FRAMING_ARG,
	M2MGW_A_SERIAL_MAXLEN,
	M2MGW_A_DROP_REASON,
	M2MGW_A_DROP_COUNT,
	M2MGW_A_INFO_VERSION,
	M2MGW_A_INFO_UAPI_VERSION,

	__M2MGW_A_MAX,
	M2MGW_A_MAX = __M2MGW_A_MAX - 1
};

/**
 * enum m2mgw_filter_attr - entries of M2MGW_A_FILTERS.
 * @M2MGW_FILTER_A_UNSPEC: unused.
 * @M2MGW_FILTER_A_CAN: struct can_filter (linux/can.h, 8 bytes): a frame
 *	matches when (can_id & mask) == (filter id & mask); CAN_INV_FILTER
 *	in the id inverts the match, as on CAN_RAW sockets.  Error frames
 *	(CAN_ERR_FLAG) only match a filter whose mask has CAN_ERR_FLAG, and
 *	then when their class bits and the mask's share a bit (CAN_RAW's
 *	error mask); a port without filters captures all of them.
 */
enum m2mgw_filter_attr {
	M2MGW_FILTER_A_UNSPEC,
	M2MGW_FILTER_A_CAN,

	__M2MGW_FILTER_A_MAX,
	M2MGW_FILTER_A_MAX = __M2MGW_FILTER_A_MAX - 1
};

/**
 * enum m2mgw_stats_attr - per-port counters in M2MGW_A_STATS, u64 each.
 * @M2MGW_STATS_A_UNSPEC: unused.
 * @M2MGW_STATS_A_PAD: padding.
 * @M2MGW_STATS_A_RX_FRAMES: frames captured (before ring delivery).
 * @M2MGW_STATS_A_RX_BYTES: payload bytes captured.
 * @M2MGW_STATS_A_TX_FRAMES: frames sent.
 * @M2MGW_STATS_A_TX_BYTES: payload bytes sent.
 * @M2MGW_STATS_A_DROP_RING_FULL: frame-reader deliveries lost because a
 *	reader's ring was full (one frame to two full rings counts two).
 * @M2MGW_STATS_A_DROP_OVERSIZE: serial frames longer than maxlen.
 * @M2MGW_STATS_A_DROP_NOMEM: frames lost to allocation failure.
 * @M2MGW_STATS_A_DROP_FRAMING: serial bytes with parity/framing errors.
 * @M2MGW_STATS_A_DROP_OVERRUN: serial bytes lost to hardware overrun.
 * @M2MGW_STATS_A_TX_ERRORS: sends the device refused.
 * @M2MGW_STATS_A_FILTERED: frames not captured because no filter matched,
 *	where the port sees them: CAN filters run inside af_can, which hands
 *	a port only matching frames, so CAN ports report 0.
 */
enum m2mgw_stats_attr {
	M2MGW_STATS_A_UNSPEC,
	M2MGW_STATS_A_PAD,
	M2MGW_STATS_A_RX_FRAMES,
	M2MGW_STATS_A_RX_BYTES,
	M2MGW_STATS_A_TX_FRAMES,
	M2MGW_STATS_A_TX_BYTES,
	M2MGW_STATS_A_DROP_RING_FULL,
	M2MGW_STATS_A_DROP_OVERSIZE,
	M2MGW_STATS_A_DROP_NOMEM,
	M2MGW_STATS_A_DROP_FRAMING,
	M2MGW_STATS_A_DROP_OVERRUN,
	M2MGW_STATS_A_TX_ERRORS,
	M2MGW_STATS_A_FILTERED,

	__M2MGW_STATS_A_MAX,
	M2MGW_STATS_A_MAX = __M2MGW_STATS_A_MAX - 1
};

/**
 * enum m2mgw_port_type - what a port captures.
 * @M2MGW_PORT_NONE: unused.
 * @M2MGW_PORT_CAN: a CAN network device.
 * @M2MGW_PORT_SERIAL: a tty with the m2mgw line discipline.
 */
enum m2mgw_port_type {
	M2MGW_PORT_NONE,
	M2MGW_PORT_CAN,
	M2MGW_PORT_SERIAL,
};

/**
 * enum m2mgw_port_state - port state.
 * @M2MGW_STATE_DOWN: the device exists but is down (or the port is
 *	disabled).
 * @M2MGW_STATE_UP: capturing.
 * @M2MGW_STATE_GONE: the device was unregistered or hung up; the port
 *	stays, with its counters, until PORT_DEL.
 */
enum m2mgw_port_state {
	M2MGW_STATE_DOWN,
	M2MGW_STATE_UP,
	M2MGW_STATE_GONE,
};

/**
 * enum m2mgw_parity - serial parity.
 * @M2MGW_PARITY_NONE: none.
 * @M2MGW_PARITY_EVEN: even.
 * @M2MGW_PARITY_ODD: odd.
 */
enum m2mgw_parity {
	M2MGW_PARITY_NONE,
	M2MGW_PARITY_EVEN,
	M2MGW_PARITY_ODD,
};

/**
 * enum m2mgw_framing - how a serial byte stream is cut into frames.
 * @M2MGW_FRAMING_RAW: chunks flushed after FRAMING_ARG microseconds of
 *	idle line (0: default 1000) or at maxlen.
 * @M2MGW_FRAMING_DELIMITER: a frame ends with the byte FRAMING_ARG
 *	(0 .. 255), which is kept in the frame.
 * @M2MGW_FRAMING_GAP: a frame ends after FRAMING_ARG microseconds of
 *	silence between bytes.
 * @M2MGW_FRAMING_MODBUS_RTU: gap framing with the gap computed as 3.5
 *	character times at the line's baud and format, 1750 us above 19200
 *	baud; FRAMING_ARG is ignored.
 * @M2MGW_FRAMING_FIXED: frames of exactly FRAMING_ARG bytes.
 */
enum m2mgw_framing {
	M2MGW_FRAMING_RAW,
	M2MGW_FRAMING_DELIMITER,
	M2MGW_FRAMING_GAP,
	M2MGW_FRAMING_MODBUS_RTU,
	M2MGW_FRAMING_FIXED,
};

#define M2MGW_SERIAL_MAXLEN 4096

/**
 * enum m2mgw_drop_reason - why frames were dropped (M2MGW_A_DROP_REASON).
 * @M2MGW_DROP_RING_FULL: a reader's ring was full.
 * @M2MGW_DROP_OVERSIZE: serial frame longer than maxlen.
 * @M2MGW_DROP_NOMEM: allocation failure.
 * @M2MGW_DROP_FRAMING: serial parity or framing error.
 * @M2MGW_DROP_OVERRUN: serial hardware overrun.
 */
enum m2mgw_drop_reason {
	M2MGW_DROP_RING_FULL,
	M2MGW_DROP_OVERSIZE,
	M2MGW_DROP_NOMEM,
	M2MGW_DROP_FRAMING,
	M2MGW_DROP_OVERRUN,
};

/* Ring sizes accepted by M2MGW_IOC_RING_SETUP. */
#define M2MGW_RING_MIN (1U << 12)
#define M2MGW_RING_MAX (1U << 28)

/**
 * struct m2mgw_ring_consumer - the consumer page (mmap offset 0, RW).
 * @consumer_pos: bytes consumed; written by the reader only.
 */
struct m2mgw_ring_consumer {
	__u64 consumer_pos;
};

/**
 * struct m2mgw_ring_producer - the producer page (mmap offset P, RO).
 * @producer_pos: bytes reserved by producers; written by the kernel only.
 * @data_size: S, the size of the data area.
 * @dropped: records this reader lost because its ring was full.
 * @dropped_bytes: bytes of those records (header and padding included).
 */
struct m2mgw_ring_producer {
	__u64 producer_pos;
	__u64 data_size;
	__u64 dropped;
	__u64 dropped_bytes;
};

#define M2MGW_REC_BUSY	   (1U << 31)
#define M2MGW_REC_DISCARD  (1U << 30)
#define M2MGW_REC_LEN_MASK (M2MGW_REC_DISCARD - 1)
#define M2MGW_REC_ALIGN	   8

/**
 * enum m2mgw_rec_type - payload type of a record.
 * @M2MGW_REC_NONE: unused.
 * @M2MGW_REC_CAN: struct can_frame.
 * @M2MGW_REC_CANFD: struct canfd_frame.
 * @M2MGW_REC_CANXL: struct canxl_frame header + data.
 * @M2MGW_REC_SERIAL: serial bytes.
 */
enum m2mgw_rec_type {
	M2MGW_REC_NONE,
	M2MGW_REC_CAN,
	M2MGW_REC_CANFD,
	M2MGW_REC_CANXL,
	M2MGW_REC_SERIAL,
};

/* rec->flags: timestamp source */
#define M2MGW_RECF_TS_MASK	 0x0003
#define M2MGW_RECF_TS_NOW	 0x0000 /* ktime_get_real_ns() at capture */
#define M2MGW_RECF_TS_SKB	 0x0001 /* skb->tstamp (software, CLOCK_REALTIME) */
#define M2MGW_RECF_TS_HW	 0x0002 /* skb_hwtstamps(), hardware clock */
#define M2MGW_RECF_TS_FIRST_BYTE 0x0003 /* serial: arrival of the first byte */
/* rec->flags: other bits */
/*
 * CAN: the frame was sent by a socket on this host (can-raw's
 * MSG_DONTROUTE rule); frames sent through /dev/m2mgw have no socket.
 */
#define M2MGW_RECF_TX_ECHO	 0x0100
#define M2MGW_RECF_ERR_FRAME	 0x0200 /* CAN error frame (CAN_ERR_FLAG) */

/**
 * struct m2mgw_rec - record header, 32 bytes, 8-byte aligned.
 * @len: header + payload length in bytes, unpadded, with M2MGW_REC_BUSY
 *	and M2MGW_REC_DISCARD; the next record starts at
 *	ALIGN(len & M2MGW_REC_LEN_MASK, 8) bytes after this one.
 * @port_id: the port the frame came from (RX) or goes to (TX).
 * @type: enum m2mgw_rec_type.
 * @flags: M2MGW_RECF_* bits.
 * @reserved: zero.
 * @tstamp_ns: capture time, nanoseconds since the epoch for the software
 *	sources, the device's clock for M2MGW_RECF_TS_HW.
 * @seq: the port's sequence number of this frame, from 0.
 * @data: payload.
 */
struct m2mgw_rec {
	__u32 len;
	__u32 port_id;
	__u16 type;
	__u16 flags;
	__u32 reserved;
	__u64 tstamp_ns;
	__u64 seq;
	__u8 data[];
};

#define M2MGW_REC_HDR_LEN 32

/**
 * struct m2mgw_ring_setup - argument of M2MGW_IOC_RING_SETUP.
 * @size: data area size S in bytes: a power of two, at least the page
 *	size and M2MGW_RING_MIN, at most M2MGW_RING_MAX (EINVAL otherwise;
 *	ENOMEM if it cannot be allocated; EBUSY if this file has a ring).
 * @flags: zero.
 */
struct m2mgw_ring_setup {
	__u32 size;
	__u32 flags;
};

#define M2MGW_IOC_MAGIC 0xC6

/* Allocate this file's ring.  Once per open file. */
#define M2MGW_IOC_RING_SETUP  _IOW(M2MGW_IOC_MAGIC, 1, struct m2mgw_ring_setup)
/*
 * Receive frames of a port id, or of all ports (present and future) with
 * M2MGW_PORT_ALL, which replaces any single-port subscriptions.  ENXIO
 * before RING_SETUP, ENOENT for an unknown port, EALREADY if already
 * subscribed (to that port, or to all).  A subscription ends when its
 * port is destroyed.
 */
#define M2MGW_IOC_SUBSCRIBE   _IOW(M2MGW_IOC_MAGIC, 2, __u32)
/* Stop receiving a port (or the "all" subscription).  ENOENT if not subscribed. */
#define M2MGW_IOC_UNSUBSCRIBE _IOW(M2MGW_IOC_MAGIC, 3, __u32)

/* M2MGW_IOC_WAKEUP limits. */
#define M2MGW_WAKEUP_USEC_MAX 1000000U

/**
 * struct m2mgw_wakeup - argument of M2MGW_IOC_WAKEUP (see "WAKEUP
 *	BATCHING").
 * @bytes: watermark: report readable once this many bytes are pending.
 *	0 with @usec 0: the default, readable at the first committed record.
 *	Otherwise 1 .. S / 2 (a record is at least M2MGW_REC_HDR_LEN bytes).
 * @usec: bound on the wait of a record below the watermark, 1 ..
 *	M2MGW_WAKEUP_USEC_MAX; 0 only with @bytes 0.
 *
 * EINVAL for values outside these ranges, ENXIO before RING_SETUP.
 */
struct m2mgw_wakeup {
	__u32 bytes;
	__u32 usec;
};

/* Set this reader's wakeup watermark and latency bound. */
#define M2MGW_IOC_WAKEUP _IOW(M2MGW_IOC_MAGIC, 4, struct m2mgw_wakeup)

#endif /* _UAPI_LINUX_M2MGW_H */
