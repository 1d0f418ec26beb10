/* SPDX-License-Identifier: GPL-2.0 */
/*
 * m2mgw tracepoints, under events/m2mgw/ in tracefs: m2mgw:rx, m2mgw:drop,
 * m2mgw:tx, m2mgw:port_state, m2mgw:ring_wakeup.  Cheap when off: each is
 * a static key until something attaches.  The short names keep the
 * tracefs names short; call them as trace_rx() etc. only from m2mgw.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM m2mgw

#if !defined(_M2MGW_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _M2MGW_TRACE_H

#include <linux/tracepoint.h>
#include <uapi/linux/m2mgw.h>

#include "ring.h"

/* TRACE_EVENT() bodies read best in the layout of include/trace/events. */
/* clang-format off */

/*
 * m2mgw:rx - a captured frame was handed to the readers.  @fill is the
 * fill level of the fullest ring it went to, in per mille; @readers how
 * many rings took it, @full how many had no room.  @ring_ns is
 * CLOCK_REALTIME now, the clock of @tstamp_ns for every source but the
 * hardware one, so ring_ns - tstamp_ns is the stamp -> ring latency.
 * Taken here because BPF has no CLOCK_REALTIME helper, and an offset to
 * its clocks measured from userspace errs by more than that latency.
 */
TRACE_EVENT(rx,
	    TP_PROTO(const struct m2mgw_rec *hdr, u32 can_id,
		     unsigned int readers, unsigned int full, u32 fill),
	    TP_ARGS(hdr, can_id, readers, full, fill),
	    TP_STRUCT__entry(__field(u32, port_id)
			     __field(u16, type)
			     __field(u16, ts_src)
			     __field(u32, can_id)
			     __field(u32, len)
			     __field(u64, seq)
			     __field(u64, tstamp_ns)
			     __field(u32, readers)
			     __field(u32, full)
			     __field(u32, fill)
			     __field(u64, ring_ns)),
	    TP_fast_assign(__entry->port_id = hdr->port_id;
			   __entry->type = hdr->type;
			   __entry->ts_src = hdr->flags & M2MGW_RECF_TS_MASK;
			   __entry->can_id = can_id;
			   __entry->len = hdr->len - M2MGW_REC_HDR_LEN;
			   __entry->seq = hdr->seq;
			   __entry->tstamp_ns = hdr->tstamp_ns;
			   __entry->readers = readers;
			   __entry->full = full;
			   __entry->fill = fill;
			   __entry->ring_ns = ktime_get_real_ns();),
	    TP_printk("port=%u type=%u id=0x%x len=%u seq=%llu ts=%llu ts_src=%u readers=%u full=%u fill=%u ring=%llu",
		      __entry->port_id, __entry->type, __entry->can_id,
		      __entry->len, __entry->seq, __entry->tstamp_ns,
		      __entry->ts_src, __entry->readers, __entry->full,
		      __entry->fill, __entry->ring_ns));

/* m2mgw:drop - @count frames of a port lost for @reason. */
TRACE_EVENT(drop,
	    TP_PROTO(u32 port_id, enum m2mgw_drop_reason reason, u32 count),
	    TP_ARGS(port_id, reason, count),
	    TP_STRUCT__entry(__field(u32, port_id)
			     __field(u32, reason)
			     __field(u32, count)),
	    TP_fast_assign(__entry->port_id = port_id;
			   __entry->reason = reason;
			   __entry->count = count;),
	    TP_printk("port=%u reason=%u count=%u", __entry->port_id,
		      __entry->reason, __entry->count));

/* m2mgw:tx - a record written to /dev/m2mgw was sent (@err 0) or not. */
TRACE_EVENT(tx,
	    TP_PROTO(const struct m2mgw_rec *rec, u32 can_id, int err),
	    TP_ARGS(rec, can_id, err),
	    TP_STRUCT__entry(__field(u32, port_id)
			     __field(u16, type)
			     __field(u32, can_id)
			     __field(u32, len)
			     __field(int, err)),
	    TP_fast_assign(__entry->port_id = rec->port_id;
			   __entry->type = rec->type;
			   __entry->can_id = can_id;
			   __entry->len = rec->len - M2MGW_REC_HDR_LEN;
			   __entry->err = err;),
	    TP_printk("port=%u type=%u id=0x%x len=%u err=%d",
		      __entry->port_id, __entry->type, __entry->can_id,
		      __entry->len, __entry->err));

/* m2mgw:port_state - a port went from @old to @new (enum m2mgw_port_state). */
TRACE_EVENT(port_state,
	    TP_PROTO(u32 port_id, u32 old, u32 new),
	    TP_ARGS(port_id, old, new),
	    TP_STRUCT__entry(__field(u32, port_id)
			     __field(u32, old)
			     __field(u32, new)),
	    TP_fast_assign(__entry->port_id = port_id;
			   __entry->old = old;
			   __entry->new = new;),
	    TP_printk("port=%u %u->%u", __entry->port_id, __entry->old,
		      __entry->new));

/*
 * m2mgw:ring_wakeup - a reader asleep in poll(), epoll or read() is woken;
 * fires once per wakeup.  @why (enum m2mgw_wake_why, kernel/ring.h):
 *   1 immediate  a record was committed to a reader that had caught up
 *                (the default, no M2MGW_IOC_WAKEUP setting);
 *   2 bytes      batching: the pending bytes reached the watermark;
 *   3 timer      batching: a record waited the latency bound (from the
 *                hrtimer, or from the commit of a record the timer found
 *                still BUSY);
 *   4 setting    M2MGW_IOC_WAKEUP changed the setting: sleepers re-check.
 * @reader is the struct m2mgw_reader (file->private_data).  @port_id,
 * @seq and @tstamp_ns name the record it is woken for: the one whose
 * commit woke it, else (timer, setting) the oldest committed record the
 * reader has not consumed; all 0 when there is none (port ids start at 1).
 */
TRACE_DEFINE_ENUM(M2MGW_WAKE_IMMEDIATE);
TRACE_DEFINE_ENUM(M2MGW_WAKE_BYTES);
TRACE_DEFINE_ENUM(M2MGW_WAKE_TIMER);
TRACE_DEFINE_ENUM(M2MGW_WAKE_SETTING);

TRACE_EVENT(ring_wakeup,
	    TP_PROTO(const void *reader, enum m2mgw_wake_why why,
		     const struct m2mgw_rec *rec),
	    TP_ARGS(reader, why, rec),
	    TP_STRUCT__entry(__field(const void *, reader)
			     __field(u32, why)
			     __field(u32, port_id)
			     __field(u64, seq)
			     __field(u64, tstamp_ns)),
	    TP_fast_assign(__entry->reader = reader;
			   __entry->why = why;
			   __entry->port_id = rec ? rec->port_id : 0;
			   __entry->seq = rec ? rec->seq : 0;
			   __entry->tstamp_ns = rec ? rec->tstamp_ns : 0;),
	    TP_printk("reader=%p why=%s port=%u seq=%llu ts=%llu",
		      __entry->reader,
		      __print_symbolic(__entry->why,
				       { M2MGW_WAKE_IMMEDIATE, "immediate" },
				       { M2MGW_WAKE_BYTES, "bytes" },
				       { M2MGW_WAKE_TIMER, "timer" },
				       { M2MGW_WAKE_SETTING, "setting" }),
		      __entry->port_id, __entry->seq, __entry->tstamp_ns));

/* clang-format on */

#endif /* _M2MGW_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
