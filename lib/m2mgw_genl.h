/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * libm2mgw genl client: the one userspace implementation of the m2mgw
 * generic netlink protocol (include/uapi/linux/m2mgw.h, "GENERIC
 * NETLINK"), on libnl-genl-3.  Used by m2mctl and m2mgwd.
 *
 * Every function returns 0 (or a count) on success and a negative errno
 * on failure.  When the kernel refused a request, its extack message (if
 * it sent one) is in m2mgw_genl_errmsg() until the next request.
 *
 * A port travels as struct m2mgw_port both ways: requests send only the
 * attributes whose bit is set in ->attrs, replies set the bit of every
 * attribute the kernel sent.  Use M2MGW_PORT_SET()/M2MGW_PORT_HAS().
 *
 * Requests and events need separate handles: open one for requests and
 * another for m2mgw_genl_subscribe(), so an event never arrives in the
 * middle of a reply.
 */
#ifndef M2MGW_GENL_H
#define M2MGW_GENL_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/can.h>
#include <linux/m2mgw.h>

#define M2MGW_GENL_ERRMSG_MAX 256
#define M2MGW_TTY_MAX	      64
#define M2MGW_VERSION_MAX     64

struct nl_sock;

/**
 * struct m2mgw_port - a port's attributes, request or reply.
 * @attrs: bit (1 << M2MGW_A_x) for every attribute present.
 * @stats: M2MGW_A_STATS entries indexed by enum m2mgw_stats_attr, valid
 *	when M2MGW_A_STATS is present.
 * Other fields: the attribute of the same name (see the uapi header).
 */
struct m2mgw_port {
	uint64_t attrs;
	uint32_t id;
	char name[M2MGW_NAME_MAX];
	uint32_t type;
	uint32_t state;
	uint8_t enabled;
	char ifname[16];
	uint32_t ifindex;
	unsigned int n_filters;
	struct can_filter filters[M2MGW_MAX_FILTERS];
	uint64_t stats[M2MGW_STATS_A_MAX + 1];
	char tty[M2MGW_TTY_MAX];
	uint32_t baud;
	uint8_t data_bits;
	uint8_t parity;
	uint8_t stop_bits;
	uint32_t framing;
	uint32_t framing_arg;
	uint32_t maxlen;
	uint32_t drop_reason;
	uint64_t drop_count;
};

#define M2MGW_PORT_SET(p, a) ((p)->attrs |= 1ULL << (a))
#define M2MGW_PORT_HAS(p, a) (!!((p)->attrs & (1ULL << (a))))

/*
 * Called for each event: @cmd is M2MGW_CMD_PORT_NEW/DEL/STATE or
 * M2MGW_CMD_DROP.  Nonzero stops the current m2mgw_genl_recv_events().
 */
typedef int (*m2mgw_event_cb)(void *ctx, uint8_t cmd,
			      const struct m2mgw_port *p);

/**
 * struct m2mgw_genl - one generic netlink socket bound to the family.
 * @sk: libnl socket.
 * @family: resolved family id.
 * @version: the family version the kernel announces.
 * @events_grp: multicast group id of "events".
 * @errmsg: extack message of the last refused request ("" if none).
 * @event_cb, @event_ctx: set by m2mgw_genl_subscribe().
 */
struct m2mgw_genl {
	struct nl_sock *sk;
	int family;
	uint32_t version;
	int events_grp;
	char errmsg[M2MGW_GENL_ERRMSG_MAX];
	m2mgw_event_cb event_cb;
	void *event_ctx;
};

/**
 * struct m2mgw_info - M2MGW_CMD_INFO_GET reply.
 * @version: module version string.
 * @uapi_version: M2MGW_UAPI_VERSION the module was built with.
 * @genl_version: the family version.
 */
struct m2mgw_info {
	char version[M2MGW_VERSION_MAX];
	uint32_t uapi_version;
	uint32_t genl_version;
};

/*
 * Connect and resolve the family.  -ENOENT: the module is not loaded;
 * -EPROTONOSUPPORT: the family version is not M2MGW_GENL_VERSION.  The
 * environment variable M2MGW_GENL_FAMILY overrides the family name (tests
 * point it at a family that does not exist).
 */
int m2mgw_genl_open(struct m2mgw_genl *g);
void m2mgw_genl_close(struct m2mgw_genl *g);

static inline const char *m2mgw_genl_errmsg(const struct m2mgw_genl *g)
{
	return g->errmsg;
}

int m2mgw_genl_info_get(struct m2mgw_genl *g, struct m2mgw_info *info);

/* Create a port from @req; the kernel's view of it goes to @reply (may be NULL). */
int m2mgw_genl_port_new(struct m2mgw_genl *g, const struct m2mgw_port *req,
			struct m2mgw_port *reply);

/* Destroy a port by @name, or by @id when @name is NULL. */
int m2mgw_genl_port_del(struct m2mgw_genl *g, uint32_t id, const char *name);

/* One port by @name, or by @id when @name is NULL, with its counters. */
int m2mgw_genl_port_get(struct m2mgw_genl *g, uint32_t id, const char *name,
			struct m2mgw_port *out);

typedef int (*m2mgw_port_cb)(void *ctx, const struct m2mgw_port *p);

/*
 * Every port, in id order, each passed to @cb; a nonzero return from @cb
 * stops the walk (the rest of the dump is still read).  Returns the
 * number of ports or -errno.
 */
int m2mgw_genl_port_dump(struct m2mgw_genl *g, m2mgw_port_cb cb, void *ctx);

/* Change the port @req names by M2MGW_A_PORT_ID or M2MGW_A_PORT_NAME. */
int m2mgw_genl_port_set(struct m2mgw_genl *g, const struct m2mgw_port *req);

/*
 * Join the "events" group; @cb gets every event (enum m2mgw_cmd and the
 * attributes) from m2mgw_genl_recv_events().
 */
int m2mgw_genl_subscribe(struct m2mgw_genl *g, m2mgw_event_cb cb, void *ctx);

/* The socket's fd, for poll()/libev. */
int m2mgw_genl_fd(const struct m2mgw_genl *g);

/*
 * Read what is waiting on a subscribed handle and call the event
 * callback.  With @nonblock, returns 0 at once when nothing is there.
 * -ENOBUFS: events were lost (socket buffer overrun); the handle stays
 * usable, but state known from events should be re-read (port_dump).
 */
int m2mgw_genl_recv_events(struct m2mgw_genl *g, bool nonblock);

/* Parse one message's attributes into @p (used for replies and events). */
struct nlattr;
int m2mgw_genl_parse_port(struct nlattr **tb, struct m2mgw_port *p);

/* Names for printing: "can", "up", "ring_full", "modbus-rtu", ... */
const char *m2mgw_port_type_name(uint32_t type);
const char *m2mgw_port_state_name(uint32_t state);
const char *m2mgw_parity_name(uint32_t parity);
const char *m2mgw_framing_name(uint32_t framing);
const char *m2mgw_drop_reason_name(uint32_t reason);
/* The counter's name ("rx_frames", ...) or NULL for UNSPEC/PAD. */
const char *m2mgw_stats_name(unsigned int stat);

#endif /* M2MGW_GENL_H */
